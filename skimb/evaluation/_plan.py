"""A comparison's plan: the data, each seed's imbalanced draw and folds, the
tasks (one fit each) still to run, and which of them train together.

Everything here happens before the first fit, so every user error (a bad
option, data that cannot be used, an output folder that cannot be written,
a ``resume`` of another configuration) is raised before any work starts.

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

import dataclasses
import sys
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.under_sampling.base import BaseUnderSampler
from sklearn.model_selection import StratifiedKFold

from .._utils.device import available_memory
from .._utils.labels import unique_labels
from ..datasets._builtin import label_counts
from ..datasets._imbalance import check_imbalance_options, make_imbalanced
from ..datasets._sources import load_data
from ..datasets._user import check_target
from ..estimators import BUDGET
from ..estimators._budget import auto_batch_size
from ..estimators._early_stopping import validation_split
from ..metrics._operating_point import check_operating_point
from ..nn import SimpleNet
from ._methods import METHODS, auto_recipes, fits_in_one_loop
from ._options import net_record
from ._preprocessing import (
    check_encodable,
    make_preprocessor,
    unusable_columns,
    warn_unusable,
)
from ._results import check_output_writable, load_previous
from ._scoring import fit_key

__all__ = [
    "FOLD_STEP_WORK",
    "MEMORY_FRACTION",
    "SHARE_SLACK",
    "Plan",
    "SeedData",
    "Task",
    "data_bytes",
    "loop_step_work",
    "n_features",
    "plan_comparison",
    "task_bytes",
    "task_groups",
    "trained_rows",
    "training_work",
    "work_per_row",
    "worker_shares",
]

#: The fewest validation rows of a class for early stopping in a comparison:
#: below it the stopping score is noise and such a fold's nets train the
#: fixed number of epochs. Measured on examples/your_data.py (4,000 rows,
#: 3 % fraud): with 8 fraud rows per validation part early stopping cut the
#: plain net's CV average precision from 0.596 to 0.544 and the weighted
#: loss's held-out AP from 0.729 to 0.671.
MIN_STOPPING_ROWS = 20


@dataclass(frozen=True, eq=False)
class Task:
    """One fit: ``method`` on one fold of seed ``seed``'s training data.

    ``fold`` is the fold's number, scored on its ``valid`` rows, or
    ``'test'``: the whole training part (``valid`` None), scored on the
    held-out part. A net that stops early trains on ``train`` and scores
    its epochs on ``stop``, both cut from the fold's training rows before
    any step runs (``stop`` None: no early stopping, ``train`` is all of
    them). ``net_settings`` are those its net trains with (the plan's
    :meth:`Plan.task` decides them).
    """

    method: str
    seed: int
    fold: object
    train: np.ndarray
    valid: np.ndarray | None
    stop: np.ndarray | None = None
    net_settings: dict | None = None

    @property
    def key(self):
        """How a result row names this task (as ``resume`` reads it back)."""
        return (self.method, self.seed, str(self.fold))


@dataclass(frozen=True, eq=False)
class SeedData:
    """One seed's imbalanced training data, its folds and how rows are scored.

    ``net_settings`` holds the settings every net gets and ``preprocessor`` the
    unfitted tabular preprocessing (None for built-in data); ``majority``,
    ``minority`` and ``positive`` name the classes of this seed's draw.
    ``stopping`` maps a fold (or ``'test'``) to the ``(train, stop)`` rows
    of its nets' early stopping, ``stop`` None where it cannot be split
    (empty without early stopping).
    """

    X: object
    y: np.ndarray
    folds: list
    classes: list
    majority: object
    minority: list
    positive: object
    net_settings: dict
    preprocessor: object
    stopping: dict
    unstopped_epochs: int = BUDGET.max_epochs  # a net without early stopping
    operating_point: object = None  # the OperatingPoint decisions are taken at
    tree_preprocessor: object = None  # gradient boosting's, native categories

    def rows(self, index):
        """``(X, y)`` of the rows ``index`` (``X`` an array, a sparse matrix or
        a DataFrame)."""
        X = self.X.iloc[index] if hasattr(self.X, "iloc") else self.X[index]
        return X, self.y[index]


@dataclass(frozen=True, eq=False)
class Plan:
    """The data, the configuration written with the results, each seed's
    data and the rows an earlier run already finished (``resume``)."""

    split: object
    config: dict
    seeds: dict
    done: list

    @property
    def operating_point(self):
        """The :class:`~skimb.metrics.OperatingPoint` decisions are taken at."""
        return self.seeds[self.first_seed].operating_point

    @property
    def first_seed(self):
        """The first seed: its fits on the whole training part give the
        recommended model."""
        return next(iter(self.seeds))

    @property
    def done_keys(self):
        """The :attr:`Task.key` of every fit an earlier run finished."""
        return {fit_key(r) for r in self.done}

    @property
    def classes(self):
        """The training part's class labels, sorted."""
        return list(self.config["class_counts"])

    def tasks(self, method):
        """``method``'s tasks not done yet, seed by seed, folds then test."""
        done = self.done_keys
        tasks = []
        for seed, data in self.seeds.items():
            for fold in [*range(len(data.folds)), "test"]:
                task = self.task(method, seed, fold)
                if task.key not in done:
                    tasks.append(task)
        return tasks

    def task(self, method, seed, fold):
        """The :class:`Task` of ``method`` on ``fold`` (or ``'test'``) of
        seed ``seed``.

        Whether its net stops early is decided here, once: under the data's
        budget it does where its method's schedule allows it
        (``Method.stops_early``) and its fold has the rows to stop on
        (``SeedData.stopping``); else it trains ``SeedData.unstopped_epochs``
        without stopping.
        """
        data = self.seeds[seed]
        if fold == "test":
            train, valid = np.arange(len(data.y)), None
        else:
            train, valid = data.folds[fold]
        stop, settings = None, data.net_settings
        if (
            METHODS[method].is_net
            and METHODS[method].stops_early
            and fold in data.stopping
        ):
            train, stop = data.stopping[fold]
        if stop is None and settings["early_stopping"]:
            settings = {
                **settings,
                "early_stopping": False,
                "max_epochs": data.unstopped_epochs,
            }
        return Task(method, seed, fold, train, valid, stop, settings)


