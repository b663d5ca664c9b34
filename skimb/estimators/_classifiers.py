"""The skimb estimators: skorch classifiers that are scikit-learn classifiers.

``NetClassifier`` is the plain baseline; ``WeightedLossClassifier`` puts class
weights into the loss; ``WeightedSamplerClassifier`` draws class-weighted
batches on the training device. The two weighted estimators share
``ClassWeightMixin``; all three share the fit machinery of
:class:`skimb.estimators._base.BaseNetClassifier`.
"""

import inspect

import numpy as np
import torch
from skorch.dataset import Dataset as SkorchDataset
from torch.utils.data import DataLoader

from .._utils.docstring import NET_DOCS, Substitution
from ..nn._simple_net import SimpleNet
from ._base import BaseNetClassifier
from ._batches import WeightedSamplerBatches
from ._callbacks import DeferredReweighting
from ._weighting import check_class_weight, check_num_samples

__all__ = [
    "ClassWeightMixin",
    "NetClassifier",
    "WeightedLossClassifier",
    "WeightedSamplerClassifier",
]


class ClassWeightMixin:
    """Class weights resolved at fit from ``class_weight`` and the class counts.

    For the estimators that have a ``class_weight`` parameter: the weights
    become ``class_weight_`` before the criterion is initialised, and stay in
    step with the counts (``partial_fit`` accumulates them).
    """

    _FITTED_ATTRS = (*BaseNetClassifier._FITTED_ATTRS, "class_weight_")

    def _resolve_weights(self):
        super()._resolve_weights()
        self.class_weight_ = check_class_weight(
            self.class_weight, classes=self.classes_, counts=self.class_counts_
        )
        self._zero_class_weight = bool((self.class_weight_ == 0).any())
        weight = getattr(self.__dict__.get("criterion_"), "weight", None)
        if (
            isinstance(weight, torch.Tensor)
            and "criterion__weight" not in self.__dict__
            and weight.shape == self.class_weight_.shape
        ):
            with torch.no_grad():
                weight.copy_(torch.as_tensor(self.class_weight_, dtype=weight.dtype))

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if self.__dict__.get("_zero_class_weight", False) and not (
            isinstance(X, dict) and "sample_weight" in X
        ):
            # A batch of zero-weight classes only would make torch's weighted
            # mean 0/0 = NaN and wreck the parameters; the guarded mean gives 0.
            ones = torch.ones(len(y_pred), dtype=y_pred.dtype, device=y_pred.device)
            return self._sample_weighted_loss(y_pred, y_true, ones)
        return super().get_loss(y_pred, y_true, X=X, training=training)


_SHARED_PARAMS = Substitution(**NET_DOCS)


@_SHARED_PARAMS
class NetClassifier(BaseNetClassifier):
    """A skorch classifier that behaves like any scikit-learn classifier.

    The baseline of skimb: no imbalance handling, but the same validation,
    label encoding, device-resident batches and seeding as the weighted
    estimators, so comparisons differ in one thing only.

    Parameters
    ----------
    {module_param}

    {net_params}

    Attributes
    ----------
    {fitted_attrs}

    See Also
    --------
    WeightedLossClassifier : Class weights in the loss.
    WeightedSamplerClassifier : Class-weighted sampling of the batches.

    Notes
    -----
    With cross-entropy the net estimates the posterior under the training
    frequencies, so ``training_prior_`` is ``class_prior_`` and
    ``prior='train'`` changes nothing; ``prior='balanced'`` is post-hoc logit
    adjustment (Menon et al., 2021).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skimb import NetClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = NetClassifier(max_epochs=5, module__hidden_units=16, random_state=0)
    >>> clf.fit(X, y).predict(X[:3]).shape
    (3,)
    """

    def __init__(
        self,
        module=SimpleNet,
        *,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=30,
        batch_size=64,
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
            **kwargs,
        )
        # skorch's NeuralNetClassifier sets a public ``classes``; skimb learns
        # ``classes_`` from y instead.
        del self.__dict__["classes"]
        self.random_state = random_state
        self.prior = prior
        self.n_threads = n_threads


@_SHARED_PARAMS
class WeightedLossClassifier(ClassWeightMixin, NetClassifier):
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
        Needs a criterion with a ``weight``.

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

    def __init__(
        self,
        module=SimpleNet,
        *,
        class_weight="balanced",
        reweight_epoch=None,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=30,
        batch_size=64,
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
            **kwargs,
        )
        self.class_weight = class_weight
        self.reweight_epoch = reweight_epoch

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


