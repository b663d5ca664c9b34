"""The fit and predict machinery every skimb estimator shares.

``BaseNetClassifier`` makes a skorch ``NeuralNetClassifier`` a scikit-learn
classifier (fitted state behind properties, parameters from the constructor
signature), validates input with ``validate_data``, encodes any labels, moves
the training data to the device once per fit, draws the batches there and
rolls a failed fit back. It knows nothing of class weights: the weighted
estimators in :mod:`skimb.estimators` add them.
"""

import functools
import inspect
import numbers
from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)
from skorch import NeuralNetClassifier
from skorch.callbacks import Callback, EpochScoring
from skorch.callbacks.scoring import ScoringBase
from skorch.utils import to_numpy
from torch.utils.data import Subset

from .._utils.device import (
    check_device,
    check_fits_on_device,
    choose_threads,
    on_device,
    resolve_device,
    seeded,
    torch_threads,
)
from .._utils.validation import check_number
from ..nn._losses import FocalLoss, LDAMLoss, LogitAdjustedLoss
from ._batches import (
    DeviceDataset,
    SequentialBatches,
    ShuffledBatches,
    _Batches,
    resolve_dataset,
)
from ._callbacks import QuietPrintLog
from ._prior import check_prior, criterion_prior, shift_log_proba
from ._weighting import class_counts

__all__ = ["BaseNetClassifier"]

# Hooks called at every batch; skipped when nothing implements them.
_PER_BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_grad_computed")

# Rows per forward pass at prediction time (training uses batch_size).
PREDICT_BATCH_SIZE = 4096

_FUSABLE_OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD)

# Criteria that take logits: predict_proba applies a softmax after them.
_LOGIT_LOSSES = (torch.nn.CrossEntropyLoss, LogitAdjustedLoss, FocalLoss, LDAMLoss)


def _dense(X):
    # The net trains on dense device tensors; the memory check before this
    # (``_check_input_size``) counted the dense size, not the sparse one.
    return X.toarray() if sp.issparse(X) else X


def _is_internal_dataset(X):
    while isinstance(X, Subset):
        X = X.dataset
    return isinstance(X, DeviceDataset)