def _label(value):
    return value.item() if isinstance(value, np.generic) else value


def _resolve_positive(positive_label, classes, counts):
    if len(classes) != 2:
        if positive_label is not None:
            raise ValueError(
                "positive_label names the positive class of a binary problem; "
                f"this one has {len(classes)} classes."
            )
        return None
    if positive_label is None:
        return min(classes, key=lambda c: counts[c])  # the minority class
    for c in classes:
        if c == positive_label or str(c) == str(positive_label):
            return c
    raise ValueError(
        f"positive_label must be one of the classes {classes!r}; got "
        f"{positive_label!r}."
    )


def _load(data, y, options):
    """The train/test split and whether it is built in."""
    return load_data(
        data,
        y,
        target=options.target,
        name=options.name,
        test_size=options.test_size,
        data_dir=options.data_dir,
        download=options.download,
    )


# Resamplers that make new rows between neighbours: on images, new pixels.
_INTERPOLATING = ("smote", "adasyn", "borderline", "svm-smote", "kmeans-smote")


def _check_images(split, methods):
    """A method that shifts images needs data that are images."""
    shifting = [m for m in methods if getattr(METHODS[m].estimator, "augment_shift", 0)]
    if shifting and "image_shape" not in split.info:
        raise ValueError(
            f"{', '.join(shifting)} shift{'s' if len(shifting) == 1 else ''} "
            f"images, and {split.name} is a table: give images as (n, channels, "
            "height, width) arrays, or a built-in image data set ('digits', "
            "'mnist'), or leave the method out."
        )


#: Bytes a dense-input method holds per cell of a sparse matrix it
#: densifies: the float32 copy and gradient boosting's float64 one.
DENSE_CELL_BYTES = 12
#: The share of the available memory such copies may take.
DENSE_MEMORY_FRACTION = 0.5


def _check_dense(split, methods, memory=None):
    """A method that needs dense input (gradient boosting) would densify a
    sparse matrix: refuse, naming the methods, when that does not fit."""
    dense = [m for m in methods if METHODS[m].dense]
    if not dense or not sp.issparse(split.X_train):
        return
    memory = available_memory() if memory is None else memory
    rows, columns = split.X_train.shape
    need = rows * columns * DENSE_CELL_BYTES
    if memory is not None and need > DENSE_MEMORY_FRACTION * memory:
        raise ValueError(
            f"{', '.join(dense)} need{'s' if len(dense) == 1 else ''} the sparse "
            f"{rows} x {columns} matrix of {split.name} dense: about "
            f"{need / 2**30:.1f} GiB, more than half the {memory / 2**30:.1f} GiB "
            "available; leave them out of methods (the nets, the resamplers, the "
            "forest and logistic regression keep it sparse)."
        )


