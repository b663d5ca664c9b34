"""The skimb estimators: skorch classifiers that are scikit-learn classifiers.

``NetClassifier`` is the plain baseline; ``WeightedLossClassifier`` puts class
weights into the loss; ``WeightedSamplerClassifier`` draws class-weighted
batches on the training device. All three validate input like scikit-learn,
encode any labels, train on device-resident tensors and honour
``random_state``.
"""

import contextlib
import functools
import inspect
import numbers
import os
from collections.abc import Mapping

import numpy as np
import torch
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)
from skorch import NeuralNetClassifier
from skorch.dataset import Dataset as SkorchDataset
from skorch.utils import to_numpy
from torch.utils.data import DataLoader, Subset

from ._docstring import NET_DOCS, Substitution
from .callbacks import DeferredReweighting
from .iterators import (
    DeviceDataset,
    SequentialBatches,
    ShuffledBatches,
    WeightedSamplerBatches,
    _Batches,
    resolve_dataset,
)
from .losses import FocalLoss, LDAMLoss, LogitAdjustedLoss
from .nets import SimpleNet
from .weighting import check_class_weight, check_num_samples, class_counts

__all__ = ["NetClassifier", "WeightedLossClassifier", "WeightedSamplerClassifier"]

# Rows per forward pass at prediction time (training uses batch_size).
PREDICT_BATCH_SIZE = 4096

_FUSABLE_OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD)

# Criteria that take logits: predict_proba applies a softmax after them.
_LOGIT_LOSSES = (torch.nn.CrossEntropyLoss, LogitAdjustedLoss, FocalLoss, LDAMLoss)


@functools.lru_cache(maxsize=1)
def _auto_device():
    return "cuda" if torch.cuda.is_available() else "cpu"


def _resolve_device(device):
    if isinstance(device, str) and device == "auto":
        return _auto_device()
    return device


def check_device(device):
    """Validate ``device`` and return the resolved ``torch.device``.

    Examples
    --------
    >>> check_device("cpu")
    device(type='cpu')
    """
    allowed = "'auto', 'cpu', 'cuda', 'cuda:<index>', 'mps' or a torch.device"
    if device is None:
        return torch.device("cpu")
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be {allowed}; got {device!r}.")
    try:
        dev = torch.device(_resolve_device(device))
    except RuntimeError:
        raise ValueError(f"device must be {allowed}; got {device!r}.") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but no CUDA GPU is available; use "
                "device='auto' (CUDA when present, else CPU) or device='cpu'."
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} was requested but only "
                f"{torch.cuda.device_count()} CUDA device(s) exist."
            )
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} was requested but MPS is not available.")
    return dev


def _check_int(name, value, *, low, allowed, extra=()):
    if value in extra and not isinstance(value, bool):
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be {allowed}; got {value!r} of type {type(value).__name__}."
        )
    if value < low:
        raise ValueError(f"{name} must be {allowed}; got {value!r}.")


def _on_device(tensor, device):
    # 'cuda' names the current CUDA device; the tensor says 'cuda:0'.
    device = torch.device(device)
    return tensor.device.type == device.type and (
        device.index is None or tensor.device.index == device.index
    )


def _check_tau(tau, name="posthoc_tau"):
    if (
        isinstance(tau, bool)
        or not isinstance(tau, numbers.Real)
        or not np.isfinite(tau)
        or tau < 0
    ):
        raise ValueError(f"{name} must be a non-negative finite float; got {tau!r}.")
    return float(tau)


def _available_host_memory():
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return None


def check_fits_on_device(n_bytes, device, *, what="the training data"):
    """Raise a clear ValueError, before any copy, when ``n_bytes`` cannot fit.

    On CUDA the free device memory is asked; on the CPU the available RAM.
    """
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        where = f"{device} ({free / 2**30:.2f} GiB free)"
    elif device.type == "cpu":
        free = _available_host_memory()
        where = f"host memory ({(free or 0) / 2**30:.2f} GiB available)"
    else:
        return
    if free is not None and n_bytes > free:
        raise ValueError(
            f"{what} needs {n_bytes / 2**30:.2f} GiB as float32 but {where} cannot "
            "hold it; use fewer samples or features, a device with more memory, or "
            "train on a subsample."
        )


@contextlib.contextmanager
def _seeded(seed, device):
    """Run with torch's global RNG seeded, restoring the caller's state after."""
    devices = []
    if device.type == "cuda":
        devices = [
            device.index if device.index is not None else torch.cuda.current_device()
        ]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def _is_internal_dataset(X):
    while isinstance(X, Subset):
        X = X.dataset
    return isinstance(X, DeviceDataset)


