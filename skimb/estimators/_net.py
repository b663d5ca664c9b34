"""The skimb estimator: a skorch classifier that is a scikit-learn classifier.

:class:`NetClassifier` is the plain net; ``WeightedLossClassifier`` and
``WeightedSamplerClassifier`` subclass it with their class weights. The
class reads top to bottom as a fit runs:

- parameters and the scikit-learn contract (fitted state behind
  properties, parameters from the constructor's signature, tags);
- fit: the parameter table checked first, the data validated, the labels
  encoded, the training data moved to the device once, the validation part
  for early stopping held out, the budget set; a failed start leaves the
  estimator as it was; then the training loop of ``_training`` (skorch's
  own loop for a net with per-batch callbacks or a ``train_split``);
- skorch's documented override points (module, optimizer, batches, loss)
  and its training events, each overridden once;
- prediction under a chosen class prior;
- the state :func:`skimb.save` stores.

What one fit needs while it runs (the batch generator, the early stopper,
the first epoch, a progress hook) lives in one :class:`FitRun` object,
dropped when the fit ends.
"""

import contextlib
import copy
import dataclasses
import functools
import inspect
import warnings
from collections.abc import Callable, Mapping
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils import check_random_state
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)
from skorch import NeuralNetClassifier
from skorch.callbacks import EpochScoring, PassthroughScoring, PrintLog
from skorch.callbacks.scoring import ScoringBase
from skorch.dataset import Dataset as SkorchDataset
from skorch.utils import to_numpy
from torch.utils.data import DataLoader, Subset

from .._utils.device import (
    check_device,
    check_fits_on_device,
    on_device,
    resolve_device,
    seeded,
    training_threads,
)
from .._utils.docstring import NET_DOCS, Substitution
from .._utils.labels import check_targets, unique_labels
from .._utils.validation import (
    RANDOM_STATE,
    Boolean,
    InstanceOf,
    Interval,
    Options,
    validate_params,
)
from ..nn._losses import FocalLoss, LDAMLoss, LogitAdjustedLoss
from ..nn._simple_net import SimpleNet
from ._batches import (
    X_CHECKS,
    DeviceDataset,
    DrawnBatches,
    LabelledDataset,
    SequentialBatches,
    ShuffledBatches,
    SparseRows,
    UnlabelledDataset,
    dataset_arrays,
    dataset_labels,
    first_rows,
    is_internal_dataset,
    item_shape,
    labelled_index,
    resolve_dataset,
    to_device,
)
from ._budget import BUDGET, auto_batch_size, auto_lr, auto_patience
from ._callbacks import CallbackList, QuietPassthroughScoring, QuietPrintLog
from ._early_stopping import AUTO_MIN_ROWS, EarlyStopper, score_key, validation_split
from ._prior import (
    PRIOR_CONSTRAINTS,
    check_prior,
    criterion_prior,
    shift_log_proba,
    unsmooth_log_proba,
)
from ._stopping_scores import STOPPING_SCORES
from ._training import Member, loop_reason, train
from ._weighting import check_class_weight, class_counts

__all__ = ["PREDICT_BATCH_SIZE", "FitRun", "NetClassifier"]

_DEVICES = ["'auto'", "'cpu'", "'cuda'", "'cuda:<index>'", "'mps'", "a torch.device"]

# Rows per forward pass at prediction time (training uses batch_size).
PREDICT_BATCH_SIZE = 4096

_FUSABLE_OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD)

# Criteria that take logits: predict_proba applies a softmax after them.
_LOGIT_LOSSES = (torch.nn.CrossEntropyLoss, LogitAdjustedLoss, FocalLoss, LDAMLoss)

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


@dataclasses.dataclass
class FitRun:
    """What one fit needs while it runs; dropped when the fit ends.

    Attributes
    ----------
    generator : torch.Generator or None
        Draws the training batches, seeded from the fit's seed.
    first_epoch : int
        ``len(history_)`` when the fit began (``n_epochs_`` counts from it).
    stopper : EarlyStopper or None
        The validation part, best epoch and patience of early stopping.
    epoch_hook : callable or None
        Called after every epoch (progress of a net trained alone).
    prior_inputs : tuple or None
        The last training prior and what it was computed from.
    sampler_batches : object or None
        The weighted sampler's batches, whose draws give the training prior.
    zero_class_weight : bool
        Whether a class weighs 0 (its batches need the guarded mean).
    """

    generator: torch.Generator | None = None
    first_epoch: int = 0
    stopper: EarlyStopper | None = None
    epoch_hook: Callable | None = None
    prior_inputs: tuple | None = None
    sampler_batches: object = None
    zero_class_weight: bool = False