def _warn_interpolation(split, methods):
    """On images a net reads as images, say which resamplers interpolate
    flat pixels."""
    if "image_shape" not in split.info:
        return
    found = [m for m in methods if m.startswith(_INTERPOLATING)]
    if found:
        warnings.warn(
            f"{', '.join(found)} interpolate{'s' if len(found) == 1 else ''} "
            f"between neighbouring images of {split.name} pixel by pixel (the "
            f"images as {int(np.prod(split.info['image_shape']))} flat columns): "
            "their new images are blends, not shapes a camera would take.",
            UserWarning,
            stacklevel=4,
        )


def _preprocessor(split, builtin, options):
    """The tabular preprocessing of a user's data, and the one of gradient
    boosting with native categories (both None for built-in data)."""
    if builtin:
        return None, None
    check_encodable(split.X_train)
    unusable = unusable_columns(split.X_train)
    warn_unusable(unusable, split.name, stacklevel=4)  # the caller of compare
    preprocessors = [
        make_preprocessor(
            split.X_train,
            drop=unusable,
            native_categories=native,
            scaling=options.scaling,
            encoding=options.encoding,
        )
        for native in (False, True)
    ]
    try:
        for preprocessor in preprocessors:
            preprocessor.fit(split.X_train, split.y_train)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"the features of {split.name} cannot be preprocessed: {exc}"
        ) from None
    return preprocessors


def _preprocessing_name(split, builtin, options):
    if builtin:
        return "none (pixels in [0, 1])"
    if sp.issparse(split.X_train):
        return "sparse (max-abs scaling)"
    return f"tabular ({options.scaling}, {options.encoding} encoding)"


def _recipe(split, builtin, options):
    """The imbalance recipe's options, checked against the data's classes."""
    counts = label_counts(split.y_train)
    recipe = options.imbalance
    if recipe is None:
        recipe = "seed" if builtin else "none"
    majority_class = options.majority_class
    if majority_class is None:
        majority_class = 0 if builtin else max(counts, key=counts.get)
    imbalance = dict(
        recipe=recipe,
        majority_class=_label(majority_class),
        majority_keep=options.majority_keep,
        minority_keep=options.minority_keep,
        ratio=options.ratio,
    )
    check_imbalance_options(**imbalance, classes=np.unique(split.y_train))
    if recipe == "none":
        check_target(
            split.y_train, cv=options.cv, what=f"the training part of {split.name}"
        )
    return imbalance


def _stopping(y, folds, seed, early_stopping):
    """Per fold (and ``'test'``), its training rows split into those a net
    trains on and those its early stopping scores: stratified, every class
    in both parts, seeded by ``seed``; ``(train, None)`` where a class would
    have fewer than :data:`MIN_STOPPING_ROWS` validation rows. Empty without
    ``early_stopping``."""
    if not early_stopping:
        return {}
    everything = np.arange(len(y))
    parts = [*((i, train) for i, (train, _) in enumerate(folds)), ("test", everything)]
    stopping = {}
    for fold, train in parts:
        _, y_enc = np.unique(y[train], return_inverse=True)
        try:
            fit, stop = validation_split(y_enc, BUDGET.validation_fraction, seed)
        except ValueError:
            stop = None
        if stop is None or np.bincount(y_enc[stop]).min() < MIN_STOPPING_ROWS:
            stopping[fold] = (train, None)
        else:
            stopping[fold] = (train[fit], train[stop])
    return stopping


def _warn_no_stopping(seed, stopping):
    # A table too small for early stopping everywhere trains the fixed
    # epochs, as documented; a warning is for a run that mixes the two.
    off = [str(fold) for fold, (_, stop) in stopping.items() if stop is None]
    if off and len(off) < len(stopping):
        warnings.warn(
            f"seed {seed}: early stopping is off for the nets of fold(s) "
            f"{', '.join(off)}: a class would have fewer than "
            f"{MIN_STOPPING_ROWS} rows in their validation part; they train the "
            "fixed number of epochs.",
            UserWarning,
            stacklevel=5,  # the caller of compare
        )