@_SHARED_PARAMS
class WeightedSamplerClassifier(ClassWeightMixin, NetClassifier):
    """Class-weighted random sampling of the training batches, on the device.

    PyTorch's ``WeightedRandomSampler`` idea without the per-sample
    DataLoader: each epoch draws ``num_samples`` indices, sample
    ``i`` with probability proportional to
    ``class_weight_[y_i] * sample_weight_i``. The draws happen on the
    training device; the loss is unweighted.

    Parameters
    ----------
    {module_param}

    {class_weight}

    num_samples : int or None, default=None
        Draws per epoch; ``None`` means one per training sample. The number
        of optimizer steps per epoch is ``ceil(num_samples / batch_size)``.

    replacement : bool, default=True
        Draw with replacement (oversampling). Without replacement each epoch
        is a weighted subsample of at most the number of samples with a
        non-zero weight; a larger ``num_samples`` is rejected.

    schedule : {'constant', 'progressive'}, default='constant'
        ``'progressive'`` moves the class probabilities from instance-balanced
        (proportional to the class counts) at the first epoch towards the
        ``class_weight`` target, linearly over ``max_epochs``:
        ``p(t) = (1 - t/T) p_instance + (t/T) p_target`` (progressively-
        balanced sampling, Kang et al., 2020).

    {net_params}

    Attributes
    ----------
    class_weight_ : ndarray of shape (n_classes,)
        The sampling weight of each class, aligned with ``classes_``.

    num_samples_ : int
        Draws per epoch used in the last fit.

    {fitted_attrs}

    See Also
    --------
    WeightedLossClassifier : Reweight the loss instead of the batches.
    imblearn.over_sampling.RandomOverSampler : The same idea done once, on the host.

    Notes
    -----
    The net sees classes with the sampler's class probabilities, so
    ``training_prior_`` is the last epoch's (the final step of
    ``schedule='progressive'``): with replacement the draw probabilities
    ``class_prior_ * class_weight_`` (normalised), without replacement the
    classes' shares of the last epoch's draws.

    Examples
    --------
    >>> import numpy as np
    >>> from skimb import WeightedSamplerClassifier
    >>> X = np.r_[np.zeros((90, 2)), np.ones((10, 2))]
    >>> y = np.r_[np.zeros(90, int), np.ones(10, int)]
    >>> clf = WeightedSamplerClassifier(max_epochs=2, num_samples=128,
    ...                                 batch_size=32, random_state=0).fit(X, y)
    >>> clf.history_[-1, "train_batch_count"]
    4
    """

    def __init__(
        self,
        module=SimpleNet,
        *,
        class_weight="balanced",
        num_samples=None,
        replacement=True,
        schedule="constant",
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=30,
        batch_size=64,
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
            **kwargs,
        )
        self.class_weight = class_weight
        self.num_samples = num_samples
        self.replacement = replacement
        self.schedule = schedule

    _FITTED_ATTRS = (*ClassWeightMixin._FITTED_ATTRS, "num_samples_")

    def _check_train_data(self, dataset):
        if not isinstance(self.replacement, (bool, np.bool_)):
            raise TypeError(
                f"replacement must be True or False; got {self.replacement!r}."
            )
        if self.schedule not in ("constant", "progressive"):
            raise ValueError(
                f"schedule must be 'constant' or 'progressive'; got {self.schedule!r}."
            )
        if self.schedule == "progressive" and not self.replacement:
            raise ValueError(
                "schedule='progressive' draws with replacement; got replacement=False."
            )
        self.num_samples_ = self._resolve_num_samples(dataset, None)

    def _resolve_num_samples(self, dataset, index):
        """Draws per epoch on the training part (the whole data, or the
        training split's ``index``); without replacement at most the number
        of samples with a non-zero draw probability there."""
        y = dataset.y if index is None else dataset.y.index_select(0, index)
        n_positive = None
        if not self.replacement:
            p = self.class_weight_[y.cpu().numpy()]
            if dataset.sample_weight is not None:
                sw = dataset.sample_weight
                sw = sw if index is None else sw.index_select(0, index)
                p = p * sw.cpu().numpy()
            n_positive = int(np.count_nonzero(p))
        num_samples = self.num_samples
        if num_samples is None and n_positive is not None:
            num_samples = min(len(y), n_positive)
        return check_num_samples(
            num_samples,
            len(y),
            replacement=bool(self.replacement),
            n_positive=n_positive,
        )

    def _train_batches(self, dataset, index, batch_size):
        if index is not None:  # a validation split: draw from the training part
            self.num_samples_ = self._resolve_num_samples(dataset, index)
        num_samples = self.num_samples_
        batches = WeightedSamplerBatches(
            dataset,
            index,
            batch_size,
            class_weight=torch.as_tensor(self.class_weight_),
            num_samples=num_samples,
            replacement=bool(self.replacement),
            generator=self._generator,
            progress=self._progress if self.schedule == "progressive" else None,
        )
        # Read by _class_distribution for training_prior_; dropped at the end
        # of training so that no device tensors outlive fit.
        self.__dict__["_sampler_batches"] = batches
        return batches

    def _class_distribution(self):
        batches = self.__dict__.get("_sampler_batches")
        if batches is not None:
            return batches.class_probabilities.double().cpu().numpy()
        if self.schedule == "progressive":  # no epoch drawn yet
            return self.class_prior_
        return self.class_prior_ * self.class_weight_  # criterion_prior normalises

    def on_train_end(self, net, X=None, y=None, **kwargs):
        try:
            super().on_train_end(net, X=X, y=y, **kwargs)
        finally:
            self.__dict__.pop("_sampler_batches", None)

    def _progress(self):
        # Fraction of the way from instance- to class-balanced draws at the
        # current epoch, t / T with t counted over the whole history.
        epoch = len(self.history) - 1
        return min(1.0, epoch / max(1, self.max_epochs))
