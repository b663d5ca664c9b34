"""Class weights in the loss, optionally deferred (DRW)."""

import inspect
from numbers import Integral

import torch
from skorch.dataset import Dataset as SkorchDataset
from torch.utils.data import DataLoader

from .._utils.docstring import NET_DOCS, Substitution
from .._utils.validation import Interval
from ..nn._simple_net import SimpleNet
from ._budget import BUDGET
from ._callbacks import DeferredReweighting
from ._net import NetClassifier
from ._weighting import CLASS_WEIGHT_CONSTRAINTS

__all__ = ["WeightedLossClassifier"]


@Substitution(**NET_DOCS)
class WeightedLossClassifier(NetClassifier):
    """Inverse-frequency class weights in the cross-entropy loss.

    The loss of a sample of class ``c`` is
    multiplied by ``class_weight_[c]`` (and by its ``sample_weight``), and
    the batch loss is the weighted mean, as in ``torch.nn.CrossEntropyLoss``
    with ``weight=``.

    Parameters
    ----------
    {module_param}

    {class_weight}

    reweight_epoch : int or None, default=None
        Deferred re-weighting (DRW, Cao et al., 2019): train with uniform class
        weights until this epoch (0-based), then with ``class_weight_``.
        Needs a criterion with a ``weight``. With early stopping the uniform
        epochs are a warm-up: the best epoch is one of the re-weighted ones,
        and the patience counts from the first of them (a fit that ends
        before it keeps its last epoch's weights, ``best_epoch_`` None).

    {net_params}

    Attributes
    ----------
    class_weight_ : ndarray of shape (n_classes,)
        The weight of each class, aligned with ``classes_``.

    {fitted_attrs}

    See Also
    --------
    WeightedSamplerClassifier : Rebalance the batches instead of the loss.

    Notes
    -----
    A loss weighted by ``w`` trains the net for the prior proportional to
    ``class_prior_ * w`` (the weights at the last epoch, so uniform ones
    before ``reweight_epoch``): ``training_prior_``. With
    ``class_weight='balanced'`` that is uniform, so the predictions as trained
    are the balanced decision rule, and ``prior='train'`` turns them back
    into calibrated probabilities for data like the training data (King and
    Zeng, 2001). For the criteria's own priors see ``training_prior_``.

    References
    ----------
    King, G. and Zeng, L. (2001). Logistic Regression in Rare Events Data.
    Political Analysis 9(2), 137-163.

    Examples
    --------
    >>> import numpy as np
    >>> from skimb import WeightedLossClassifier
    >>> X = np.r_[np.zeros((90, 2)), np.ones((10, 2))]
    >>> y = np.r_[np.zeros(90, int), np.ones(10, int)]
    >>> clf = WeightedLossClassifier(max_epochs=2, random_state=0).fit(X, y)
    >>> clf.class_weight_
    array([0.55555556, 5.        ])
    >>> clf.training_prior_.round(6)
    array([0.5, 0.5])
    >>> p_trained = clf.predict_proba(X[:1])
    >>> p_train = clf.set_params(prior="train").predict_proba(X[:1])
    >>> bool(p_train[0, 1] < p_trained[0, 1])  # back to the 1:9 frequencies
    True
    """

    _parameter_constraints: dict = {
        **NetClassifier._parameter_constraints,
        "class_weight": CLASS_WEIGHT_CONSTRAINTS,
        "reweight_epoch": [None, Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        module=SimpleNet,
        *,
        class_weight="balanced",
        reweight_epoch=None,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=BUDGET.lr,
        max_epochs=BUDGET.max_epochs,
        batch_size="auto",
        iterator_train=DataLoader,
        iterator_valid=DataLoader,
        dataset=SkorchDataset,
        train_split=None,
        callbacks=None,
        predict_nonlinearity="auto",
        warm_start=False,
        verbose=0,
        device="auto",
        compile=False,
        use_caching="auto",
        torch_load_kwargs=None,
        random_state=None,
        prior=None,
        n_threads="auto",
        early_stopping="auto",
        validation_fraction=BUDGET.validation_fraction,
        n_iter_no_change="auto",
        early_stopping_score="average_precision",
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            iterator_train=iterator_train,
            iterator_valid=iterator_valid,
            dataset=dataset,
            train_split=train_split,
            callbacks=callbacks,
            predict_nonlinearity=predict_nonlinearity,
            warm_start=warm_start,
            verbose=verbose,
            device=device,
            compile=compile,
            use_caching=use_caching,
            torch_load_kwargs=torch_load_kwargs,
            random_state=random_state,
            prior=prior,
            n_threads=n_threads,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            early_stopping_score=early_stopping_score,
            **kwargs,
        )
        self.class_weight = class_weight
        self.reweight_epoch = reweight_epoch

    def _stopping_start(self):
        # The uniform epochs before deferred re-weighting are a warm-up.
        return self.reweight_epoch or 0

    @property
    def _default_callbacks(self):
        callbacks = list(super()._default_callbacks)
        if self.reweight_epoch is not None:
            callbacks.append(
                ("deferred_reweighting", DeferredReweighting(self.reweight_epoch))
            )
        return callbacks

    def initialize_criterion(self):
        # Hand the criterion what it needs from y: class weights (``weight``)
        # and class counts (``class_counts``, for logit adjustment and LDAM).
        kwargs = self.get_params_for("criterion")
        criterion = self.criterion
        if isinstance(criterion, type) and hasattr(self, "class_weight_"):
            accepted = inspect.signature(criterion).parameters
            if "weight" in accepted and "weight" not in kwargs:
                kwargs["weight"] = torch.as_tensor(
                    self.class_weight_, dtype=torch.float32
                )
            if "class_counts" in accepted and "class_counts" not in kwargs:
                kwargs["class_counts"] = torch.as_tensor(
                    self.class_counts_, dtype=torch.float32
                )
        self.criterion_ = self.initialized_instance(criterion, kwargs)
        return self