def _seed_data(split, seed, imbalance, options, net_settings, preprocessors, point):
    """One seed's :class:`SeedData`; ``preprocessors`` the shared tabular
    preprocessing and gradient boosting's (both None for built-in data)."""
    X, y = make_imbalanced(split.X_train, split.y_train, random_state=seed, **imbalance)
    classes = list(label_counts(split.y_train))
    counts = {c: int(np.sum(y == c)) for c in classes}
    majority = max(counts, key=counts.get)
    smallest = min(counts.values())
    if smallest < options.cv:
        warnings.warn(
            f"seed {seed}: the rarest class has {smallest} training sample(s), "
            f"fewer than cv={options.cv}; some validation folds miss it (its "
            "recall counts as 0 there) and resamplers that need neighbours may "
            "fail on it (error rows).",
            UserWarning,
            stacklevel=4,  # the caller of compare
        )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The least populated class")
        folds = list(
            StratifiedKFold(options.cv, shuffle=True, random_state=seed).split(X, y)
        )
    stopping = _stopping(y, folds, seed, net_settings["early_stopping"])
    _warn_no_stopping(seed, stopping)
    return SeedData(
        X=X,
        y=y,
        folds=folds,
        classes=classes,
        majority=majority,
        minority=[c for c in classes if counts[c] <= counts[majority] / 2],
        positive=_resolve_positive(options.positive_label, classes, counts),
        net_settings=net_settings,
        preprocessor=preprocessors[0],
        tree_preprocessor=preprocessors[1],
        stopping=stopping,
        unstopped_epochs=options.unstopped_epochs,
        operating_point=point,
    )


def _announce(split, config):
    counts = config["class_counts"]
    positive = config["positive"]
    print(
        f"{split.name}: {len(split.y_train)} training rows "
        f"({', '.join(f'{c}: {n}' for c, n in counts.items())}), "
        f"{len(split.y_test)} held out; recipe {config['imbalance']['recipe']!r}"
        + (f"; positive class {positive!r}" if positive is not None else ""),
        file=sys.stderr,
    )


def plan_comparison(data, y, options):
    """Load and check everything a comparison needs; no fit runs yet.

    Parameters
    ----------
    data, y
        As :func:`skimb.compare` takes them.
    options : RunConfig

    Returns
    -------
    Plan
    """
    split, builtin = _load(data, y, options)
    if options.recipes == "auto":
        recipes = auto_recipes(split.X_train)
        if not any(METHODS[m].is_net for m in options.methods):
            recipes = ()
        options = dataclasses.replace(options, recipes=recipes)
    imbalance = _recipe(split, builtin, options)
    preprocessors = _preprocessor(split, builtin, options)
    net_settings = options.net_settings(image_shape=split.info.get("image_shape"))
    if net_settings["module"] is not SimpleNet:  # the nets see images
        _warn_interpolation(split, options.methods)
    _check_images(split, options.methods)
    _check_dense(split, options.methods)
    point = check_operating_point(
        options.operating_point, n_classes=len(label_counts(split.y_train))
    )
    config = {
        "dataset": split.name,
        "class_counts": label_counts(split.y_train),
        "test_counts": label_counts(split.y_test),
        "methods": list(options.methods),
        "imbalance": imbalance,
        "cv": options.cv,
        "seeds": list(options.seeds),
        "budget": options.budget,
        "net": net_record(net_settings),
        "test_size": options.test_size,
        "preprocessing": _preprocessing_name(split, builtin, options),
        "operating_point": str(point),
        "recommend_for": options.recommend_for,
    }
    if options.output is not None:
        check_output_writable(options.output)
    done = load_previous(options.output, config) if options.resume else []
    seeds = {}
    for seed in options.seeds:  # a loop: the warning's stacklevel counts frames
        seeds[seed] = _seed_data(
            split, seed, imbalance, options, net_settings, preprocessors, point
        )
    first = seeds[options.seeds[0]]
    config.update(
        trained_counts=label_counts(first.y),
        positive=first.positive,
        majority=first.majority,
        minority=first.minority,
    )
    if options.progress:
        _announce(split, config)
    return Plan(split, config, seeds, done)