@Substitution(**NET_DOCS)
class NetClassifier(NeuralNetClassifier):
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

    _parameter_constraints: dict = {
        "module": [
            InstanceOf(
                torch.nn.Module, "a torch.nn.Module class or instance", classes=True
            )
        ],
        "criterion": [
            InstanceOf(
                torch.nn.Module,
                "a torch loss (torch.nn.Module) class or instance",
                classes=True,
            )
        ],
        "optimizer": [
            InstanceOf(
                torch.optim.Optimizer,
                "a torch.optim.Optimizer class",
                classes=True,
                instances=False,
            )
        ],
        "lr": [Interval(Real, 0, None, closed="left")],
        "max_epochs": [Interval(Integral, 0, None, closed="left")],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            Options(-1, note="all samples"),
            Options("auto"),
        ],
        "iterator_train": [callable],
        "iterator_valid": [callable],
        "dataset": [callable],
        "train_split": [None, callable],
        "callbacks": [None, CallbackList()],
        "predict_nonlinearity": [callable, None, Options("auto")],
        "warm_start": [Boolean()],
        "verbose": [Interval(Integral, 0, None, closed="left"), Boolean()],
        "device": [None, InstanceOf((str, torch.device), _DEVICES)],
        "compile": [Boolean()],
        "use_caching": [Boolean(), Options("auto")],
        "torch_load_kwargs": [None, InstanceOf(Mapping, "a dict")],
        "random_state": RANDOM_STATE,
        "prior": PRIOR_CONSTRAINTS,
        "n_threads": [
            Options("auto"),
            None,
            Interval(Integral, 1, None, closed="left"),
        ],
        "early_stopping": [Options("auto"), Boolean()],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [
            Options("auto"),
            Interval(Integral, 1, None, closed="left"),
        ],
        "early_stopping_score": [Options(*STOPPING_SCORES)],
    }

    def __init__(
        self,
        module=SimpleNet,
        *,
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
            **kwargs,
        )
        # skorch's NeuralNetClassifier sets a public ``classes``; skimb learns
        # ``classes_`` from y instead.
        del self.__dict__["classes"]
        self.random_state = random_state
        self.prior = prior
        self.n_threads = n_threads
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping_score = early_stopping_score

    # Fitted attributes that skimb.save stores beside classes_ and the weights.
    _FITTED_ATTRS = (
        "n_features_in_",
        "feature_names_in_",
        "class_counts_",
        "class_prior_",
        "training_prior_",
        "batch_size_",
        "lr_",
        "do_early_stopping_",
        "n_epochs_",
        "best_epoch_",
        "best_validation_score_",
        "n_iter_no_change_",
        "class_weight_",
    )

    # ---- the scikit-learn contract ----------------------------------------------
    # skorch keeps ``initialized_``, ``history_`` and ``virtual_params_`` as
    # public attributes set in ``__init__``; scikit-learn forbids that, so
    # they live in private slots behind properties. ``device='auto'`` is
    # stored as given and resolved whenever skorch reads ``self.device``.
    @property
    def initialized_(self):
        # Absent only inside skorch's __init__, which then accepts a module
        # instance as the ``module`` parameter (it checks hasattr).
        try:
            return self.__dict__["_initialized"]
        except KeyError:
            raise AttributeError("initialized_") from None

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
        # A module or criterion instance is a parameter like any other: stored
        # (skorch refuses torch modules set outside its initialize methods),
        # and on a fitted net the components are built from it again.
        instances = [
            name
            for name in ("module", "criterion")
            if isinstance(params.get(name), torch.nn.Module)
        ]
        for name in instances:
            self.__dict__[name] = params.pop(name)
        if instances and self.initialized_:
            self._initialize_module()
            self._initialize_criterion()
            self._initialize_optimizer()
        if not params:
            return self
        super().set_params(**params)
        if "lr" in params and self.initialized_ and "lr_" in self.__dict__:
            self._set_fitted_lr()
        return self

    def _set_fitted_lr(self):
        # skorch hands a new lr of an initialised net straight to the
        # optimizer; with batch_size='auto' it is scaled as at fit, so that
        # lr means the same before and after fit.
        if "optimizer__lr" in self.__dict__:
            return
        lr = float(self.lr)
        if self.batch_size == "auto":
            lr = auto_lr(lr, self.batch_size_)
        self.lr_ = lr
        for group in self.optimizer_.param_groups:
            group["lr"] = lr

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

    # ---- fit ---------------------------------------------------------------------
    @_FIT_DOCS
    def fit(
        self, X, y=None, sample_weight=None, *, X_val=None, y_val=None, **fit_params
    ):
        """Initialise (unless ``warm_start``) and train the net.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or torch Dataset
            Training data; DataFrames keep their column names. A torch
            Dataset (torchvision's, an ``ImageFolder``, your own) streams
            its items through a DataLoader, its transforms applied at every
            draw (so augmentation works); ``iterator_train__num_workers``
            loads them in parallel.
        y : array-like of shape (n_samples,), default=None
            Class labels of any type (strings, non-contiguous ints, ...).
            Required with arrays; with a Dataset, by default its
            ``targets`` attribute, else the second element of its items.
        {sample_weight}
        X_val : array-like of shape (n_val, n_features) or Dataset, default=None
            A validation set for early stopping, used instead of holding out
            ``validation_fraction`` of ``X`` (all of ``X`` then trains). It
            turns ``early_stopping='auto'`` on; with ``early_stopping=False``
            it is an error. Give it with ``y_val`` (a Dataset may carry its
            labels).
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
            run = self.__dict__["_run"] = FitRun()
            dataset, y_enc, device = self._prepare_fit(
                X, y, sample_weight, fresh=fresh, classes=classes, partial=partial
            )
            seed = (self._seed + 7919 * self._fit_calls) % (2**63 - 1)
            self._fit_calls += 1
            generator = torch.Generator(device=device)
            generator.manual_seed(seed + 1)
            run.generator = generator
            dataset, y_enc = self._open_validation(
                dataset, y_enc, seed, *validation, fresh=fresh, partial=partial
            )
            self._resolve_budget(len(y_enc), fresh=fresh)
            if fresh:
                with seeded(seed, device):
                    self.initialize()
                self._check_module_output(dataset)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(saved)
            raise
        return dataset, y_enc, device, seed

    def _check_module_output(self, dataset):
        """The module must give one output per class: a forward pass over
        two rows in eval mode (no dropout drawn) before training starts."""
        X = first_rows(dataset, self.device)
        module = self.module_
        training = module.training
        module.eval()
        try:
            with torch.no_grad():
                out = module(X)
        except TypeError:
            return  # a forward that needs fit_params: skorch checks it later
        finally:
            module.train(training)
        out = out[0] if isinstance(out, tuple) else out
        n_classes = len(self.classes_)
        if not isinstance(out, torch.Tensor) or (
            out.dim() == 2 and out.shape[1] == n_classes
        ):
            return
        raise ValueError(
            f"module {type(module).__name__} gives an output of shape "
            f"{tuple(out.shape)} for {len(X)} rows; {type(self).__name__} needs "
            f"one column per class, ({len(X)}, {n_classes}) for the classes "
            f"{self.classes_.tolist()!r}. Size the module's last layer to the "
            "classes (a module class whose __init__ takes n_classes is sized "
            "at fit)."
        )

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

    def _prepare_fit(self, X, y, sample_weight, *, fresh, classes, partial):
        """Validate the parameters and data; return the device-resident dataset."""
        device = self._check_params()
        if _user_dataset(X):
            return self._prepare_dataset(
                X, y, sample_weight, device, fresh, classes, partial
            )
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
        if fresh:
            self._n_flat_features = int(np.prod(X.shape[1:]))
            self._input_shape = tuple(int(s) for s in X.shape[1:])
        self._class_statistics(y, sample_weight, fresh=fresh, partial=partial)
        if sample_weight is not None and np.all(sample_weight == sample_weight[0]):
            # Constant weights cancel in the normalised weighted mean (after
            # they counted in the class statistics above).
            sample_weight = None
        dataset = self._to_device_dataset(X, y_enc, sample_weight, device)
        self._check_train_data(dataset)
        return dataset, y_enc, device

    def _prepare_dataset(self, X, y, sample_weight, device, fresh, classes, partial):
        """A user's torch Dataset: its labels (``y``, its ``targets``, or one
        pass over its items), encoded; its items stream through a DataLoader
        with their transforms."""
        if sample_weight is not None:
            raise ValueError(
                "sample_weight is not supported with a torch Dataset X; weight "
                "the classes with class_weight, or pass arrays."
            )
        if len(X) == 0:
            raise ValueError(f"X is an empty {type(X).__name__}.")
        y = dataset_labels(X) if y is None else column_or_1d(np.asarray(y), warn=True)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} items and y {len(y)} labels.")
        check_targets(y)
        y_enc = self._encode_labels(y, fresh=fresh, classes=classes)
        if fresh:
            shape = item_shape(X)
            self._n_flat_features = int(np.prod(shape))
            self._input_shape = shape
            self.n_features_in_ = shape[0] if shape else 1
            self.__dict__.pop("feature_names_in_", None)
        else:
            self._check_item_shape(X)
        self._class_statistics(y, None, fresh=fresh, partial=partial)
        dataset = LabelledDataset(X, y_enc, device)
        self._check_train_data(dataset)
        return dataset, y_enc, device

    def _class_statistics(self, y, sample_weight, *, fresh, partial):
        """Class counts and prior of ``y``, the class weights, this fit's seed."""
        counts = class_counts(self.classes_, y, sample_weight)
        if fresh:
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

    def _check_input_size(self, X, device):
        shape = getattr(X, "shape", None)
        if shape is None or len(shape) < 2:
            return  # validate_data reports malformed input
        n_bytes = 4 * int(np.prod(shape, dtype=np.float64))
        if sp.issparse(X):  # kept sparse on the device: values and indices
            n_bytes = 12 * int(X.nnz) + 8 * (int(shape[0]) + 1)
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
        return DeviceDataset(to_device(X, device, **self._sparse_batches()), y_t, w_t)

    def _sparse_batches(self):
        """Whether the module multiplies sparse batches (its class says so
        with ``accepts_sparse = True``), for :func:`to_device`."""
        return {"sparse_batches": bool(getattr(self.module, "accepts_sparse", False))}

    def _resolve_weights(self):
        """``class_weight_`` from ``class_weight`` and the class counts, for
        the estimators that have a ``class_weight``; set before the
        criterion is initialised, and kept in step with the counts
        (``partial_fit`` accumulates them)."""
        if not hasattr(self, "class_weight"):
            return
        self.class_weight_ = check_class_weight(
            self.class_weight, classes=self.classes_, counts=self.class_counts_
        )
        self._fit_run.zero_class_weight = bool((self.class_weight_ == 0).any())
        weight = getattr(self.__dict__.get("criterion_"), "weight", None)
        if (
            isinstance(weight, torch.Tensor)
            and "criterion__weight" not in self.__dict__
            and weight.shape == self.class_weight_.shape
        ):
            with torch.no_grad():
                weight.copy_(torch.as_tensor(self.class_weight_, dtype=weight.dtype))

    # ---- early stopping: the validation part ------------------------------------
    def _early_stopping_mode(self):
        """``'auto'``, True or False (numpy's booleans as Python's)."""
        mode = self.early_stopping
        return mode if isinstance(mode, str) else bool(mode)

    def _check_early_stopping_params(self):
        if self._early_stopping_mode() is True and self.train_split is not None:
            raise ValueError(
                "early_stopping=True holds out its own validation part and does not "
                "combine with a train_split; with a train_split use skorch's "
                "EarlyStopping callback (callbacks=[EarlyStopping(monitor="
                "'valid_bal_acc', lower_is_better=False)]), or set "
                "early_stopping='auto' or False."
            )

    def _open_validation(self, dataset, y_enc, seed, X_val, y_val, *, fresh, partial):
        """Decide on early stopping for this fit and set it up.

        Returns the training data (``dataset``, or a ``Subset`` of it without
        the validation rows) and its labels.
        """
        run = self._fit_run
        run.stopper = None
        run.first_epoch = 0 if fresh else len(self.history_ or ())
        if _user_dataset(X_val) and y_val is None:
            y_val = dataset_labels(X_val)
        if (X_val is None) != (y_val is None):
            given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
            raise ValueError(f"{given} is given but {missing} is not; give both.")
        if X_val is not None:
            self._check_fixed_validation()
        mode = self._early_stopping_mode()
        use = not partial and (
            mode is True
            or (
                mode == "auto"
                and self.train_split is None
                and (X_val is not None or len(y_enc) > AUTO_MIN_ROWS)
            )
        )
        self.do_early_stopping_ = False
        self.best_epoch_ = self.best_validation_score_ = None
        self.n_iter_no_change_ = None
        if not use:
            return dataset, y_enc
        if X_val is not None:
            X_v, y_v = self._fixed_validation(X_val, y_val)
            train = (dataset, y_enc)
        else:
            try:
                index, valid = validation_split(
                    y_enc, self.validation_fraction, seed + 104729
                )
            except ValueError:
                self._warn_no_split(y_enc)
                return dataset, y_enc
            rows = torch.as_tensor(valid, device=self.device)
            if isinstance(dataset, LabelledDataset):  # streamed, like training
                X_v = Subset(dataset, valid)
            else:
                X_v = dataset.X.index_select(0, rows)
            y_v = dataset.y.index_select(0, rows)
            train = (Subset(dataset, index), y_enc[index])
        self.do_early_stopping_ = True
        self.n_iter_no_change_ = self._patience(y_v)
        higher_is_better = STOPPING_SCORES[self.early_stopping_score][1]
        run.stopper = EarlyStopper(
            X_v, y_v, self.n_iter_no_change_, higher_is_better, self._stopping_start()
        )
        return train

    def _stopping_start(self):
        """The epochs of a warm-up early stopping does not judge (none here)."""
        return 0

    def _patience(self, y_valid):
        """``n_iter_no_change``, or for ``'auto'`` the patience of the
        validation part's rarest class (of those it holds)."""
        if self.n_iter_no_change != "auto":
            return int(self.n_iter_no_change)
        counts = torch.bincount(y_valid)
        return auto_patience(int(counts[counts > 0].min()))

    def _check_fixed_validation(self):
        if self._early_stopping_mode() is False:
            raise ValueError(
                "X_val and y_val are given while early_stopping=False; they are only "
                "used for early stopping: set early_stopping='auto' or True, or "
                "leave them out."
            )
        if self.train_split is not None:
            raise ValueError(
                "X_val and y_val do not combine with a train_split (which makes its "
                "own validation set); give one or the other."
            )

    def _fixed_validation(self, X_val, y_val):
        if _user_dataset(X_val):
            y_val = column_or_1d(np.asarray(y_val), warn=True)
            if len(y_val) != len(X_val):
                raise ValueError(
                    f"X_val has {len(X_val)} items and y_val {len(y_val)} labels."
                )
            y_val = self._encode(y_val, "y_val", "in y")
            X_val = LabelledDataset(X_val, y_val, self.device)
            return X_val, X_val.y
        X_val = self._check_X(X_val)
        y_val = column_or_1d(np.asarray(y_val), warn=True)
        if len(y_val) != X_val.shape[0]:
            raise ValueError(
                f"X_val has {X_val.shape[0]} samples and y_val {len(y_val)} labels."
            )
        y_val = self._encode(y_val, "y_val", "in y")
        X_val = to_device(X_val, self.device, **self._sparse_batches())
        return X_val, torch.as_tensor(y_val, device=self.device)

    def _warn_no_split(self, y_enc):
        counts = np.bincount(y_enc, minlength=len(self.classes_))
        small = self.classes_[(counts > 0) & (counts < 2)].tolist()
        warnings.warn(
            f"early stopping is off for this fit: the classes {small!r} have a "
            "single training row, and the validation part must keep every class "
            "in both parts. Give a validation set (X_val, y_val) or set "
            "early_stopping=False to silence this.",
            UserWarning,
            stacklevel=6,
        )

    # ---- skorch's override points: module, optimizer, batches, loss -------------
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
            shape = self.__dict__.get("_input_shape")
            if "input_shape" in accepted and "input_shape" not in kwargs and shape:
                kwargs["input_shape"] = shape
            if (
                "n_classes" in accepted
                and "n_classes" not in kwargs
                and "_classes" in self.__dict__
            ):
                kwargs["n_classes"] = len(self.classes_)
        elif isinstance(module, torch.nn.Module) and not kwargs:
            # An instance is an architecture with its initial weights: each
            # fresh fit trains a copy, so the parameter itself never changes
            # (clone, a second fit and a grid search start from it alike).
            module = copy.deepcopy(module)
        self.module_ = self.initialized_instance(module, kwargs)
        return self

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

    @property
    def _default_callbacks(self):
        callbacks = [(name, _quiet(cb)) for name, cb in super()._default_callbacks]
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
        if method_name not in ("on_epoch_end", "on_batch_end"):
            return super().notify(method_name, **cb_kwargs)
        callbacks = [cb for _, cb in getattr(self, "callbacks_", ())]
        with self._decoded_targets(callbacks, method_name):
            return super().notify(method_name, **cb_kwargs)

    @contextlib.contextmanager
    def _decoded_targets(self, callbacks, method_name):
        # The batches hold encoded labels; scorers compare them with predict
        # and predict_proba, whose labels and columns are the original ones
        # (classes_). Scoring callbacks with skorch's default target_extractor
        # get the labels decoded, for the time of the call only, so that a
        # scorer's pos_label or labels are the user's.
        swapped = []
        if method_name in ("on_epoch_end", "on_batch_end"):
            swapped = [
                cb
                for cb in callbacks
                if isinstance(cb, ScoringBase)
                and getattr(cb, "target_extractor", None) is to_numpy
            ]
        for cb in swapped:
            cb.target_extractor = self._decode_target
        try:
            yield
        finally:
            for cb in swapped:
                cb.target_extractor = to_numpy

    def _decode_target(self, y):
        y = to_numpy(y)
        if y.dtype.kind in "iu":
            return self.classes_[y]
        return y

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

    def infer(self, x, **fit_params):
        if _weighted_batch(x):
            x = x["X"]
        if isinstance(x, torch.Tensor) and on_device(x, self.device):
            return self.module_(x, **fit_params)
        return super().infer(x, **fit_params)

    def _batch_augmenter(self):
        """``augment(X, y)`` that the training loop applies to each training
        batch before the forward pass, or None (none here)."""
        return None

    def _plain_cross_entropy(self):
        """``(class weight or None, label smoothing, logit offset or None)``
        when this net's loss is a cross-entropy of its logits plus a fixed
        offset (torch's own, or logit adjustment's ``tau * log_prior``),
        which the training loop may compute for many stacked nets at once;
        else None."""
        criterion = self.criterion_
        kind = type(criterion)
        if (
            type(self).get_loss is not NetClassifier.get_loss
            or kind not in (torch.nn.CrossEntropyLoss, LogitAdjustedLoss)
            or criterion.reduction != "mean"
            or getattr(criterion, "ignore_index", -100) != -100
            or self._fit_run.zero_class_weight
        ):
            return None
        offset = None
        if kind is LogitAdjustedLoss:
            offset = criterion.tau * criterion.log_prior
        return criterion.weight, criterion.label_smoothing, offset

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
            return self._loader(dataset, training)
        prefix = "iterator_train" if training else "iterator_valid"
        kwargs = self.get_params_for(prefix)
        n = len(ds) if index is None else len(index)
        if training:
            default = self.batch_size_  # set by fit: an integer, or batch_size='auto'
        else:
            chosen = self.batch_size if self.batch_size != "auto" else 0
            default = max(chosen, PREDICT_BATCH_SIZE)
        batch_size = kwargs.get("batch_size", default)
        if batch_size == -1:
            batch_size = max(n, 1)
        if training:
            return self._train_batches(ds, index, batch_size)
        return SequentialBatches(ds, index, batch_size)

    def _chosen_batch_size(self):
        """The training batch: ``batch_size_`` once fitted, else the parameter
        (the budget's for 'auto')."""
        if "batch_size_" in self.__dict__:
            return self.batch_size_
        return BUDGET.batch_size if self.batch_size == "auto" else self.batch_size

    def _loader(self, dataset, training):
        # skorch's DataLoader path (a user's Dataset, or one skorch's forward
        # made from arrays), with the batch size 'auto' resolved. A user's
        # Dataset trains on the draws the same data as arrays would get
        # (drawn on the device from the fit's generator), its items loaded
        # by the DataLoader batch by batch.
        labelled, index = labelled_index(dataset)
        if training and labelled is not None:
            batches = self._train_batches(labelled, index, self.batch_size_)
            kwargs = self.get_params_for("iterator_train")
            for name in ("batch_size", "shuffle", "sampler", "drop_last"):
                kwargs.pop(name, None)
            return self.iterator_train(
                labelled, batch_sampler=DrawnBatches(batches), **kwargs
            )
        if self.batch_size != "auto":
            return super().get_iterator(dataset, training=training)
        self.__dict__["batch_size"] = self._chosen_batch_size()
        try:
            return super().get_iterator(dataset, training=training)
        finally:
            self.__dict__["batch_size"] = "auto"

    def _train_batches(self, dataset, index, batch_size):
        return ShuffledBatches(dataset, index, batch_size, generator=self._generator)

    @property
    def _generator(self):
        run = self._fit_run
        if run is None or run.generator is None:
            raise RuntimeError("training batches are drawn only inside fit")
        return run.generator

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if _weighted_batch(X):
            return self._sample_weighted_loss(y_pred, y_true, X["sample_weight"])
        run = self._fit_run
        if run is not None and run.zero_class_weight:
            # A batch of zero-weight classes only would make torch's weighted
            # mean 0/0 = NaN and wreck the parameters; the guarded mean gives 0.
            ones = torch.ones(len(y_pred), dtype=y_pred.dtype, device=y_pred.device)
            return self._sample_weighted_loss(y_pred, y_true, ones)
        criterion = self.criterion_
        if (
            isinstance(y_true, torch.Tensor)
            and y_true.device == y_pred.device
            and not isinstance(criterion, torch.nn.NLLLoss)
        ):
            # skorch's get_loss for labels already on the device (it feeds
            # NLLLoss log-probabilities; any other criterion takes the output
            # as it is), without its conversions at every step.
            return criterion(y_pred, y_true)
        return super().get_loss(y_pred, y_true, X=X, training=training)

    # ---- training events, one handler each ---------------------------------------
    @property
    def _fit_run(self):
        """This fit's :class:`FitRun`, or None outside fit."""
        return self.__dict__.get("_run")

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        self.training_prior_ = self._effective_prior()

    def on_epoch_begin(self, net, **kwargs):
        if self._stopped():
            # skorch's partial_fit ends training on it (as skorch's own
            # EarlyStopping does), before this epoch opens its history row.
            raise KeyboardInterrupt
        super().on_epoch_begin(net, **kwargs)

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        super().on_epoch_end(
            net, dataset_train=dataset_train, dataset_valid=dataset_valid, **kwargs
        )
        # The net is notified before its callbacks: scorers that call
        # predict_proba with a ``prior`` see this epoch's training prior,
        # and the stopping score reads it too.
        self.training_prior_ = self._effective_prior(reuse=True)
        run = self._fit_run
        if run is None:
            return
        if run.stopper is not None:
            score = float(self._validation_score(run.stopper))
            self.history.record(score_key(self.early_stopping_score), score)
            run.stopper.update(score, self.history[-1]["epoch"], self._snapshot)
        if run.epoch_hook is not None:
            run.epoch_hook()

    def on_train_end(self, net, X=None, y=None, **kwargs):
        super().on_train_end(net, X=X, y=y, **kwargs)
        self.training_prior_ = self._effective_prior()
        run = self._fit_run
        if run is None:
            return
        run.prior_inputs = None
        self.n_epochs_ = len(self.history) - run.first_epoch
        stopper, run.stopper = run.stopper, None
        if stopper is not None and stopper.best_state is not None:
            weights, prior = stopper.best_state
            self.module_.load_state_dict(weights)
            self.training_prior_ = prior
            self.best_epoch_ = int(stopper.best_epoch)
            self.best_validation_score_ = float(stopper.best_score)

    def _stopped(self):
        """Whether early stopping ended this fit after the last epoch."""
        run = self._fit_run
        return run is not None and run.stopper is not None and run.stopper.stopped

    @torch.no_grad()
    def _validation_score(self, stopper):
        self._set_training(False)
        X, n = stopper.X, len(stopper.X)
        if isinstance(X, (torch.Tensor, SparseRows)):
            outputs = (
                self.infer(X[start : start + PREDICT_BATCH_SIZE])
                for start in range(0, n, PREDICT_BATCH_SIZE)
            )
        else:  # a Dataset's validation part, streamed as training is
            outputs = self.forward_iter(X, training=False, device=self.device)
        smoothing = self._smoothing(self.device)  # where the outputs are
        log_p = torch.cat([self._log_proba(out, smoothing) for out in outputs])
        score = STOPPING_SCORES[self.early_stopping_score][0]
        return score(log_p, stopper.y, self.training_prior_)

    def _snapshot(self):
        weights = {k: v.detach().clone() for k, v in self.module_.state_dict().items()}
        return weights, np.array(self.training_prior_, copy=True)

    def _drop_fit_state(self):
        """What only one fit needs, gone after it (no device tensors kept)."""
        self.__dict__.pop("_run", None)

    # ---- prediction under a chosen prior -----------------------------------------
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
        run = self._fit_run
        last = None if run is None else run.prior_inputs
        if (
            last is not None
            and len(last[0]) == len(inputs)
            and all(map(_same, last[0], inputs))
        ):
            return last[1].copy()
        prior = criterion_prior(criterion, distribution)
        if run is not None:
            run.prior_inputs = (inputs, prior)
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

    def _check_item_shape(self, X):
        """A Dataset's items must hold as many values as those fitted on."""
        shape = item_shape(X)
        if int(np.prod(shape)) != self._n_flat_features:
            raise ValueError(
                f"X's items have shape {shape}; {type(self).__name__} was "
                f"fitted on items of {self._n_flat_features} values."
            )

    def _as_dataset(self, X):
        if is_internal_dataset(X):
            return X
        check_is_fitted(self)
        if _user_dataset(X) and not _holds_arrays(X):
            # Streamed through a DataLoader with its transforms, as in fit.
            self._check_item_shape(X)
            return UnlabelledDataset(X)
        if isinstance(X, torch.utils.data.Dataset):
            # A skorch Dataset, as scoring callbacks hand the validation set.
            X, _ = dataset_arrays(X)
        X = to_device(self._check_X(X), self.device, **self._sparse_batches())
        return DeviceDataset(X)

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
        if prior is not None and np.allclose(prior, source, rtol=1e-6, atol=0):
            prior = None
        smoothing = self._smoothing("cpu")  # forward_iter's outputs are there
        if prior is None and smoothing is None:
            return super().predict_proba(dataset)
        probas = []
        for yp in self.forward_iter(dataset, training=False):
            log_p = self._log_proba(yp, smoothing)
            if log_p.dim() != 2 or log_p.shape[1] != len(source):
                raise ValueError(
                    f"prior needs one probability per class ({len(source)}) from "
                    f"the net; its predict_nonlinearity gave shape "
                    f"{tuple(log_p.shape)}."
                )
            if prior is None:
                probas.append(to_numpy(log_p.exp()))
            else:
                probas.append(to_numpy(shift_log_proba(log_p, prior, source)))
        return np.concatenate(probas, 0)

    def _smoothing(self, device):
        """The label smoothing of a cross-entropy criterion (plain or
        logit-adjusted) and its log class multiplier (log weight minus logit
        offset, on ``device``) for :func:`unsmooth_log_proba`; None without
        smoothing. Read once per prediction, not per batch."""
        criterion = getattr(self, "criterion_", None)
        if type(criterion) not in (torch.nn.CrossEntropyLoss, LogitAdjustedLoss):
            return None
        if not 0 < criterion.label_smoothing < 1 or self.predict_nonlinearity != "auto":
            return None
        n_classes = len(self.classes_)
        log_m = torch.zeros(n_classes, dtype=torch.float64)
        if isinstance(criterion.weight, torch.Tensor):
            weight = criterion.weight.detach().double().cpu()
            # A class of weight 0 is never trained on: its output is read
            # as if it had the smallest weight of a trained class.
            log_m += weight.clamp_min(weight[weight > 0].min()).log()
        if isinstance(criterion, LogitAdjustedLoss):
            log_m -= criterion.tau * criterion.log_prior.detach().double().cpu()
        return criterion.label_smoothing, log_m.to(device, torch.float32)

    def _log_proba(self, yp, smoothing=None):
        """Log-probabilities of one forward pass's output ``yp``, with label
        smoothing undone where ``smoothing`` (:meth:`_smoothing`) says so."""
        yp = yp[0] if isinstance(yp, tuple) else yp
        if self.predict_nonlinearity == "auto" and isinstance(
            self.criterion_, _LOGIT_LOSSES
        ):
            log_p = torch.log_softmax(yp, dim=-1)  # exact where softmax underflows
            if smoothing is not None and log_p.shape[-1] == len(smoothing[1]):
                log_p = unsmooth_log_proba(log_p, *smoothing)
            return log_p
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

    # ---- the state skimb.save stores ----------------------------------------------
    def _get_fitted_state(self):
        """The fitted attributes besides the module's weights, as plain data."""
        check_is_fitted(self)
        state = {
            "classes_": self.classes_,
            "_n_flat_features": self._n_flat_features,
            "_input_shape": list(self._input_shape),
        }
        for attr in self._FITTED_ATTRS:
            if hasattr(self, attr):
                state[attr] = getattr(self, attr)
        return state

    def _set_fitted_state(self, state, module_state):
        """Restore what :meth:`_get_fitted_state` returned and the module's
        weights; the estimator then predicts as the one that was saved."""
        self.__dict__["_classes"] = np.asarray(state["classes_"])
        self._n_flat_features = int(state["_n_flat_features"])
        # Files from before the attribute: the flat shape.
        shape = state.get("_input_shape", [self._n_flat_features])
        self._input_shape = tuple(int(s) for s in shape)
        for attr in self._FITTED_ATTRS:
            if attr in state:
                setattr(self, attr, state[attr])
        self._seed, self._fit_calls = 0, 1
        self.initialize()
        self.module_.load_state_dict(module_state, strict=True)
        if "training_prior_" not in state:  # a file from before the attribute
            self.training_prior_ = self._effective_prior()
        if "n_iter_no_change_" not in state:  # a file from before the attribute
            self.n_iter_no_change_ = (
                self.n_iter_no_change
                if getattr(self, "do_early_stopping_", False)
                else None
            )
        return self


