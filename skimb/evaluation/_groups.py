"""Which of a comparison's tasks train together.

Every net method x fold x seed that can share a loop joins one
:func:`~skimb.estimators.fit_many` call (which groups the nets by their
settings), rather than one call per method: the nets of the whole
comparison then share the device. Their resampled training sets are
materialised first, so the tasks are split into several calls, by method
and if need be by fold, when those sets would take more than
:data:`MEMORY_FRACTION` of the available memory. A method that cannot share
the loop runs its tasks one fit at a time, after the nets. In a parallel
run each worker trains shares of a call's nets in one loop
(:func:`worker_shares`): whole folds, one share per fold where a fold's
loop keeps a core busy.
"""

import numpy as np
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.under_sampling.base import BaseUnderSampler

from .._utils.device import available_memory
from .._utils.labels import unique_labels
from ..estimators._budget import auto_batch_size
from ._methods import METHODS, fits_in_one_loop
from ._prepare import take

__all__ = [
    "FOLD_STEP_WORK",
    "MEMORY_FRACTION",
    "SHARE_SLACK",
    "available_memory",
    "data_bytes",
    "loop_step_work",
    "plan_batches",
    "task_bytes",
    "training_work",
    "worker_shares",
]

#: The part of the available memory a loop's materialised sets may take.
MEMORY_FRACTION = 0.25


def _n_features(data):
    """The number of columns the nets train on."""
    if data.preprocessor is None:
        return int(np.prod(np.shape(data.X)[1:]))
    return int(data.preprocessor.transform(take(data.X, [0])).shape[1])


def _rows_after(sampler, counts):
    """Rows a sampler's default strategy makes of classes with ``counts``."""
    if isinstance(sampler, BaseOverSampler):
        return len(counts) * int(counts.max())
    if isinstance(sampler, BaseUnderSampler):
        return len(counts) * int(counts.min())
    return int(counts.sum())


def _trained_rows(task, data):
    """The rows ``task``'s net trains on: its fold's, resampled."""
    _, counts = unique_labels(data.y[task.train], return_counts=True)
    return _rows_after(METHODS[task.method].resampler, counts)


def task_bytes(task, data, n_features):
    """An estimate of the bytes ``task``'s materialised float32 training set
    and validation part take while its net trains."""
    rows = _trained_rows(task, data)
    rows += 0 if task.stop is None else len(task.stop)
    return 4 * rows * n_features


def training_work(plan, options):
    """Multiply-adds of the comparison's net training, estimated before it:
    for every net task still to run, its training rows (resampled) x
    epochs x a forward and backward pass of the net (three times the
    forward's ``features x hidden + hidden x classes``). Epochs are the
    fixed budget's, or under the data's budget those of a fold that cannot
    stop early (most stop sooner: an upper estimate)."""
    per_row = _work_per_row(plan, options)
    work = 0.0
    for method in options.methods:
        if fits_in_one_loop(method):
            for task in plan.tasks(method):
                rows = _trained_rows(task, plan.seeds[task.seed])
                work += rows * per_row[task.seed] * options.unstopped_epochs
    return work


def _work_per_row(plan, options):
    """Per seed, the multiply-adds of one row's forward and backward pass."""
    hidden = options.hidden_units
    return {
        seed: 3 * (_n_features(data) * hidden + hidden * len(data.classes))
        for seed, data in plan.seeds.items()
    }


def loop_step_work(plan, options):
    """``step_work(tasks)``: the multiply-adds of one step of the loop of
    ``tasks``' nets, each net's batch (``batch_size='auto'``: the one its
    training rows get) x a row's forward and backward pass."""
    per_row = _work_per_row(plan, options)

    def step_work(tasks):
        work = 0.0
        for task in tasks:
            data = plan.seeds[task.seed]
            batch = data.net.get("batch_size", "auto")
            if batch == "auto":
                batch = auto_batch_size(_trained_rows(task, data))
            work += batch * per_row[task.seed]
        return work

    return step_work


#: A fold's nets train as a share of their own, handed to the next free
#: worker, when a step of every fold's loop is at least this many
#: multiply-adds (a few milliseconds of a core, against a fraction of a
#: millisecond of fixed cost per step): a fold's loop alone then keeps its
#: core busy, and the workers stay evenly loaded however early each fold's
#: nets stop. The default methods on a 200,000-row, 30-column table (batches
#: 64 to 1024) take 1.0e8 a step; at batch 64 (the fixed budget, or below
#: 19,200 training rows) 1.1e7.
FOLD_STEP_WORK = 5e7
#: Otherwise whole folds are dealt to the workers only while the largest
#: share has at most this much more than an equal share of the rows.
SHARE_SLACK = 0.1


