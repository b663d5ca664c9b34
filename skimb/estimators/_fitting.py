"""Fit preparation: parameters, data, labels and seeds, with rollback.

``fit`` reads straight down: the parameter table is checked before anything
else (:meth:`_check_params`), then the data and the labels are validated
and encoded, the class counts taken, and the training data moved to the
device once (:meth:`_prepare_fit`). Everything up to the first epoch
succeeds or leaves the estimator as it was (:meth:`_begin_fit`).
"""

import contextlib
import inspect

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, validate_data

from .._utils.device import (
    check_device,
    check_fits_on_device,
    seeded,
    training_threads,
)
from .._utils.docstring import Substitution
from .._utils.labels import check_targets, unique_labels
from .._utils.validation import validate_params
from ._batches import (
    X_CHECKS,
    DeviceDataset,
    dataset_arrays,
    is_internal_dataset,
    to_device,
)
from ._budget import auto_batch_size, auto_lr
from ._prior import check_prior
from ._training import Member, loop_reason, train
from ._weighting import class_counts

__all__ = ["FitMixin"]

# The parts of fit's and partial_fit's docstrings they share.
_FIT_DOCS = Substitution(
    sample_weight="""sample_weight : array-like of shape (n_samples,), default=None
            Non-negative per-sample weights; they multiply the class weights.""",
    fit_tail="""**fit_params : dict
            Passed to the module's ``forward`` (skorch's convention).

        Returns
        -------
        self""",
)