class BaseNetClassifier(NeuralNetClassifier):
    """The machinery shared by the skimb estimators (kept out of ``__init__``).

    Not for direct use: the public estimators define the constructor (and so
    the parameters) and the class-weight behaviour.

    skorch keeps ``initialized_``, ``history_`` and ``virtual_params_`` as
    public attributes set in ``__init__``; scikit-learn forbids that, so they
    live in private slots behind properties. ``device='auto'`` is stored as
    given and resolved whenever skorch reads ``self.device``.
    """

    # Fitted attributes that skimb.save stores beside classes_ and the weights.
    _FITTED_ATTRS = (
        "n_features_in_",
        "feature_names_in_",
        "class_counts_",
        "class_prior_",
        "training_prior_",
    )

    # ---- skorch bookkeeping behind properties -------------------------------
    @property
    def initialized_(self):
        return self.__dict__.get("_initialized", False)

    @initialized_.setter
    def initialized_(self, value):
        self.__dict__["_initialized"] = value

    @property
    def history_(self):
        return self.__dict__.get("_history")

    @history_.setter
    def history_(self, value):
        self.__dict__["_history"] = value

    @property
    def virtual_params_(self):
        return self.__dict__.setdefault("_virtual_params", {})

    @virtual_params_.setter
    def virtual_params_(self, value):
        self.__dict__["_virtual_params"] = value

    @property
    def device(self):
        return resolve_device(self.__dict__.get("_device_param", "auto"))

    @device.setter
    def device(self, value):
        self.__dict__["_device_param"] = value

    @property
    def classes_(self):
        try:
            return self.__dict__["_classes"]
        except KeyError:
            raise AttributeError(
                f"{type(self).__name__} has no attribute 'classes_' before fit."
            ) from None

    def _get_param_names(self):
        # The constructor's parameters plus skorch's ``prefix__name`` ones, so
        # that private fitted state never leaks into get_params.
        sig = inspect.signature(type(self).__init__)
        names = {
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind is not p.VAR_KEYWORD
        }
        names |= {
            k
            for k in self.__dict__
            if "__" in k and not k.startswith("_") and not k.endswith("_")
        }
        # Any other keyword given at init or set_params is a parameter too;
        # skorch rejects unknown names at fit (initialize), not before.
        names |= {
            k
            for k in self.__dict__.get("_params_to_validate", ())
            if k in self.__dict__ and not k.startswith("callbacks")
        }
        return sorted(names)

    def get_params(self, deep=True, **kwargs):
        params = super().get_params(deep=deep, **kwargs)
        params["device"] = self.__dict__.get("_device_param", "auto")
        return params

    def set_params(self, **params):
        # skorch initialises callbacks as soon as ``callbacks`` is set; like
        # any scikit-learn parameter it is only stored here and checked at fit.
        if "callbacks" in params:
            callbacks = params.pop("callbacks")
            self.callbacks = callbacks
            if self.initialized_ and isinstance(callbacks, (list, tuple, type(None))):
                self._initialize_callbacks()
        return super().set_params(**params) if params else self

    def __setstate__(self, state):
        raw = state.get("_device_param", "auto")
        state = dict(state)
        state["device"] = resolve_device(raw)
        super().__setstate__(state)
        checked = self.__dict__.pop("device")
        self.__dict__["_device_param"] = raw if raw == "auto" else checked

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = False
        return tags

    # ---- parameter checks ----------------------------------------------------
    def _check_params(self):
        if self.batch_size != -1 or isinstance(self.batch_size, bool):
            check_number(
                self.batch_size,
                "batch_size",
                numbers.Integral,
                min_val=1,
                allowed="a positive integer or -1 (all samples)",
            )
        check_number(self.max_epochs, "max_epochs", numbers.Integral, min_val=0)
        if self.n_threads not in ("auto", None):
            check_number(
                self.n_threads,
                "n_threads",
                numbers.Integral,
                min_val=1,
                allowed="'auto', None or a positive integer",
            )
        check_number(self.lr, "lr", min_val=0)
        if not isinstance(self.callbacks, (list, tuple, type(None))):
            raise TypeError(
                "callbacks must be None or a list of skorch callbacks or "
                f"(name, callback) tuples; got {self.callbacks!r}."
            )
        if self.use_caching is False and self.train_split is not None:
            raise ValueError(
                "use_caching=False is not supported with a train_split: skimb's "
                "scoring callbacks read the validation predictions cached during "
                "the epoch. Use use_caching='auto' (the default) or True."
            )
        check_random_state(self.random_state)
        return check_device(self.__dict__.get("_device_param", "auto"))

    # ---- skorch hooks --------------------------------------------------------
    @property
    def _default_callbacks(self):
        callbacks = [
            (name, QuietPrintLog() if name == "print_log" else cb)
            for name, cb in super()._default_callbacks
        ]
        if self.train_split is not None:
            # Accuracy rewards predicting the majority class; balanced accuracy
            # is the validation score that early stopping can use on
            # imbalanced data (monitor='valid_bal_acc', lower_is_better=False).
            callbacks.insert(
                len(callbacks) - 1,  # before print_log
                (
                    "valid_bal_acc",
                    EpochScoring(
                        "balanced_accuracy",
                        lower_is_better=False,
                        on_train=False,
                        name="valid_bal_acc",
                    ),
                ),
            )
        return callbacks

    def notify(self, method_name, **cb_kwargs):
        # The batches hold encoded labels; scorers compare them with predict
        # and predict_proba, whose labels and columns are the original ones
        # (classes_). Scoring callbacks with skorch's default target_extractor
        # get the labels decoded, for the time of the call only, so that a
        # scorer's pos_label or labels are the user's.
        if method_name in self.__dict__.get("_silent_hooks", ()):
            # No callback implements it: the net's own handler only (skorch's
            # on_batch_begin opens the history's batch record).
            return getattr(self, method_name)(self, **cb_kwargs)
        if method_name not in ("on_epoch_end", "on_batch_end"):
            return super().notify(method_name, **cb_kwargs)
        swapped = [
            cb
            for _, cb in getattr(self, "callbacks_", ())
            if isinstance(cb, ScoringBase)
            and getattr(cb, "target_extractor", None) is to_numpy
        ]
        for cb in swapped:
            cb.target_extractor = self._decode_target
        try:
            return super().notify(method_name, **cb_kwargs)
        finally:
            for cb in swapped:
                cb.target_extractor = to_numpy

    def _decode_target(self, y):
        y = to_numpy(y)
        if y.dtype.kind in "iu":
            return self.classes_[y]
        return y

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        # Per-batch hooks that no callback implements are not dispatched to
        # the callbacks during this training run.
        self._silent_hooks = {h for h in _PER_BATCH_HOOKS if not self._listens(h)}
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self.training_prior_ = self._effective_prior()

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        # The net is notified before its callbacks: scorers that call
        # predict_proba with a ``prior`` see this epoch's training prior.
        super().on_epoch_end(
            net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs
        )
        self.training_prior_ = self._effective_prior()

    def _listens(self, hook):
        base = getattr(Callback, hook)
        return any(
            getattr(type(cb), hook, base) is not base
            for _, cb in getattr(self, "callbacks_", ())
        )

    def on_train_end(self, net, X=None, y=None, **kwargs):
        self.__dict__.pop("_silent_hooks", None)
        super().on_train_end(net, X=X, y=y, **kwargs)
        self.training_prior_ = self._effective_prior()

    def _effective_prior(self):
        """The prior the net's probabilities are for, from the class
        distribution of the training batches and the criterion."""
        return criterion_prior(
            self.__dict__.get("criterion_"), self._class_distribution()
        )

    def _class_distribution(self):
        """Class probabilities of the training batches (a hook: the sampler
        draws its own)."""
        return self.class_prior_

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

    def initialize_optimizer(self, triggered_directly=None):
        # The fused Adam/AdamW/SGD kernels apply the same update rule with a
        # fraction of the per-parameter Python work; opt out with
        # optimizer__fused=False or optimizer__foreach=...
        optimizer = self.optimizer
        chosen = {k for k in self.__dict__ if k.startswith("optimizer__")}
        fused = (
            isinstance(optimizer, type)
            and issubclass(optimizer, _FUSABLE_OPTIMIZERS)
            and not chosen & {"optimizer__fused", "optimizer__foreach"}
            and self._fusable_device()
        )
        if not fused:
            return super().initialize_optimizer(triggered_directly)
        self.__dict__["optimizer__fused"] = True
        try:
            return super().initialize_optimizer(triggered_directly)
        finally:
            del self.__dict__["optimizer__fused"]

    def _fusable_device(self):
        try:
            params = list(self.module_.parameters())
        except AttributeError:
            return False
        return bool(params) and all(
            p.dtype in (torch.float32, torch.float64, torch.float16, torch.bfloat16)
            and p.device.type in ("cpu", "cuda")
            for p in params
        )

    def check_data(self, X, y=None):
        # Labels are validated and encoded in fit; skorch's np.unique is redundant.
        pass

    def infer(self, x, **fit_params):
        if isinstance(x, Mapping) and "sample_weight" in x:
            x = x["X"]
        if isinstance(x, torch.Tensor) and on_device(x, self.device):
            return self.module_(x, **fit_params)
        return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if isinstance(X, Mapping) and "sample_weight" in X:
            return self._sample_weighted_loss(y_pred, y_true, X["sample_weight"])
        return super().get_loss(y_pred, y_true, X=X, training=training)

    def _sample_weighted_loss(self, y_pred, y_true, sample_weight):
        """Weighted mean ``sum(s_i w_yi l_i) / sum(s_i w_yi)``.

        ``w`` is the criterion's class weight (1 without one), so unit sample
        weights give exactly PyTorch's weighted cross-entropy, and scaling all
        weights by a constant changes nothing.
        """
        criterion = self.criterion_
        if not hasattr(criterion, "reduction"):
            raise TypeError(
                "sample_weight needs a criterion with a 'reduction' attribute "
                f"(per-sample losses); got {type(criterion).__name__}."
            )
        y_true = torch.as_tensor(y_true, device=y_pred.device)
        if isinstance(criterion, torch.nn.NLLLoss):  # as skorch's get_loss does
            y_pred = torch.log(y_pred + torch.finfo(y_pred.dtype).eps)
        saved = criterion.reduction
        criterion.reduction = "none"
        try:
            per_sample = criterion(y_pred, y_true)
        finally:
            criterion.reduction = saved
        weight = sample_weight
        class_weight = getattr(criterion, "weight", None)
        if isinstance(class_weight, torch.Tensor):
            weight = weight * class_weight.index_select(0, y_true)
        total = weight.sum()
        return (per_sample * sample_weight).sum() / total.clamp_min(
            torch.finfo(total.dtype).tiny
        )

    def get_iterator(self, dataset, training=False):
        ds, index = resolve_dataset(dataset)
        if ds is None:
            return super().get_iterator(dataset, training=training)
        prefix = "iterator_train" if training else "iterator_valid"
        kwargs = self.get_params_for(prefix)
        n = len(ds) if index is None else len(index)
        default = (
            self.batch_size if training else max(self.batch_size, PREDICT_BATCH_SIZE)
        )
        batch_size = kwargs.get("batch_size", default)
        if batch_size == -1:
            batch_size = max(n, 1)
        if training:
            return self._train_batches(ds, index, batch_size)
        return SequentialBatches(ds, index, batch_size)

    def _train_batches(self, dataset, index, batch_size):
        return ShuffledBatches(dataset, index, batch_size, generator=self._generator)

    @property
    def _generator(self):
        try:
            return self.__dict__["_fit_generator"]
        except KeyError:
            raise RuntimeError("training batches are drawn only inside fit") from None

    def _set_training(self, training=True):
        # skorch sets the mode of every module tree at every batch; for a
        # small net the recursive ``train()`` costs as much as a forward
        # pass. Reading the flags is cheap, so the trees are only walked
        # when a flag differs.
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_", None)
            if isinstance(module, torch.nn.Module) and any(
                m.training != training for m in module.modules()
            ):
                module.train(training)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if not isinstance(iterator, _Batches):
            return super().run_single_epoch(
                iterator, training, prefix, step_fn, **fit_params
            )
        # As skorch's loop, but the per-batch losses are recorded as device
        # tensors and turned into floats once per epoch: no host sync per batch.
        history = self.history
        losses = []
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            loss = step["loss"].detach()
            losses.append(loss)
            history.record_batch(prefix + "_loss", loss)
            history.record_batch(prefix + "_batch_size", len(batch[1]))
            self.notify("on_batch_end", batch=batch, training=training, **step)
        if losses:
            values = torch.stack(losses).tolist()
            rows = history[-1]["batches"][-len(values) :]
            for row, value in zip(rows, values, strict=True):
                row[prefix + "_loss"] = value
        history.record(prefix + "_batch_count", len(losses))

    # ---- fit -----------------------------------------------------------------
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Initialise (unless ``warm_start``) and train the net.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or torch Dataset
            Training data; DataFrames keep their column names.
        y : array-like of shape (n_samples,)
            Class labels of any type (strings, non-contiguous ints, ...).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative per-sample weights; they multiply the class weights.
        **fit_params : dict
            Passed to the module's ``forward`` (skorch's convention).

        Returns
        -------
        self
        """
        fresh = not self.warm_start or not self.initialized_
        return self._fit(X, y, sample_weight, fit_params, fresh=fresh, classes=None)

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
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative per-sample weights; they multiply the class weights.
        **fit_params : dict
            Passed to the module's ``forward`` (skorch's convention).

        Returns
        -------
        self
        """
        fresh = not self.initialized_
        return self._fit(
            X, y, sample_weight, fit_params, fresh=fresh, classes=classes, partial=True
        )

    def _fit(self, X, y, sample_weight, fit_params, *, fresh, classes, partial=False):
        dataset, y_enc, device, seed = self._begin_fit(
            X, y, sample_weight, fresh=fresh, classes=classes, partial=partial
        )
        try:
            with seeded(seed, device), torch_threads(self._threads(device)):
                super().partial_fit(dataset, y_enc, **fit_params)
        finally:
            del self.__dict__["_fit_generator"]
        return self

    def _threads(self, device, n_nets=1):
        """Torch threads for this fit, from ``n_threads`` and the work per
        step (``n_nets`` stacked copies of the module)."""
        params = sum(p.numel() for p in self.module_.parameters())
        batch = self.batch_size if self.batch_size != -1 else 4096
        work = 6.0 * batch * params * n_nets  # forward + backward
        return choose_threads(self.n_threads, work, torch.device(device))

    def _begin_fit(self, X, y, sample_weight, *, fresh, classes, partial=False):
        """Everything a fit does before its first epoch: validate, derive this
        fit's seed, seed the batch generator, initialise (when ``fresh``).

        Returns ``(dataset, y_enc, device, seed)``; the training loop then
        runs under ``seeded(seed, device)``. Shared with
        :func:`skimb.estimators.fit_many`, so a stacked fit starts exactly where
        a separate one does.
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
            if fresh:
                with seeded(seed, device):
                    self.initialize()
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise
        return dataset, y_enc, device, seed

    def _prepare_fit(self, X, y, sample_weight, *, fresh, classes, partial):
        """Validate the parameters and data; return the device-resident dataset."""
        device = self._check_params()
        if isinstance(X, torch.utils.data.Dataset) and not _is_internal_dataset(X):
            self._reject_user_dataset(X)
        if isinstance(X, torch.Tensor):
            X = X.detach().cpu().numpy()
        self._check_input_size(X, device)
        X, y = validate_data(
            self,
            X,
            y,
            reset=fresh,
            accept_sparse=("csr", "csc", "coo"),
            dtype=np.float32,
            allow_nd=True,
            ensure_min_samples=1,
        )
        X = _dense(X)
        check_classification_targets(y)
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
                missing = np.setdiff1d(np.unique(y), labels)
                if missing.size:
                    raise ValueError(
                        f"y holds labels {missing.tolist()!r} that are not in "
                        f"classes={labels.tolist()!r}."
                    )
            else:
                labels = np.unique(y)
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
        labels = self.classes_
        y_enc = np.searchsorted(labels, y)
        unseen = (y_enc >= len(labels)) | (
            labels[np.minimum(y_enc, len(labels) - 1)] != y
        )
        if unseen.any():
            raise ValueError(
                f"y holds labels {np.unique(y[unseen]).tolist()!r} that were not seen "
                f"in the first fit; classes_ is {labels.tolist()!r}."
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
        if not X.flags.writeable:
            X = X.copy()  # torch refuses to share read-only buffers
        X_t = torch.as_tensor(X, device=device)
        y_t = torch.as_tensor(y_enc, device=device)
        w_t = None
        if sample_weight is not None:
            w_t = torch.as_tensor(sample_weight, dtype=torch.float32, device=device)
        return DeviceDataset(X_t, y_t, w_t)

    # ---- fitted state, for skimb.save / skimb.load ---------------------------
    def _get_fitted_state(self):
        """The fitted attributes besides the module's weights, as plain data."""
        check_is_fitted(self)
        state = {"classes_": self.classes_, "_n_flat_features": self._n_flat_features}
        for attr in self._FITTED_ATTRS:
            if hasattr(self, attr):
                state[attr] = getattr(self, attr)
        return state

    def _set_fitted_state(self, state, module_state):
        """Restore what :meth:`_get_fitted_state` returned and the module's
        weights; the estimator then predicts as the one that was saved."""
        self.__dict__["_classes"] = np.asarray(state["classes_"])
        self._n_flat_features = int(state["_n_flat_features"])
        for attr in self._FITTED_ATTRS:
            if attr in state:
                setattr(self, attr, state[attr])
        self._seed, self._fit_calls = 0, 1
        self.initialize()
        self.module_.load_state_dict(module_state, strict=True)
        if "training_prior_" not in state:  # a file from before the attribute
            self.training_prior_ = self._effective_prior()
        return self

    # ---- prediction ----------------------------------------------------------
    def _as_dataset(self, X):
        if _is_internal_dataset(X):
            return X
        check_is_fitted(self)
        if isinstance(X, torch.Tensor):
            X = X.detach().cpu().numpy()
        self._check_input_size(X, self.device)
        X = validate_data(
            self,
            X,
            reset=False,
            accept_sparse=("csr", "csc", "coo"),
            dtype=np.float32,
            allow_nd=True,
        )
        X = _dense(X)
        if not X.flags.writeable:
            X = X.copy()
        return DeviceDataset(torch.as_tensor(X, device=self.device))

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
        X : array-like of shape (n_samples, n_features)

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
        logits_in = self.predict_nonlinearity == "auto" and isinstance(
            self.criterion_, _LOGIT_LOSSES
        )
        nonlin = self._get_predict_nonlinearity()
        probas = []
        for yp in self.forward_iter(dataset, training=False):
            yp = yp[0] if isinstance(yp, tuple) else yp
            if logits_in:  # exact, where log(softmax) would underflow
                log_p = torch.log_softmax(yp, dim=-1)
            else:
                p = nonlin(yp)
                log_p = torch.log(p.clamp_min(torch.finfo(p.dtype).tiny))
            if log_p.dim() != 2 or log_p.shape[1] != len(source):
                raise ValueError(
                    f"prior needs one probability per class ({len(source)}) from "
                    f"the net; its predict_nonlinearity gave shape "
                    f"{tuple(log_p.shape)}."
                )
            probas.append(to_numpy(shift_log_proba(log_p, prior, source)))
        return np.concatenate(probas, 0)

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
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The class of highest :meth:`predict_proba`, from ``classes_``.
        """
        index = self.predict_proba(X).argmax(axis=1)  # checks fitted first
        return self.classes_[index]
