"""Many nets in one loop: :func:`fit_many` trains K ``SimpleNet`` estimators together.

:func:`fit_many` fits each estimator on its own data, as ``est.fit`` would,
but trains the compatible ones in one loop: their linear layers become
``(K, out, in)`` batched layers, each training step is one batched matrix
product per layer (``torch.baddbmm``) over all K nets, and one batched
optimizer step updates them all. Each net keeps its own seed, initial
weights, epoch order (drawn by its own iterator from its own generator),
criterion, class and sample weights and optimizer state, so the result
equals K separate fits to float tolerance; small nets that would each leave
the device idle then share it.

This module decides which estimators can share a loop and prepares them;
``_batched_layers``, ``_batched_loop`` and ``_batched_optim`` hold the
batched net, its training loop and its optimizers.
"""

import dataclasses
import warnings

import torch
from skorch import NeuralNet
from skorch.callbacks import EpochScoring, EpochTimer, PassthroughScoring, PrintLog

from .._utils.device import seeded as _seeded
from ..nn._losses import FocalLoss, LDAMLoss, LogitAdjustedLoss
from ..nn._simple_net import SimpleNet
from ._batched_layers import linear_layers
from ._batched_loop import train_together
from ._batches import ShuffledBatches, WeightedSamplerBatches
from ._callbacks import DeferredReweighting
from ._classifiers import NetClassifier

__all__ = ["FitManyWarning", "fit_many"]

_OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD)
_CRITERIA = (torch.nn.CrossEntropyLoss, LogitAdjustedLoss, FocalLoss, LDAMLoss)
# Callbacks whose work is per epoch only (or, for valid_acc, on validation
# batches, which these fits do not have): the shared loop notifies each
# estimator at epoch boundaries and records its batches itself.
_CALLBACKS = (
    EpochTimer,
    PassthroughScoring,
    EpochScoring,
    PrintLog,
    DeferredReweighting,
)
_ITERATORS = (ShuffledBatches, WeightedSamplerBatches)
# Optimizer options that change no update rule, only where torch keeps state.
_IMPLEMENTATION_OPTIONS = ("params", "foreach", "fused", "capturable")


class FitManyWarning(UserWarning):
    """An estimator given to :func:`fit_many` trains alone, and why.

    Issued once per distinct reason per :func:`fit_many` call, naming the
    estimators (by position) it applies to. Such an estimator is still
    fitted exactly as its own ``fit`` fits it, only without sharing the
    loop. Silence it with
    ``warnings.filterwarnings("ignore", category=FitManyWarning)``.
    """


