"""Class-weighted sampling of the training batches, drawn on the device."""

from numbers import Integral

import numpy as np
import torch
from skorch.dataset import Dataset as SkorchDataset
from torch.utils.data import DataLoader

from .._utils.docstring import NET_DOCS, Substitution
from .._utils.validation import Boolean, Interval, Options
from ..nn._simple_net import SimpleNet
from ..nn._small_cnn import image_shape
from ._augment import shift_rare_rows
from ._batches import WeightedSamplerBatches
from ._budget import BUDGET
from ._net import NetClassifier
from ._weighting import CLASS_WEIGHT_CONSTRAINTS, check_num_samples

__all__ = ["WeightedSamplerClassifier"]


@Substitution(**NET_DOCS)
class WeightedSamplerClassifier(NetClassifier):
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
        balanced sampling, Kang et al., 2020). Early stopping may end the
        fit before the draws reach the target: for the whole schedule set
        ``early_stopping=False`` (as ``skimb compare`` does for the
        ``progressive-sampler`` method).

    augment_shift : int >= 0, default=0
        Augment the rare classes' images: at every draw, shift each
        training image of a class with at most half the largest class's
        count by a random offset of up to ``augment_shift`` pixels in each
        direction (zeros come in at the border), on the training device.
        The images are ``X``'s samples (``(n, channels, height, width)``
        arrays, or flat rows of a square number of pixels). 0 turns it off.

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

    _parameter_constraints: dict = {
        **NetClassifier._parameter_constraints,
        "class_weight": CLASS_WEIGHT_CONSTRAINTS,
        "num_samples": [None, Interval(Integral, 1, None, closed="left")],
        "replacement": [Boolean()],
        "schedule": [Options("constant", "progressive")],
        "augment_shift": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        module=SimpleNet,
        *,
        class_weight="balanced",
        num_samples=None,
        replacement=True,
        schedule="constant",
        augment_shift=0,
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
        self.num_samples = num_samples
        self.replacement = replacement
        self.schedule = schedule
        self.augment_shift = augment_shift

    _FITTED_ATTRS = (*NetClassifier._FITTED_ATTRS, "num_samples_")

    def _batch_augmenter(self):
        """``augment(X, y)`` for the training batches, or None."""
        if not self.augment_shift:
            return None
        counts = torch.as_tensor(self.class_counts_)
        rare = (counts <= counts.max() / 2).to(self.device)
        shape = image_shape(self._input_shape, "X's samples")
        generator, shift = self._generator, int(self.augment_shift)
        return lambda X, y: shift_rare_rows(X, y, rare, shape, shift, generator)

    def _check_params(self):
        device = super()._check_params()
        if self.schedule == "progressive" and not self.replacement:
            raise ValueError(
                "schedule='progressive' draws with replacement; got replacement=False."
            )
        return device

    def _check_train_data(self, dataset):
        self.num_samples_ = self._resolve_num_samples(dataset, None)
        if self.augment_shift:
            image_shape(self._input_shape, "X's samples")  # an error before training

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
        # Read by _class_distribution for training_prior_; dropped with the
        # fit's state so that no device tensors outlive fit.
        self._fit_run.sampler_batches = batches
        return batches

    def _class_distribution(self):
        run = self._fit_run
        batches = None if run is None else run.sampler_batches
        if batches is not None:
            return batches.class_probabilities.double().cpu().numpy()
        if self.schedule == "progressive":  # no epoch drawn yet
            return self.class_prior_
        return self.class_prior_ * self.class_weight_  # criterion_prior normalises

    def _progress(self):
        # Fraction of the way from instance- to class-balanced draws at the
        # current epoch, t / T with t counted over the whole history.
        epoch = len(self.history) - 1
        return min(1.0, epoch / max(1, self.max_epochs))