def _weighted_batch(X):
    """Whether ``X`` is a batch that carries sample weights (a dict)."""
    return (
        not isinstance(X, torch.Tensor)
        and isinstance(X, Mapping)
        and "sample_weight" in X
    )


def _quiet(cb):
    """skorch's default callback, or its equivalent that does less work."""
    if type(cb) is PrintLog:
        return QuietPrintLog()
    if type(cb) is PassthroughScoring:
        return QuietPassthroughScoring(
            cb.name, lower_is_better=cb.lower_is_better, on_train=cb.on_train
        )
    return cb


def _same(a, b):
    """Tensors and modules by identity, values by equality."""
    if a is b:
        return True
    if isinstance(a, (torch.Tensor, torch.nn.Module)) or isinstance(
        b, (torch.Tensor, torch.nn.Module)
    ):
        return False
    return a == b


def _user_dataset(X):
    """Whether ``X`` is a torch Dataset of the user's (not skimb's own)."""
    return isinstance(X, torch.utils.data.Dataset) and not is_internal_dataset(X)


def _holds_arrays(X):
    """Whether ``X`` is (a Subset of) a skorch Dataset over arrays, which
    skorch's scoring hands back: read as arrays, not streamed."""
    while isinstance(X, Subset):
        X = X.dataset
    return isinstance(X, SkorchDataset)