def fit_many(
    estimators, Xs, ys, sample_weights=None, *, X_vals=None, y_vals=None, on_epoch=None
):
    """Fit each estimator on its own data, training compatible ones in one loop.

    ``fit_many([a, b], [Xa, Xb], [ya, yb])`` gives the fitted estimators that
    ``a.fit(Xa, ya)`` and ``b.fit(Xb, yb)`` give, to float tolerance: the same
    validation, seeds, initial weights, epoch orders, losses, optimizer
    updates and ``history_``. Estimators that can share a loop (see Notes)
    are grouped and each group trains as one batched net; every other
    estimator is fitted by its own ``fit``, with a :class:`FitManyWarning`
    that says why.

    Parameters
    ----------
    estimators : sequence of estimators
        Distinct estimator objects; they are fitted in place.
    Xs : sequence of array-like of shape (n_samples_i, n_features)
        Training data of each estimator; sizes may differ.
    ys : sequence of array-like of shape (n_samples_i,)
        Labels of each estimator.
    sample_weights : sequence of (array-like or None), default=None
        Sample weights of each estimator (``None`` for none).
    X_vals : sequence of (array-like or None), default=None
        Each estimator's fixed validation set for early stopping (its
        ``fit``'s ``X_val``; ``None`` for none).
    y_vals : sequence of (array-like or None), default=None
        Their labels (``fit``'s ``y_val``).
    on_epoch : callable or None, default=None
        Called as ``on_epoch(done, total)`` after every epoch of a group of
        nets trained in one loop (and of a net trained alone), in training
        rows passed: ``total`` sums rows per epoch times ``max_epochs`` over
        all estimators, ``done`` what has been trained, counting the
        remaining epochs of a net that stopped early as done. Estimators
        that cannot share the loop count once they are fitted. For a
        progress bar.

    Returns
    -------
    estimators : list
        The same estimator objects, fitted.

    Warns
    -----
    FitManyWarning
        Once per distinct reason an estimator cannot share the loop (the
        first paragraph of the Notes), naming the estimators it applies to.

    See Also
    --------
    skimb.NetClassifier.fit : What each estimator's training equals.

    Notes
    -----
    An estimator can share the loop when it is a skimb estimator with a
    :class:`~skimb.SimpleNet` module (read as its float32 ``nn.Linear``
    layers), an Adam, AdamW or SGD optimizer (without ``amsgrad``,
    ``differentiable`` or tensor-valued settings) and a
    ``CrossEntropyLoss``, :class:`~skimb.nn.LogitAdjustedLoss`,
    :class:`~skimb.nn.FocalLoss` or :class:`~skimb.nn.LDAMLoss`
    criterion, and has no user callbacks, no ``train_split``, no
    ``warm_start``, no ``compile`` and one optimizer parameter group. Any
    other estimator trains alone and a :class:`FitManyWarning` says why.

    Estimators share one loop when they also agree on the device, the
    layers' sizes, the batch size, ``max_epochs`` and the optimizer's class
    and settings; several such groups train one after the other. A net
    left in a group of one (the last fold of a method, say, or the only net
    with its batch size) trains by itself too, but without a warning: it
    asked for nothing the loop cannot do.

    Each net with early stopping (``early_stopping``, or a fixed validation
    set in ``X_vals``) scores its own validation part after every epoch,
    stops alone (its steps are skipped while the others go on) and gets
    its own best epoch's weights back, as its ``fit`` does; the group ends
    when its last net stops.

    Within a group each net computes its loss with its own criterion on its
    own slice of the batched logits, so class weights, deferred
    re-weighting, sample weights and the long-tail losses apply per net.
    Nets with more batches per epoch than others keep training while the
    others wait: a net without a batch at a step is not updated (its
    optimizer step count, and so Adam's bias correction, does not advance).

    Parameters, optimizer state and the per-epoch losses equal those of
    separate fits up to float rounding (a batched product sums in another
    order than a single one). The ``dur`` of an epoch is the time the whole
    group took for it. Callbacks are notified at the start and end of
    training and of each epoch, not per batch (which is why user callbacks
    make an estimator train alone).

    ``benchmarks/fit_many.py`` measures the throughput against separate fits.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from skimb import NetClassifier, WeightedLossClassifier
    >>> from skimb.estimators import fit_many
    >>> rng = np.random.default_rng(0)
    >>> Xs = [rng.normal(size=(n, 5)).astype(np.float32) for n in (40, 60, 50)]
    >>> ys = [rng.integers(0, 2, size=len(X)) for X in Xs]
    >>> tiny = dict(max_epochs=2, module__hidden_units=8, device="cpu")
    >>> nets = [NetClassifier(random_state=0, **tiny),
    ...         WeightedLossClassifier(random_state=1, **tiny),
    ...         NetClassifier(random_state=2, warm_start=True, **tiny)]
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     fitted = fit_many(nets, Xs, ys)
    >>> [len(est.history_) for est in fitted]
    [2, 2, 2]
    >>> print(caught[0].message)  # doctest: +NORMALIZE_WHITESPACE
    fit_many trains estimator 2 alone, not in one loop with the others:
    warm_start continues a previous fit.
    """
    estimators, data = _check_arguments(
        estimators, Xs, ys, sample_weights, X_vals, y_vals, on_epoch
    )
    members, alone, rows_alone = _prepare(estimators, data)
    for member in members:
        if member.reason is not None:
            alone.setdefault(member.reason, []).append(member.position)
    _warn_alone(alone)
    progress = _Progress(members, rows_alone, on_epoch)
    try:
        for group in _groups(members):
            lead = group[0]
            with lead.est._threads(lead.device, n_nets=len(group)) as tuner:
                if len(group) == 1:
                    _train_alone(lead, progress)
                else:
                    train_together(group, on_epoch=progress.report, tuner=tuner)
            progress.finish(group)
    finally:
        for member in members:
            member.est._drop_fit_state()
            member.est._forget_training_run()
    return estimators