class FitMixin:
    """``fit`` and ``partial_fit`` over skorch's ``partial_fit``.

    The estimator's ``_parameter_constraints`` (one table per estimator, as
    in imbalanced-learn) are checked first; the checks that need the data
    are the ``check_*`` functions called on the way.
    """

    _parameter_constraints: dict = {}

    # ---- fit -----------------------------------------------------------------
    @_FIT_DOCS
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, **fit_params):
        """Initialise (unless ``warm_start``) and train the net.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or torch Dataset
            Training data; DataFrames keep their column names.
        y : array-like of shape (n_samples,)
            Class labels of any type (strings, non-contiguous ints, ...).
        {sample_weight}
        X_val : array-like of shape (n_val, n_features), default=None
            A validation set for early stopping, used instead of holding out
            ``validation_fraction`` of ``X`` (all of ``X`` then trains). It
            turns ``early_stopping='auto'`` on; with ``early_stopping=False``
            it is an error. Give it with ``y_val``.
        y_val : array-like of shape (n_val,), default=None
            Labels of ``X_val``, all among those of ``y``.
        {fit_tail}
        """
        fresh = not self.warm_start or not self.initialized_
        return self._fit(
            X,
            y,
            sample_weight,
            fit_params,
            fresh=fresh,
            classes=None,
            validation=(X_val, y_val),
        )

    @_FIT_DOCS
    def partial_fit(self, X, y, classes=None, sample_weight=None, **fit_params):
        """Train for ``max_epochs`` more epochs without re-initialising.

        The first call initialises the net; ``classes`` may then list every
        label that later calls will bring. The class counts (and so the class
        weights) accumulate over the calls.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data; DataFrames keep their column names.
        y : array-like of shape (n_samples,)
            Class labels; after the first call, only labels in ``classes_``.
        classes : array-like of shape (n_classes,), default=None
            Every label of the whole stream, given to the first call (default:
            the labels in its ``y``); a later call may repeat the same set.
        {sample_weight}
        {fit_tail}
        """
        fresh = not self.initialized_
        return self._fit(
            X, y, sample_weight, fit_params, fresh=fresh, classes=classes, partial=True
        )

    def _fit(
        self,
        X,
        y,
        sample_weight,
        fit_params,
        *,
        fresh,
        classes,
        partial=False,
        validation=(None, None),
    ):
        dataset, y_enc, device, seed = self._begin_fit(
            X,
            y,
            sample_weight,
            fresh=fresh,
            classes=classes,
            partial=partial,
            validation=validation,
        )
        try:
            with seeded(seed, device), self._threads(device) as tuner:
                iterator = self.get_iterator(dataset, training=True)
                if fit_params or loop_reason(self, iterator) is not None:
                    # A net that needs skorch's per-batch hooks, or passes
                    # fit_params to its module, trains in skorch's loop.
                    super().partial_fit(dataset, y_enc, **fit_params)
                else:
                    member = Member(self, dataset, y_enc, device, iterator)
                    train([member], tuner=tuner)
        finally:
            self._drop_fit_state()
        return self

    @contextlib.contextmanager
    def _threads(self, device, n_nets=1):
        """Train with the torch threads ``n_threads`` asks for, restoring the
        caller's after; yields the :class:`~skimb._utils.device.ThreadTuner`
        of ``n_threads='auto'`` (None without one), which the training loop
        calls once per step. The work per step counts ``n_nets`` copies of
        the module trained in one loop."""
        params = sum(p.numel() for p in self.module_.parameters())
        work = 6.0 * self.batch_size_ * params * n_nets  # forward + backward
        with training_threads(self.n_threads, device, work) as tuner:
            yield tuner

    def _begin_fit(
        self,
        X,
        y,
        sample_weight,
        *,
        fresh,
        classes,
        partial=False,
        validation=(None, None),
    ):
        """Everything a fit does before its first epoch: validate, derive this
        fit's seed, seed the batch generator, hold out the validation part,
        set the budget, initialise (when ``fresh``).

        ``validation`` is ``(X_val, y_val)``. Returns ``(dataset, y_enc,
        device, seed)``, the training part only; the training loop then
        runs under ``seeded(seed, device)``. Shared with
        :func:`skimb.estimators.fit_many`, so a net trained in one loop with
        others starts exactly where a separate one does.
        """
        # Everything up to the first optimizer step either succeeds or leaves
        # the estimator exactly as it was: a bad input never costs a fitted model.
        saved = dict(self.__dict__)
        try:
            dataset, y_enc, device = self._prepare_fit(
                X, y, sample_weight, fresh=fresh, classes=classes, partial=partial
            )
            seed = (self._seed + 7919 * self._fit_calls) % (2**63 - 1)
            self._fit_calls += 1
            generator = torch.Generator(device=device)
            generator.manual_seed(seed + 1)
            self.__dict__["_fit_generator"] = generator
            dataset, y_enc = self._open_validation(
                dataset, y_enc, seed, *validation, fresh=fresh, partial=partial
            )
            self._resolve_budget(len(y_enc), fresh=fresh)
            if fresh:
                with seeded(seed, device):
                    self.initialize()
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise
        return dataset, y_enc, device, seed

    # ---- parameters ----------------------------------------------------------
    def _check_params(self):
        """Check every parameter against ``_parameter_constraints``, then the
        rules between parameters; return the training device.

        Runs first in every fit, before any data are read or moved.
        """
        validate_params(self.get_params(deep=False), self._parameter_constraints)
        self._check_early_stopping_params()
        if self.use_caching is False and self.train_split is not None:
            raise ValueError(
                "use_caching=False is not supported with a train_split: skimb's "
                "scoring callbacks read the validation predictions cached during "
                "the epoch. Use use_caching='auto' (the default) or True."
            )
        return check_device(self.__dict__.get("_device_param", "auto"))

    def _resolve_budget(self, n_rows, *, fresh):
        """``batch_size_`` and ``lr_`` for ``n_rows`` training rows.

        ``batch_size='auto'`` and its learning rate are chosen by the first
        fit and kept by ``partial_fit`` and ``warm_start``; an integer batch
        size is read at every fit, as skorch does.
        """
        lr = self.__dict__.get("optimizer__lr")  # an explicit one is the user's
        if self.batch_size != "auto":
            self.batch_size_ = int(
                max(n_rows, 1) if self.batch_size == -1 else self.batch_size
            )
            if fresh or "lr_" not in self.__dict__:
                self.lr_ = float(self.lr if lr is None else lr)
        elif fresh or "batch_size_" not in self.__dict__:
            self.batch_size_ = auto_batch_size(n_rows)
            self.lr_ = auto_lr(self.lr, self.batch_size_) if lr is None else float(lr)

    # ---- data ----------------------------------------------------------------
    def _prepare_fit(self, X, y, sample_weight, *, fresh, classes, partial):
        """Validate the parameters and data; return the device-resident dataset."""
        device = self._check_params()
        if isinstance(X, torch.utils.data.Dataset) and not is_internal_dataset(X):
            self._reject_user_dataset(X)
        if isinstance(X, torch.Tensor):
            X = X.detach().cpu().numpy()
        self._check_input_size(X, device)
        X, y = validate_data(self, X, y, reset=fresh, ensure_min_samples=1, **X_CHECKS)
        check_targets(y)
        y_enc = self._encode_labels(y, fresh=fresh, classes=classes)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )
        counts = class_counts(self.classes_, y, sample_weight)
        if fresh:
            self._n_flat_features = int(np.prod(X.shape[1:]))
            self._fit_calls = 0
            self._seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        elif partial:
            # partial_fit accumulates the class statistics of everything seen,
            # so a class absent from the first chunk is weighted once it comes.
            counts = counts + self.class_counts_
        self.class_counts_ = counts
        self.class_prior_ = counts / counts.sum()
        # prior is read at prediction; a bad one fails here, before training.
        check_prior(self.prior, classes=self.classes_, class_prior=self.class_prior_)
        self._resolve_weights()
        if sample_weight is not None and np.all(sample_weight == sample_weight[0]):
            # Constant weights cancel in the normalised weighted mean (after
            # they counted in the class statistics above).
            sample_weight = None
        dataset = self._to_device_dataset(X, y_enc, sample_weight, device)
        self._check_train_data(dataset)
        return dataset, y_enc, device

    def _reject_user_dataset(self, X):
        raise TypeError(
            "skimb estimators take array-like X (numpy, pandas, torch tensors); "
            f"got a {type(X).__name__}. Pass arrays, or use skorch's "
            "NeuralNetClassifier for custom Datasets."
        )

    def _encode_labels(self, y, *, fresh, classes):
        if fresh:
            if classes is not None:
                labels = np.unique(np.asarray(classes))
                missing = np.setdiff1d(unique_labels(y), labels)
                if missing.size:
                    raise ValueError(
                        f"y holds labels {missing.tolist()!r} that are not in "
                        f"classes={labels.tolist()!r}."
                    )
            else:
                labels = unique_labels(y)
            if len(labels) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes; "
                    f"y holds only one class: {labels.tolist()!r}."
                )
            self.__dict__["_classes"] = labels
        elif classes is not None and not np.array_equal(
            np.unique(np.asarray(classes)), self.classes_
        ):
            raise ValueError(
                f"classes={np.unique(np.asarray(classes)).tolist()!r} differs from the "
                f"classes of the first partial_fit call {self.classes_.tolist()!r}."
            )
        return self._encode(y, "y", "in the first fit")

    def _encode(self, y, what, seen):
        """``y`` as indices into ``classes_``; a label not there is an error."""
        labels = self.classes_
        y_enc = np.searchsorted(labels, y)
        unseen = (y_enc >= len(labels)) | (
            labels[np.minimum(y_enc, len(labels) - 1)] != y
        )
        if unseen.any():
            raise ValueError(
                f"{what} holds labels {np.unique(y[unseen]).tolist()!r} that were not "
                f"seen {seen}; classes_ is {labels.tolist()!r}."
            )
        return y_enc.astype(np.int64)

    def _resolve_weights(self):
        """Derive what the loss or the sampler needs from ``class_counts_``,
        before the criterion is initialised (a hook: nothing here)."""

    def _check_input_size(self, X, device):
        shape = getattr(X, "shape", None)
        if shape is None or len(shape) < 2:
            return  # validate_data reports malformed input
        n_bytes = 4 * int(np.prod(shape, dtype=np.float64))
        device = torch.device(device)
        on_host_already = (
            device.type == "cpu"
            and getattr(X, "dtype", None) == np.float32
            and not sp.issparse(X)
        )
        if not on_host_already:
            check_fits_on_device(n_bytes, device)

    def _check_train_data(self, dataset):
        """Checks that need the device-resident data (sampler options)."""

    def _to_device_dataset(self, X, y_enc, sample_weight, device):
        y_t = torch.as_tensor(y_enc, device=device)
        w_t = None
        if sample_weight is not None:
            w_t = torch.as_tensor(sample_weight, dtype=torch.float32, device=device)
        return DeviceDataset(to_device(X, device), y_t, w_t)

    # ---- skorch hooks that need what fit derived from the data ---------------
    def get_params_for_optimizer(self, prefix, named_parameters):
        # The optimizer's learning rate is lr_, which batch_size='auto' scales
        # (skorch would read lr); an explicit optimizer__lr still wins.
        args, kwargs = super().get_params_for_optimizer(prefix, named_parameters)
        if (
            prefix == "optimizer"
            and "lr" not in self.get_params_for(prefix)
            and "lr_" in self.__dict__
        ):
            kwargs["lr"] = self.lr_
        return args, kwargs

    def initialize_module(self):
        kwargs = self.get_params_for("module")
        module = self.module
        if isinstance(module, type):
            accepted = inspect.signature(module).parameters
            n_features = getattr(self, "_n_flat_features", None)
            if (
                "n_features" in accepted
                and "n_features" not in kwargs
                and n_features is not None
            ):
                kwargs["n_features"] = n_features
            if (
                "n_classes" in accepted
                and "n_classes" not in kwargs
                and "_classes" in self.__dict__
            ):
                kwargs["n_classes"] = len(self.classes_)
        self.module_ = self.initialized_instance(module, kwargs)
        return self

    def check_data(self, X, y=None):
        # Labels are validated and encoded in fit; skorch's np.unique is redundant.
        pass

    def get_split_datasets(self, X, y=None, **fit_params):
        # A validation set the user gave (skorch's predefined_split of a
        # Dataset) holds raw arrays and the original labels: validated and
        # encoded here like the training data, it is scored as they are.
        dataset_train, dataset_valid = super().get_split_datasets(X, y, **fit_params)
        if dataset_valid is not None and not is_internal_dataset(dataset_valid):
            dataset_valid = self._validation_dataset(dataset_valid)
        return dataset_train, dataset_valid

    def _validation_dataset(self, dataset):
        X, y = dataset_arrays(dataset)
        if y is None:
            raise ValueError(
                "The validation set from train_split has no labels; give it as "
                "skorch's Dataset(X_valid, y_valid)."
            )
        X = self._check_X(X)
        y = np.asarray(y).reshape(-1)
        if len(y) != len(X):
            raise ValueError(
                f"The validation set from train_split has {len(X)} samples in X "
                f"and {len(y)} labels."
            )
        y_enc = self._encode(y, "The validation set", "in training")
        device = self.device
        return DeviceDataset(
            to_device(X, device), torch.as_tensor(y_enc, device=device)
        )