def worker_shares(tasks, n, step_work=None):
    """``tasks`` dealt into shares for ``n`` workers, each share trained in
    one loop; ``step_work(fold_tasks)`` gives the multiply-adds of a step
    of a fold's loop (:func:`loop_step_work`; None: never one share per
    fold).

    A fold's preprocessing is fitted, and its inputs held, by one worker
    only: where a step of every fold's loop is :data:`FOLD_STEP_WORK` or
    more, one share per fold, largest first (the workers take them in
    turn); else ``n`` shares of whole folds of about equal training rows,
    the largest fold first to the least loaded share, when no share gets
    more than ``1 + SHARE_SLACK`` times an equal one; else ``n`` shares of
    every ``n``-th task.
    """
    folds = {}
    for task in tasks:
        folds.setdefault((task.seed, str(task.fold)), []).append(task)
    rows = {key: sum(len(t.train) for t in fold) for key, fold in folds.items()}
    order = sorted(folds, key=rows.get, reverse=True)
    if (
        step_work is not None
        and len(folds) > n
        and all(step_work(fold) >= FOLD_STEP_WORK for fold in folds.values())
    ):
        return [folds[key] for key in order]
    shares, loads = [[] for _ in range(n)], [0] * n
    for key in order:
        i = loads.index(min(loads))
        shares[i].extend(folds[key])
        loads[i] += rows[key]
    if min(loads) == 0 or max(loads) > (1 + SHARE_SLACK) * sum(loads) / n:
        return [tasks[i::n] for i in range(n)]
    return shares


def data_bytes(plan):
    """An estimate of the bytes of data a worker holds besides its share's
    training sets: every seed's training part as given and preprocessed
    (float32), and the held-out part."""
    total = 0
    for data in plan.seeds.values():
        total += _nbytes(data.X) + 4 * len(data.y) * _n_features(data)
    return total + _nbytes(plan.split.X_test)


def _nbytes(X):
    if hasattr(X, "memory_usage"):  # a DataFrame
        return int(X.memory_usage(index=False, deep=True).sum())
    if hasattr(X, "data") and hasattr(X, "indices"):  # a sparse matrix
        return int(X.data.nbytes + X.indices.nbytes + X.indptr.nbytes)
    return int(getattr(X, "nbytes", 0))


def _pack(units, budget):
    """Consecutive ``(tasks, bytes)`` units packed into groups of at most
    ``budget`` bytes (a unit larger than it alone)."""
    groups, current, size = [], [], 0
    for tasks, nbytes in units:
        if current and size + nbytes > budget:
            groups.append(current)
            current, size = [], 0
        current.extend(tasks)
        size += nbytes
    return [*groups, current] if current else groups


def _net_groups(by_method, plan, budget):
    """The net tasks in as few groups as the memory budget allows: whole
    methods where a method fits, its tasks one by one where it does not."""
    n_features = {seed: _n_features(data) for seed, data in plan.seeds.items()}
    units = []
    for tasks in by_method:
        sizes = [task_bytes(t, plan.seeds[t.seed], n_features[t.seed]) for t in tasks]
        if budget is None or sum(sizes) <= budget:
            units.append((tasks, sum(sizes)))
        else:
            units.extend(([t], s) for t, s in zip(tasks, sizes, strict=True))
    if budget is None:
        return [[t for tasks, _ in units for t in tasks]]
    return _pack(units, budget)


def plan_batches(plan, methods, options, *, memory=None):
    """The tasks still to run, in batches that run and are saved in turn.

    With ``fit_many``, every net method's tasks first, in as few batches
    as ``MEMORY_FRACTION`` of ``memory`` (bytes; None: what is available
    now) allows; then each other method's tasks; without ``fit_many``,
    one batch per method.
    """
    pending = [(m, plan.tasks(m)) for m in methods]
    pending = [(m, tasks) for m, tasks in pending if tasks]
    if not options.fit_many:
        return [tasks for _, tasks in pending]
    nets = [tasks for m, tasks in pending if fits_in_one_loop(m)]
    others = [tasks for m, tasks in pending if not fits_in_one_loop(m)]
    if not nets:
        return others
    memory = available_memory() if memory is None else memory
    budget = None if memory is None else MEMORY_FRACTION * memory
    return [*_net_groups(nets, plan, budget), *others]