def _check_arguments(estimators, Xs, ys, sample_weights, X_vals, y_vals, on_epoch):
    """The estimators and, per estimator, ``(X, y, sample_weight, X_val, y_val)``."""
    estimators = list(estimators)
    columns = {"Xs": Xs, "ys": ys, "sample_weights": sample_weights}
    columns |= {"X_vals": X_vals, "y_vals": y_vals}
    for name, column in columns.items():
        columns[name] = [None] * len(estimators) if column is None else list(column)
    lengths = {name: len(column) for name, column in columns.items()}
    if set(lengths.values()) != {len(estimators)}:
        raise ValueError(
            "estimators, Xs, ys, sample_weights, X_vals and y_vals must have the "
            f"same length; got {len(estimators)} estimators and {lengths}."
        )
    if len({id(est) for est in estimators}) != len(estimators):
        raise ValueError(
            "estimators must be distinct objects: one estimator cannot be fitted "
            "twice at once."
        )
    if on_epoch is not None and not callable(on_epoch):
        raise TypeError(
            f"on_epoch must be None or a callable (done, total); got {on_epoch!r}."
        )
    return estimators, list(zip(*columns.values(), strict=True))


def _prepare(estimators, data):
    """Fit the estimators that cannot share the loop, prepare the others.

    In the order given, as a loop of fits would do it (an estimator with
    random_state=None draws its seed from numpy's global generator). Returns
    the prepared members, ``{reason: [positions]}`` of those fitted alone
    and the training rows those passed (rows times ``max_epochs``).
    """
    members, alone, rows_alone = [], {}, 0
    try:
        for i, (est, arrays) in enumerate(zip(estimators, data, strict=True)):
            reason = _ineligible_reason(est)
            if reason is not None:
                _fit_alone(est, *arrays)
                alone.setdefault(reason, []).append(i)
                rows_alone += _num_rows(arrays[0]) * getattr(est, "max_epochs", 1)
                continue
            members.append(_open_fit(est, *arrays, position=i))
    except BaseException:
        for member in reversed(members):
            member.restore()
        raise
    return members, alone, rows_alone


def _num_rows(X):
    shape = getattr(X, "shape", None)
    return int(shape[0]) if shape else len(X)


def _groups(members):
    """Members that can share one loop, in groups; the others in groups of one."""
    groups = {}
    for member in members:
        if member.key is None:
            groups[id(member)] = [member]
        else:
            groups.setdefault(member.key, []).append(member)
    return list(groups.values())


def _warn_alone(alone):
    # stacklevel 3: the warning's place is the line that called fit_many,
    # which is what a filter on a module (compare's, a user's) matches.
    for reason, positions in alone.items():
        if len(positions) == 1:
            which = f"estimator {positions[0]}"
        else:
            which = f"estimators {', '.join(map(str, positions))}"
        warnings.warn(
            f"fit_many trains {which} alone, not in one loop with the others: "
            f"{reason}.",
            FitManyWarning,
            stacklevel=3,
        )


# ---- eligibility --------------------------------------------------------------


def _ineligible_reason(est):
    """Why ``est`` must train alone, or None if it may share the loop.

    Decided from the parameters alone, before fit changes anything; the
    text completes "trains alone: ...".
    """
    if not isinstance(est, NetClassifier):
        return "it is not a skimb estimator"
    module = est.module
    if not (module is SimpleNet or type(module) is SimpleNet):
        return "its module is not skimb's SimpleNet"
    if est.optimizer not in _OPTIMIZERS:
        return "its optimizer is not torch's Adam, AdamW or SGD"
    criterion = est.criterion
    if not (criterion in _CRITERIA or type(criterion) in _CRITERIA):
        return (
            "its criterion is not CrossEntropyLoss, LogitAdjustedLoss, FocalLoss "
            "or LDAMLoss"
        )
    if est.callbacks:
        return "user callbacks need the per-batch loop"
    if est.train_split is not None:
        return "a train_split validates each epoch"
    if est.warm_start:
        return "warm_start continues a previous fit"
    if est.compile:
        return "a compiled module runs its own graph"
    params = est.get_params(deep=False)
    for name in ("optimizer__amsgrad", "optimizer__differentiable"):
        if params.get(name):
            return f"{name} has no batched form"
    if "optimizer__param_groups" in params:
        return "optimizer parameter groups have no batched form"
    return None


