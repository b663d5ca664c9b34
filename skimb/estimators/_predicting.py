"""Prediction under a chosen class prior.

The net estimates posteriors under ``training_prior_``, the prior its
training batches and criterion imply (:func:`criterion_prior`); the
``prior`` parameter moves them to another prior by Bayes' rule (Saerens et
al., 2002) at every prediction.
"""

import functools

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.utils import to_numpy

from ..nn._losses import FocalLoss, LDAMLoss, LogitAdjustedLoss
from ._batches import (
    X_CHECKS,
    DeviceDataset,
    dataset_arrays,
    is_internal_dataset,
    to_device,
)
from ._prior import check_prior, criterion_prior, shift_log_proba

__all__ = ["PriorPredictMixin"]

# Criteria that take logits: predict_proba applies a softmax after them.
_LOGIT_LOSSES = (torch.nn.CrossEntropyLoss, LogitAdjustedLoss, FocalLoss, LDAMLoss)


class PriorPredictMixin:
    """``predict_proba`` and ``predict`` for the prior in ``prior``, and the
    ``training_prior_`` they shift from, kept in step during training."""

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self.training_prior_ = self._effective_prior()

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        # The net is notified before its callbacks: scorers that call
        # predict_proba with a ``prior`` see this epoch's training prior.
        super().on_epoch_end(
            net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs
        )
        self.training_prior_ = self._effective_prior(reuse=True)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        super().on_train_end(net, X=X, y=y, **kwargs)
        self.__dict__.pop("_prior_inputs", None)
        self.training_prior_ = self._effective_prior()

    def _effective_prior(self, reuse=False):
        """The prior the net's probabilities are for, from the class
        distribution of the training batches and the criterion.

        With ``reuse`` (at each epoch's end), the last value is kept while
        its inputs are unchanged: the same criterion, weight and prior
        tensors, none modified in place since (their version counters), and
        the same class distribution."""
        criterion = self.__dict__.get("criterion_")
        distribution = self._class_distribution()
        if not reuse:
            return criterion_prior(criterion, distribution)
        tensors = [getattr(criterion, name, None) for name in ("weight", "log_prior")]
        inputs = [criterion, getattr(criterion, "tau", None)]
        for t in tensors:
            inputs += [t, t._version] if isinstance(t, torch.Tensor) else [t]
        inputs.append(np.asarray(distribution, dtype=np.float64).tobytes())
        last = self.__dict__.get("_prior_inputs")
        if (
            last is not None
            and len(last[0]) == len(inputs)
            and all(map(_same, last[0], inputs))
        ):
            return last[1].copy()
        prior = criterion_prior(criterion, distribution)
        self.__dict__["_prior_inputs"] = (inputs, prior)
        return prior

    def _class_distribution(self):
        """Class probabilities of the training batches (a hook: the sampler
        draws its own)."""
        return self.class_prior_

    def _check_X(self, X):
        """X of a fitted estimator, validated, as float32 on the host."""
        if isinstance(X, torch.Tensor):
            X = X.detach().cpu().numpy()
        self._check_input_size(X, self.device)
        return validate_data(self, X, reset=False, **X_CHECKS)

    def _as_dataset(self, X):
        if is_internal_dataset(X):
            return X
        check_is_fitted(self)
        if isinstance(X, torch.utils.data.Dataset):
            # A skorch Dataset, as scoring callbacks hand the validation set.
            X, _ = dataset_arrays(X)
        return DeviceDataset(to_device(self._check_X(X), self.device))

    def predict_proba(self, X):
        """Class probabilities, columns aligned with ``classes_``.

        With ``prior=None`` these are the net's output as trained: posteriors
        under ``training_prior_``. Any other ``prior`` moves them to that
        prior by Bayes' rule, in log space on the output of the
        ``predict_nonlinearity`` (the softmax for logit criteria):
        ``softmax(log p + log prior - log training_prior_)`` (Saerens et al.,
        2002).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or torch Dataset
            A Dataset (a skorch ``Dataset``, as skorch's scoring passes the
            validation set) is read for its ``X``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), float32
        """
        dataset = self._as_dataset(X)
        prior = check_prior(
            self.prior, classes=self.classes_, class_prior=self.class_prior_
        )
        source = self.training_prior_
        # Priors equal up to float32 rounding of the class weights would
        # shift the log-odds by less than the output's own rounding.
        if prior is None or np.allclose(prior, source, rtol=1e-6, atol=0):
            return super().predict_proba(dataset)
        probas = []
        for yp in self.forward_iter(dataset, training=False):
            log_p = self._log_proba(yp)
            if log_p.dim() != 2 or log_p.shape[1] != len(source):
                raise ValueError(
                    f"prior needs one probability per class ({len(source)}) from "
                    f"the net; its predict_nonlinearity gave shape "
                    f"{tuple(log_p.shape)}."
                )
            probas.append(to_numpy(shift_log_proba(log_p, prior, source)))
        return np.concatenate(probas, 0)

    def _log_proba(self, yp):
        """Log-probabilities of one forward pass's output ``yp``."""
        yp = yp[0] if isinstance(yp, tuple) else yp
        if self.predict_nonlinearity == "auto" and isinstance(
            self.criterion_, _LOGIT_LOSSES
        ):
            return torch.log_softmax(yp, dim=-1)  # exact where softmax underflows
        p = self._get_predict_nonlinearity()(yp)
        return torch.log(p.clamp_min(torch.finfo(p.dtype).tiny))

    def _get_predict_nonlinearity(self):
        if self.predict_nonlinearity == "auto" and isinstance(
            getattr(self, "criterion_", None), _LOGIT_LOSSES
        ):
            return functools.partial(torch.softmax, dim=-1)
        return super()._get_predict_nonlinearity()

    def predict(self, X):
        """Predicted labels (the argmax of :meth:`predict_proba`), of the same
        type as the labels given to ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or torch Dataset
            As for :meth:`predict_proba`.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The class of highest :meth:`predict_proba`, from ``classes_``.
        """
        index = self.predict_proba(X).argmax(axis=1)  # checks fitted first
        return self.classes_[index]


def _same(a, b):
    """Tensors and modules by identity, values by equality."""
    if a is b:
        return True
    if isinstance(a, (torch.Tensor, torch.nn.Module)) or isinstance(
        b, (torch.Tensor, torch.nn.Module)
    ):
        return False
    return a == b