# ---- estimates of a task's size and of the nets' work ------------------------
def n_features(data):
    """The number of columns the nets train on."""
    if data.preprocessor is None:
        return int(np.prod(np.shape(data.X)[1:]))
    return int(data.preprocessor.transform(data.rows([0])[0]).shape[1])


def _rows_after(sampler, counts):
    """Rows a sampler's default strategy makes of classes with ``counts``."""
    if isinstance(sampler, BaseOverSampler):
        return len(counts) * int(counts.max())
    if isinstance(sampler, BaseUnderSampler):
        return len(counts) * int(counts.min())
    return int(counts.sum())


def trained_rows(task, data):
    """The rows ``task``'s net trains on: its fold's, resampled."""
    _, counts = unique_labels(data.y[task.train], return_counts=True)
    return _rows_after(METHODS[task.method].resampler, counts)


def task_bytes(task, data, columns):
    """An estimate of the bytes ``task``'s materialised float32 training set
    and validation part take while its net trains."""
    rows = trained_rows(task, data)
    rows += 0 if task.stop is None else len(task.stop)
    return 4 * rows * columns


def work_per_row(plan, options):
    """Per seed, the multiply-adds of one row's forward and backward pass."""
    hidden = options.hidden_units
    return {
        seed: 3 * (n_features(data) * hidden + hidden * len(data.classes))
        for seed, data in plan.seeds.items()
    }


def training_work(plan, options):
    """Multiply-adds of the comparison's net training, estimated before it:
    for every net task still to run, its training rows (resampled) x
    epochs x a forward and backward pass of the net (three times the
    forward's ``features x hidden + hidden x classes``). Epochs are the
    fixed budget's, or under the data's budget those of a fold that cannot
    stop early (most stop sooner: an upper estimate)."""
    per_row = work_per_row(plan, options)
    work = 0.0
    for method in options.methods:
        if fits_in_one_loop(method):
            for task in plan.tasks(method):
                rows = trained_rows(task, plan.seeds[task.seed])
                work += rows * per_row[task.seed] * options.unstopped_epochs
    return work


def loop_step_work(plan, options):
    """``step_work(tasks)``: the multiply-adds of one step of the loop of
    ``tasks``' nets, each net's batch (``batch_size='auto'``: the one its
    training rows get) x a row's forward and backward pass."""
    per_row = work_per_row(plan, options)

    def step_work(tasks):
        work = 0.0
        for task in tasks:
            data = plan.seeds[task.seed]
            batch = data.net_settings.get("batch_size", "auto")
            if batch == "auto":
                batch = auto_batch_size(trained_rows(task, data))
            work += batch * per_row[task.seed]
        return work

    return step_work


def data_bytes(plan):
    """An estimate of the bytes of data a worker holds besides its share's
    training sets: every seed's training part as given and preprocessed
    (float32), and the held-out part."""
    total = 0
    for data in plan.seeds.values():
        total += _nbytes(data.X) + 4 * len(data.y) * n_features(data)
    return total + _nbytes(plan.split.X_test)


def _nbytes(X):
    if hasattr(X, "memory_usage"):  # a DataFrame
        return int(X.memory_usage(index=False, deep=True).sum())
    if hasattr(X, "data") and hasattr(X, "indices"):  # a sparse matrix
        return int(X.data.nbytes + X.indices.nbytes + X.indptr.nbytes)
    return int(getattr(X, "nbytes", 0))


# ---- which tasks train together ----------------------------------------------
#: The part of the available memory a loop's materialised sets may take.
MEMORY_FRACTION = 0.25


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
    columns = {seed: n_features(data) for seed, data in plan.seeds.items()}
    units = []
    for tasks in by_method:
        sizes = [task_bytes(t, plan.seeds[t.seed], columns[t.seed]) for t in tasks]
        if budget is None or sum(sizes) <= budget:
            units.append((tasks, sum(sizes)))
        else:
            units.extend(([t], s) for t, s in zip(tasks, sizes, strict=True))
    if budget is None:
        return [[t for tasks, _ in units for t in tasks]]
    return _pack(units, budget)


def task_groups(plan, methods, options, *, memory=None):
    """The tasks still to run, in groups that run and are saved in turn.

    With ``fit_many``, every net method's tasks first, in as few groups
    as ``MEMORY_FRACTION`` of ``memory`` (bytes; None: what is available
    now) allows; then each other method's tasks; without ``fit_many``,
    one group per method.
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
