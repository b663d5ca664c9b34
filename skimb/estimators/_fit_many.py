"""Many nets in one loop: :func:`fit_many` trains K estimators together.

:func:`fit_many` fits each estimator on its own data, as ``est.fit`` would,
and trains the nets that agree on architecture, batch size, number of
batches, epochs and optimizer as one stacked program (the loop of
``_training``, which a single ``fit`` runs too). Each net keeps its own seed,
initial weights, epoch order (drawn by its own iterator from its own
generator), criterion, class and sample weights and optimizer state, so the
result equals K separate fits to float tolerance; small nets that would each
leave the device idle then share it.
"""

import dataclasses
import warnings

from skorch import NeuralNet

from .._utils.device import seeded as _seeded
from ._batches import resolve_dataset
from ._net import NetClassifier, _user_dataset
from ._training import Member, data_key, loop_reason, stack_key, train

__all__ = ["FitManyWarning", "fit_many"]


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
    An estimator can share the loop when it is a skimb estimator without
    user callbacks, ``train_split``, ``warm_start`` or ``compile``, whose
    optimizer is one of torch's elementwise optimizers (Adam, AdamW, SGD,
    RMSprop, Adagrad, Adamax, NAdam, RAdam) over its module's parameters in
    one group. Any other estimator trains alone and a
    :class:`FitManyWarning` says why.

    Estimators share one loop when they also agree on the device, the
    module (its class, its layers and their sizes), the batch size and
    number of batches per epoch, ``max_epochs`` and the optimizer's
    settings; several such groups train one after the other. Any module
    stacks: a CNN on images as well as an MLP. A net left in a group of one
    (the only net with its batch size, say) runs the same loop by itself,
    without a warning: it asked for nothing the loop cannot do.

    The stacked nets' parameters are those of PyTorch's model-ensembling
    API (:func:`torch.func.stack_module_state`); the forward pass is the
    module's own under :func:`torch.func.vmap`, and one torch optimizer of
    the nets' class updates them all, which equals K separate optimizers
    because these update every element from its own state.

    Each net with early stopping (``early_stopping``, or a fixed validation
    set in ``X_vals``) scores its own validation part after every epoch,
    stops alone (it leaves the stack while the others go on) and gets its
    own best epoch's weights back, as its ``fit`` does; the group ends when
    its last net stops.

    Within a group each net computes its loss with its own ``get_loss`` on
    its own slice of the stacked logits, so class weights, deferred
    re-weighting, sample weights and the long-tail losses apply per net.

    Parameters, optimizer state and the per-epoch losses equal those of
    separate fits up to float rounding (a batched product sums in another
    order than a single one). Dropout draws each net's masks from one
    stream, so nets with dropout are equal to separate fits in
    distribution only. The ``dur`` of an epoch is the time the whole group
    took for it. Callbacks are notified at the start and end of training
    and of each epoch, not per batch (which is why user callbacks make an
    estimator train alone).

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
                if lead.reason is not None:
                    _train_alone(lead, progress)
                else:
                    with _seeded(lead.seed, lead.device):  # dropout, as in fit
                        train(group, on_epoch=progress.report, tuner=tuner)
            progress.finish(group)
    finally:
        for member in members:
            member.est._drop_fit_state()
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
            if reason is None and _user_dataset(arrays[0]):
                reason = "a torch Dataset streams its items through a DataLoader"
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
    """Members that can share one loop, in groups; the others in groups of
    one. Within a group, nets on the same data tensor sit next to each
    other, so that one gather per step serves them."""
    groups = {}
    for member in members:
        key = id(member) if member.key is None else member.key
        groups.setdefault(key, []).append(member)
    first = {}
    for member in members:
        first.setdefault(data_key(resolve_dataset(member.dataset)[0].X), len(first))
    rank = {id(m): first[data_key(resolve_dataset(m.dataset)[0].X)] for m in members}
    return [sorted(group, key=lambda m: rank[id(m)]) for group in groups.values()]


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
    if est.callbacks:
        return "user callbacks need the per-batch loop"
    if est.train_split is not None:
        return "a train_split validates each epoch"
    if est.warm_start:
        return "warm_start continues a previous fit"
    if est.compile:
        return "a compiled module runs its own graph"
    return None


# ---- one estimator's fit, in the steps of its own ``_fit`` --------------------


@dataclasses.dataclass
class _Member(Member):
    """One estimator between preparation and training.

    ``key`` (None for a net that trains alone, with its ``reason``, or in
    a stack of its own) is what nets stacked in one loop agree on.
    """

    saved: dict = None
    seed: int = 0
    position: int = 0
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
    member = _Member(est, dataset, y_enc, device, None, saved, seed, position)
    try:
        member.iterator = est.get_iterator(dataset, training=True)
    except BaseException:
        member.restore()
        raise
    member.reason = loop_reason(est, member.iterator)
    if member.reason is None:
        member.key = stack_key(member)
    return member


def _train_alone(member, progress):
    """The rest of ``_fit`` in skorch's own loop, under the estimator's seed."""
    est = member.est
    if progress.on_epoch is not None:
        est._fit_run.epoch_hook = progress.report
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