def _layers_or_reason(est, iterator):
    """``(layers, None)``, or ``(None, why)`` from the initialised estimator.

    The checks that need the initialised module, optimizer and iterator.
    """
    module = est.module_
    if type(module) is not SimpleNet:
        return None, "its initialised module is not a SimpleNet"
    layers, reason = linear_layers(module)
    if reason is not None:
        return None, reason
    optimizer = est.optimizer_
    if type(optimizer) not in _OPTIMIZERS:
        return None, "its initialised optimizer is not torch's Adam, AdamW or SGD"
    if len(optimizer.param_groups) != 1:
        return None, "its optimizer has several parameter groups"
    group = optimizer.param_groups[0]
    if [id(p) for p in group["params"]] != [id(p) for p in module.parameters()]:
        return None, "its optimizer does not hold exactly the module's parameters"
    if group.get("amsgrad") or group.get("differentiable"):
        return None, "amsgrad and differentiable optimizers have no batched form"
    if any(
        isinstance(v, torch.Tensor) for v in group.values() if v is not group["params"]
    ):
        return None, "tensor-valued optimizer settings have no batched form"
    criterion = est.criterion_
    if type(criterion) not in _CRITERIA or any(True for _ in criterion.parameters()):
        return None, "its initialised criterion is not a loss with a batched form"
    if not all(isinstance(cb, _CALLBACKS) for _, cb in est.callbacks_):
        return None, "a callback needs the per-batch loop"
    if not isinstance(iterator, _ITERATORS):
        return None, "its training batches are not skimb's device iterators"
    return layers, None


def _optimizer_settings(optimizer):
    group = optimizer.param_groups[0]
    settings = sorted(
        (k, v) for k, v in group.items() if k not in _IMPLEMENTATION_OPTIONS
    )
    return type(optimizer), repr(settings)


# ---- one estimator's fit, in the steps of its own ``_fit`` --------------------


@dataclasses.dataclass
class _Member:
    """One estimator between preparation and training.

    ``key`` (None for a net that trains alone, with its ``reason``) is what
    nets sharing a loop must agree on; ``layers`` are its linear layers.
    """

    est: object
    saved: dict
    dataset: object
    y_enc: object
    device: torch.device
    seed: int
    position: int
    iterator: object = None
    layers: list = None
    key: tuple = None
    reason: str = None

    def restore(self):
        self.est.__dict__.clear()
        self.est.__dict__.update(self.saved)


def _fit_alone(est, X, y, sample_weight, X_val, y_val):
    # Only what was given: any scikit-learn classifier takes fit(X, y).
    given = dict(sample_weight=sample_weight, X_val=X_val, y_val=y_val)
    est.fit(X, y, **{k: v for k, v in given.items() if v is not None})


def _open_fit(est, X, y, sample_weight, X_val, y_val, *, position):
    """Validate, seed and initialise ``est`` exactly as its ``fit`` does.

    These are the steps of the estimators' ``_fit`` before the training
    loop: the same seed derivation, generator and initialisation under the
    seeded global RNG, so that initial weights and every epoch's draws are
    those of a separate fit.
    """
    saved = dict(est.__dict__)
    dataset, y_enc, device, seed = est._begin_fit(
        X, y, sample_weight, fresh=True, classes=None, validation=(X_val, y_val)
    )
    member = _Member(est, saved, dataset, y_enc, device, seed, position)
    try:
        member.iterator = est.get_iterator(dataset, training=True)
    except BaseException:
        member.restore()
        raise
    member.layers, member.reason = _layers_or_reason(est, member.iterator)
    if member.reason is None:
        member.key = (
            str(device),
            tuple(tuple(layer.weight.shape) for layer in member.layers),
            member.iterator.batch_size,
            est.max_epochs,
            _optimizer_settings(est.optimizer_),
        )
    return member


def _train_alone(member, progress):
    """The rest of ``_fit``: skorch's own loop, under the estimator's seed."""
    est = member.est
    if progress.on_epoch is not None:
        est.__dict__["_epoch_hook"] = progress.report
    with _seeded(member.seed, member.device):
        NeuralNet.partial_fit(est, member.dataset, member.y_enc)


class _Progress:
    """``on_epoch(done, total)`` in training rows passed, over every net."""

    def __init__(self, members, rows_alone, on_epoch):
        self.on_epoch = on_epoch
        self.members = members
        self.finished = set()
        self.rows_alone = rows_alone
        self.total = rows_alone + sum(self._rows(m) * m.est.max_epochs for m in members)
        if rows_alone:
            self.report()

    @staticmethod
    def _rows(member):
        return member.iterator.epoch_size

    def _epochs(self, member):
        est = member.est
        if id(member) in self.finished or est._stopped():
            return est.max_epochs  # what a stopped net will not train counts as done
        return len(est.history_)

    def report(self):
        if self.on_epoch is not None:
            done = self.rows_alone
            done += sum(self._rows(m) * self._epochs(m) for m in self.members)
            self.on_epoch(done, self.total)

    def finish(self, group):
        self.finished.update(id(m) for m in group)