class _ImbalancedNetMixin:
    """The machinery shared by the three estimators (kept out of ``__init__``).

    skorch keeps ``initialized_``, ``history_`` and ``virtual_params_`` as
    public attributes set in ``__init__``; scikit-learn forbids that, so they
    live in private slots behind properties. ``device='auto'`` is stored as
    given and resolved whenever skorch reads ``self.device``.
    """

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
        return _resolve_device(self.__dict__.get("_device_param", "auto"))

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
        state["device"] = _resolve_device(raw)
        super().__setstate__(state)
        checked = self.__dict__.pop("device")
        self.__dict__["_device_param"] = raw if raw == "auto" else checked

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        tags.classifier_tags.multi_label = False
        return tags

    # ---- parameter checks ----------------------------------------------------
    def _check_params(self):
        _check_int(
            "batch_size",
            self.batch_size,
            low=1,
            allowed="a positive integer or -1 (all samples)",
            extra=(-1,),
        )
        _check_int(
            "max_epochs", self.max_epochs, low=0, allowed="a non-negative integer"
        )
        if (
            isinstance(self.lr, bool)
            or not isinstance(self.lr, numbers.Real)
            or not np.isfinite(self.lr)
            or self.lr < 0
        ):
            raise ValueError(
                f"lr must be a non-negative finite float; got {self.lr!r}."
            )
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
        _check_tau(self.posthoc_tau)
        return check_device(self.__dict__.get("_device_param", "auto"))

    # ---- skorch hooks --------------------------------------------------------
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
        if isinstance(x, torch.Tensor) and _on_device(x, self.device):
            return self.module_(x, **fit_params)
        return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if isinstance(X, Mapping) and "sample_weight" in X:
            return self._sample_weighted_loss(y_pred, y_true, X["sample_weight"])
        if self.__dict__.get("_zero_class_weight", False):
            # A batch of zero-weight classes only would make torch's weighted
            # mean 0/0 = NaN and wreck the parameters; the guarded mean gives 0.
            ones = torch.ones(len(y_pred), dtype=y_pred.dtype, device=y_pred.device)
            return self._sample_weighted_loss(y_pred, y_true, ones)
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
        label that later calls will bring.
        """
        fresh = not self.initialized_
        return self._fit(
            X, y, sample_weight, fit_params, fresh=fresh, classes=classes, partial=True
        )

    def _fit(self, X, y, sample_weight, fit_params, *, fresh, classes, partial=False):
        # Everything up to the first optimizer step either succeeds or leaves
        # the estimator exactly as it was: a bad input never costs a fitted model.
        saved = dict(self.__dict__)
        try:
            dataset, y_enc, device = self._prepare_fit(
                X, y, sample_weight, fresh=fresh, classes=classes, partial=partial
            )
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise
        seed = (self._seed + 7919 * self._fit_calls) % (2**63 - 1)
        self._fit_calls += 1
        generator = torch.Generator(device=device)
        generator.manual_seed(seed + 1)
        self.__dict__["_fit_generator"] = generator
        try:
            with _seeded(seed, device):
                if fresh:
                    self.initialize()
                super().partial_fit(dataset, y_enc, **fit_params)
        finally:
            del self.__dict__["_fit_generator"]
        return self

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
            dtype=np.float32,
            allow_nd=True,
            ensure_min_samples=1,
        )
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
        """Resolve ``class_weight`` (where the estimator has one) from
        ``class_counts_`` into ``class_weight_``, before the criterion is
        initialised; keep an initialised criterion's weights in step."""
        if "class_weight" not in self._get_param_names():
            return
        self.class_weight_ = check_class_weight(
            self.class_weight, classes=self.classes_, counts=self.class_counts_
        )
        self._zero_class_weight = bool((self.class_weight_ == 0).any())
        weight = getattr(self.__dict__.get("criterion_"), "weight", None)
        if (
            isinstance(weight, torch.Tensor)
            and "criterion__weight" not in self.__dict__
        ):
            if weight.shape == self.class_weight_.shape:
                with torch.no_grad():
                    weight.copy_(
                        torch.as_tensor(self.class_weight_, dtype=weight.dtype)
                    )

    def _check_input_size(self, X, device):
        shape = getattr(X, "shape", None)
        if shape is None or len(shape) < 2:
            return  # validate_data reports malformed input
        n_bytes = 4 * int(np.prod(shape, dtype=np.float64))
        on_host_already = (
            device.type == "cpu" and getattr(X, "dtype", None) == np.float32
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

    def save(self, path):
        """Write the fitted estimator to ``path`` without pickle (safe to share).

        See :func:`skimb.persistence.save`; read it back with :func:`skimb.load`.
        """
        from .persistence import save  # persistence builds on this module

        return save(self, path)

    # ---- prediction ----------------------------------------------------------
    def _as_dataset(self, X):
        if _is_internal_dataset(X):
            return X
        check_is_fitted(self)
        if isinstance(X, torch.Tensor):
            X = X.detach().cpu().numpy()
        X = validate_data(self, X, reset=False, dtype=np.float32, allow_nd=True)
        if not X.flags.writeable:
            X = X.copy()
        return DeviceDataset(torch.as_tensor(X, device=self.device))

    def predict_proba(self, X):
        """Class probabilities, columns aligned with ``classes_``.

        With ``posthoc_tau > 0`` the logits are adjusted by
        ``- posthoc_tau * log(class_prior_)`` before the softmax.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), float32
        """
        dataset = self._as_dataset(X)
        tau = _check_tau(self.posthoc_tau)
        if tau == 0:
            return super().predict_proba(dataset)
        prior = torch.as_tensor(self.class_prior_, dtype=torch.float32)
        # A class without training mass gets the rarest seen class's shift.
        prior = prior.clamp_min(prior[prior > 0].min())
        shift = tau * torch.log(prior)
        probas = []
        for yp in self.forward_iter(dataset, training=False):
            yp = yp[0] if isinstance(yp, tuple) else yp
            probas.append(to_numpy(torch.softmax(yp - shift.to(yp.device), dim=-1)))
        return np.concatenate(probas, 0)

    def _get_predict_nonlinearity(self):
        if self.predict_nonlinearity == "auto" and isinstance(
            getattr(self, "criterion_", None), _LOGIT_LOSSES
        ):
            return functools.partial(torch.softmax, dim=-1)
        return super()._get_predict_nonlinearity()

    def predict(self, X):
        """Predicted labels, of the same type as the labels given to ``fit``.

        skorch's own scoring callbacks pass the internal dataset and get the
        encoded labels they compare with the encoded targets.
        """
        internal = _is_internal_dataset(X)
        index = self.predict_proba(X).argmax(axis=1)
        return index if internal else self.classes_[index]


_SHARED_PARAMS = Substitution(**NET_DOCS)


@_SHARED_PARAMS
class NetClassifier(_ImbalancedNetMixin, NeuralNetClassifier):
    """A skorch classifier that behaves like any scikit-learn classifier.

    The baseline of skimb: no imbalance handling, but the same validation,
    label encoding, device-resident batches and seeding as the weighted
    estimators, so comparisons differ in one thing only.

    Parameters
    ----------
    {net_params}

    Attributes
    ----------
    {fitted_attrs}

    See Also
    --------
    WeightedLossClassifier : Class weights in the loss.
    WeightedSamplerClassifier : Class-weighted sampling of the batches.

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
        posthoc_tau=0.0,
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
        self.posthoc_tau = posthoc_tau


@_SHARED_PARAMS
class WeightedLossClassifier(NetClassifier):
    """Inverse-frequency class weights in the cross-entropy loss.

    The seed document's Method 1: the loss of a sample of class ``c`` is
    multiplied by ``class_weight_[c]`` (and by its ``sample_weight``), and
    the batch loss is the weighted mean, as in ``torch.nn.CrossEntropyLoss``
    with ``weight=``.

    Parameters
    ----------
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
        posthoc_tau=0.0,
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
            posthoc_tau=posthoc_tau,
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
class WeightedSamplerClassifier(NetClassifier):
    """Class-weighted random sampling of the training batches, on the device.

    The seed document's Method 2 (``WeightedRandomSampler``) without the
    per-sample DataLoader: each epoch draws ``num_samples`` indices, sample
    ``i`` with probability proportional to
    ``class_weight_[y_i] * sample_weight_i``. The draws happen on the
    training device; the loss is unweighted.

    Parameters
    ----------
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
        posthoc_tau=0.0,
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
            posthoc_tau=posthoc_tau,
            **kwargs,
        )
        self.class_weight = class_weight
        self.num_samples = num_samples
        self.replacement = replacement
        self.schedule = schedule

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
        return WeightedSamplerBatches(
            dataset,
            index,
            batch_size,
            class_weight=torch.as_tensor(self.class_weight_),
            num_samples=num_samples,
            replacement=bool(self.replacement),
            generator=self._generator,
            progress=self._progress if self.schedule == "progressive" else None,
        )

    def _progress(self):
        # Fraction of the way from instance- to class-balanced draws at the
        # current epoch, t / T with t counted over the whole history.
        epoch = len(self.history) - 1
        return min(1.0, epoch / max(1, self.max_epochs))
