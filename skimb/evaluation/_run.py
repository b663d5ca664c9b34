"""Running a comparison's tasks: each task's data made ready, its fit (one at
a time through joblib, or nets in one loop: :func:`fit_many`), and where
the tasks go and how a run stops.

Each task gives its rows (one per decision rule) and, for the fit on the
whole training part of the first seed, the fitted model itself: the
recommended one is saved at the end without another fit.

A net that stops early is scored each epoch on rows cut from the fold's
training rows *before* any step runs (:attr:`~._plan.Task.stop`): the
preprocessing is fitted on the remaining rows, the resampler runs on them
only, and the validation rows go through the preprocessing alone (a
resampler does not transform). No duplicate or synthetic neighbour of a
validation row is trained on, which would make the stopping score
optimistic for the oversamplers and stop them late. What the net trains on
is float32 (its own dtype): a materialised, resampled training set of a
large table then takes half the memory.

Tasks go through joblib, on its default backend or on a Dask distributed
cluster (a local one, or the user's scheduler). SIGTERM, and SIGINT unless a
background job inherited it ignored, stop the run between two Python
instructions even inside a fit, so no half-trained net is recorded.
"""

import contextlib
import os
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import joblib
import numpy as np
import torch

from .._utils.device import resolve_device
from ..estimators import NetClassifier
from ..estimators._fit_many import fit_many
from ._methods import METHODS, build, fits_in_one_loop
from ._plan import loop_step_work, worker_shares
from ._progress import Progress, WorkerEpochs
from ._scoring import error_rows, final_step, score_rows

__all__ = [
    "AUTO_WORKERS_WORK",
    "WORKER_BYTES",
    "WORKERS_MEMORY_FRACTION",
    "auto_workers",
    "interrupted_message",
    "interrupts_stop_the_run",
    "parallel_backend",
    "prepare",
    "run_group",
    "run_parallel",
    "run_tasks",
    "set_threads",
    "worker_threads",
]


# ---- a task's data made ready for its model ----------------------------------
def _float32(X):
    dtype = getattr(X, "dtype", None)
    if dtype is None or dtype == np.float32 or dtype.kind not in "biuf":
        return X
    return X.astype(np.float32)


def _is_sampler(step):
    return hasattr(step, "fit_resample")


def _steps(estimator):
    """The steps before a pipeline's model (none for a bare estimator)."""
    if not hasattr(estimator, "steps"):
        return []
    return [s for _, s in estimator.steps[:-1] if s is not None and s != "passthrough"]


def fit_steps(estimator, X, y, shared=None, key=None):
    """Fit the steps before ``estimator``'s model on ``(X, y)``, in order, as
    its pipeline's ``fit`` does; return what the model trains on, float32.

    With a ``shared`` dict, the first step, when it is the preprocessing
    (not a resampler), is fitted once per ``key``: every method of a fold
    then uses that one fitted step and its one output, as if each had fitted
    its own copy on the same rows (it is deterministic), without the time
    and memory of doing so.
    """
    steps = _steps(estimator)
    if shared is not None and steps and not _is_sampler(steps[0]):
        first = steps.pop(0)
        fitted, X = _once(
            shared, key, lambda: (first, _float32(first.fit_transform(X, y)))
        )
        estimator.steps[0] = (estimator.steps[0][0], fitted)
    for step in steps:
        if _is_sampler(step):
            X, y = step.fit_resample(_float32(X), y)
        else:
            X = step.fit_transform(X, y)
    return _float32(X), y


def _once(shared, key, make):
    """``shared[key]``, made by ``make()`` the first time (always made when
    ``shared`` is None)."""
    if shared is None:
        return make()
    if key not in shared:
        shared[key] = make()
    return shared[key]


def transform_steps(estimator, X):
    """``X`` through the fitted steps before the model, resamplers skipped
    (as an imbalanced-learn pipeline predicts), float32."""
    for step in _steps(estimator):
        if not _is_sampler(step):
            X = step.transform(X)
    return _float32(X)


@dataclass(eq=False)
class Prepared:
    """A task whose steps before the model are fitted.

    ``model`` trains on ``X, y`` (with ``X_val, y_val`` for its early
    stopping, or None): a net method's net, or a reference method's whole
    estimator (its steps fit with it). ``y_train`` are the labels of the
    task's training rows; ``steps_seconds`` the seconds the steps took.
    """

    task: object
    estimator: object
    model: object
    X: object
    y: np.ndarray
    y_train: np.ndarray
    X_val: object = None
    y_val: np.ndarray = None
    steps_seconds: float = 0.0
    error: Exception | None = None

    def fit(self):
        """Fit the model alone, as its own ``fit``."""
        if self.X_val is None:
            self.model.fit(self.X, self.y)
        else:
            self.model.fit(self.X, self.y, X_val=self.X_val, y_val=self.y_val)
        self.release()

    def release(self):
        """Drop the materialised training and validation sets."""
        self.X = self.y = self.X_val = self.y_val = None


def _build(task, data, y_train):
    preprocessor = data.preprocessor
    if METHODS[task.method].native_categories and data.tree_preprocessor is not None:
        preprocessor = data.tree_preprocessor
    return build(
        task.method,
        net_settings=task.net_settings,
        seed=task.seed,
        y=y_train,
        preprocessor=preprocessor,
    )


def prepare(task, data, shared=None):
    """:class:`Prepared` for ``task`` of seed data ``data``; ``shared``: a
    dict in which the methods of one fold share its fitted preprocessing
    (see :func:`fit_steps`), None to fit each task's own."""
    X_train, y_train = data.rows(task.train)
    estimator = _build(task, data, y_train)
    if not METHODS[task.method].is_net:
        return Prepared(task, estimator, estimator, X_train, y_train, y_train)
    start = time.perf_counter()
    # A fold's methods share its preprocessing when they train on the same
    # rows: those that stop early hold out the same validation part.
    key = (task.seed, str(task.fold), METHODS[task.method].dense, task.stop is None)
    X, y = fit_steps(estimator, X_train, y_train, shared, key)
    del X_train
    prepared = Prepared(task, estimator, final_step(estimator), X, y, y_train)
    if task.stop is not None:
        prepared.X_val = _once(
            shared,
            (*key, "stop"),
            lambda: transform_steps(estimator, data.rows(task.stop)[0]),
        )
        prepared.y_val = data.y[task.stop]
    prepared.steps_seconds = time.perf_counter() - start
    return prepared


# ---- fitting and scoring the tasks -------------------------------------------
_WARM = []


def _warm_up():
    """One tiny untimed fit per process, so that the first method's fit time
    does not carry torch's one-off start-up costs."""
    if not _WARM:
        _WARM.append(True)
        X = np.zeros((4, 2), dtype=np.float32)
        NetClassifier(max_epochs=1, device="cpu").fit(X, np.array([0, 1, 0, 1]))


def _score(p, fit_time, data, X_test, y_test):
    """The rows of prepared and fitted ``p``, scored on its fold's validation
    rows or the held-out part (and its net's early-stopping rows)."""
    task = p.task
    X_eval, y_eval = (X_test, y_test) if task.fold == "test" else data.rows(task.valid)
    stop = None if task.stop is None else data.rows(task.stop)
    return score_rows(
        task, p.estimator, fit_time, p.y_train, X_eval, y_eval, data, stop
    )


def _run_task(task, data, X_test, y_test, threads=None, keep=False):
    """Fit one method on one fold (or the whole train part) and score it:
    ``(task, rows, model)``, the fitted model only when ``keep``."""
    set_threads(threads)
    _warm_up()
    try:
        start = time.perf_counter()
        p = prepare(task, data)
        p.fit()
        fit_time = time.perf_counter() - start
        rows = _score(p, fit_time, data, X_test, y_test)
    except Exception as exc:  # one failing method must not stop the others
        return task, error_rows(task, exc), None
    return task, rows, p.estimator if keep else None


def _fit_in_one_loop(prepared, on_epoch=None):
    """Train every prepared net; seconds per net, shared in proportion to
    the rows each trained (rows x epochs)."""
    sizes = [len(p.y) for p in prepared]
    start = time.perf_counter()
    try:
        fit_many(
            [p.model for p in prepared],
            [p.X for p in prepared],
            [p.y for p in prepared],
            X_vals=[p.X_val for p in prepared],
            y_vals=[p.y_val for p in prepared],
            on_epoch=on_epoch,
        )
    except Exception:
        # One net's data failed (fit_many leaves the nets untrained): fit
        # each alone, so that exactly the folds that fail one at a time
        # become error rows.
        for p in prepared:
            try:
                p.fit()
            except Exception as exc:
                p.error = exc
    shared = time.perf_counter() - start
    work = [n * _epochs(p.model) for n, p in zip(sizes, prepared, strict=True)]
    for p in prepared:
        p.release()  # held only while the nets train
    total = sum(work)
    return [shared * w / total if total else 0.0 for w in work]


def _epochs(net):
    return getattr(net, "n_epochs_", None) or getattr(net, "max_epochs", 1)


def run_group(tasks, seeds, X_test, y_test, first, threads=None, on_epoch=None):
    """Fit every task's net in one loop (:func:`fit_many`) and score them:
    ``[(task, rows, model)]``, ``model`` kept for the first seed's fit on
    the whole training part.

    The steps before each net (preprocessing, resampling) are fitted per
    task first, so each net trains on its own materialised training set;
    the nets then train in one loop (sets dropped once they are trained),
    and each is scored as it would be alone. ``fit_time`` is the steps' own
    time plus the loop's time shared by rows trained.
    """
    set_threads(threads)
    _warm_up()
    rows, prepared, shared = {}, [], {}  # one preprocessing fit per fold
    for i, task in enumerate(tasks):
        try:
            prepared.append((i, prepare(task, seeds[task.seed], shared)))
        except Exception as exc:
            rows[i] = error_rows(task, exc)
    del shared  # the preprocessed inputs of the resamplers: not needed to train
    shares = _fit_in_one_loop([p for _, p in prepared], on_epoch)
    models = {}
    for (i, p), share in zip(prepared, shares, strict=True):
        if p.error is not None:
            rows[i] = error_rows(p.task, p.error)
            continue
        try:
            data = seeds[p.task.seed]
            rows[i] = _score(p, p.steps_seconds + share, data, X_test, y_test)
        except Exception as exc:
            rows[i] = error_rows(p.task, exc)
        else:
            keep = p.task.fold == "test" and p.task.seed == first
            models[i] = p.estimator if keep else None
    return [(task, rows[i], models.get(i)) for i, task in enumerate(tasks)]


def _run_shares(tasks, plan, options, first, progress):
    """The nets of ``tasks`` shared among the workers, each training its
    share in one loop."""
    split = plan.split
    n = max(1, min(len(tasks), options.n_workers))
    shares = worker_shares(tasks, n, loop_step_work(plan, options))
    threads = worker_threads(options)
    epochs = WorkerEpochs(
        progress, [len(share) for share in shares], options.scheduler is None
    )
    try:
        for i, results in run_parallel(options)(
            joblib.delayed(_numbered)(
                i,
                share,
                {t.seed: plan.seeds[t.seed] for t in share},
                split.X_test,
                split.y_test,
                first,
                threads,
                epochs.reporter(i),
            )
            for i, share in enumerate(shares)
        ):
            epochs.finished(i)
            yield from results
    finally:
        epochs.close()


def _numbered(i, *args):
    return i, run_group(*args)


def run_tasks(tasks, plan, options, progress=None):
    """``(task, rows, model)`` for each of ``tasks`` as it finishes;
    ``model`` is the fitted one for the first seed's fit on the whole
    training part, None otherwise. ``progress`` is a :class:`Progress`.

    With ``fit_many``, nets train in one loop: all of ``tasks`` in a serial
    run, a share of them per worker in a parallel one; other tasks (and
    every task without ``fit_many``) are fitted one at a time.
    """
    progress = progress or Progress()
    split = plan.split
    first = plan.first_seed
    stacked = options.fit_many and all(fits_in_one_loop(t.method) for t in tasks)
    if stacked and options.parallel:
        yield from _run_shares(tasks, plan, options, first, progress)
        return
    if stacked:
        on_epoch, finished = progress.loop(len(tasks))
        results = run_group(
            tasks, plan.seeds, split.X_test, split.y_test, first, on_epoch=on_epoch
        )
        finished()
        yield from results
        return
    threads = worker_threads(options)
    for result in run_parallel(options)(
        joblib.delayed(_run_task)(
            task,
            plan.seeds[task.seed],
            split.X_test,
            split.y_test,
            threads,
            task.fold == "test" and task.seed == first,
        )
        for task in tasks
    ):
        progress.advance(1)
        yield result


# ---- where the tasks go, and how a run stops ---------------------------------
class _Interrupted(BaseException):
    """Raised by the run's signal handler; skorch swallows KeyboardInterrupt
    inside ``fit`` (to stop training early), which would record a half-trained
    net as a result."""


@contextlib.contextmanager
def interrupts_stop_the_run():
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise _Interrupted(signum)

    # An inherited SIG_IGN for SIGINT is a background job's convention (nohup,
    # many CI runners): keep it, so a Ctrl-C meant for the terminal does not
    # stop the run; SIGTERM always stops it cleanly.
    signals = [signal.SIGTERM]
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signals.append(signal.SIGINT)
    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield
    except _Interrupted as exc:
        raise KeyboardInterrupt(f"interrupted by signal {exc.args[0]}") from None
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def interrupted_message(output, what):
    """What an interrupted run says of its results: where its finished
    ``what`` (methods, data sets) are saved, naming ``output`` only where a
    ``results.csv`` was written there (by this run, or by the one it
    resumes); a run stopped before its first one was saved says so."""
    if output is not None and any(Path(output).rglob("results.csv")):
        return (
            f"interrupted; finished {what} are saved in {output}/. Rerun with "
            "--resume to finish the rest."
        )
    return f"interrupted before any of the {what} finished: nothing was saved."


@contextlib.contextmanager
def parallel_backend(options):
    """joblib's default backend, or its Dask backend on a given or local
    cluster (``options``: a :class:`~._options.RunConfig`)."""
    if not options.on_dask:
        yield
        return
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        if options.scheduler is not None:
            client = stack.enter_context(Client(options.scheduler))
        else:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=joblib.effective_n_jobs(options.n_jobs),
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
            )
            client = stack.enter_context(Client(cluster))
        stack.enter_context(joblib.parallel_backend("dask", client=client))
        yield


#: ``n_jobs='auto'`` starts workers above this many multiply-adds of
#: training (:func:`~._plan.training_work`). Measured on 2 cores
#: (``benchmarks/engine.py --only parallel``): the default comparison of
#: digits, about 2.6e10, runs 0.79x as fast on two workers as on one
#: process (starting them and sending the data cost more than its 4 s of
#: training); a 30,000-row, 30-column table, about 2.1e11, 1.82x as fast.
AUTO_WORKERS_WORK = 5e10


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


#: The resident memory of a worker before its share's data: the Python
#: process with torch, scikit-learn, imbalanced-learn and skimb imported and
#: one tiny net fitted (836 MiB measured on the 2-core CPU, 2026-12-03).
WORKER_BYTES = 850 * 2**20
#: The part of the available memory the workers' own memory (their runtime
#: and their copy of the data) may take; the nets' training sets have theirs
#: (:data:`~._plan.MEMORY_FRACTION`).
WORKERS_MEMORY_FRACTION = 0.25


def auto_workers(work, device, *, data_bytes=0, memory=None):
    """The ``n_jobs`` that ``'auto'`` means for ``work`` multiply-adds of
    training on ``device``: every core as a worker (each trains a share of
    the nets in one loop, on one thread) when the work is at least
    :data:`AUTO_WORKERS_WORK` and the nets train on a CPU of two cores or
    more; else 1 (one process, its torch threads chosen by timing). A GPU
    trains every net of one loop at once: one process.

    Each worker holds :data:`WORKER_BYTES` and its copy of the data
    (``data_bytes``): no more workers start than
    :data:`WORKERS_MEMORY_FRACTION` of ``memory`` (bytes available; None:
    no limit) holds, and none when not two."""
    cores = _cores()
    on_cpu = torch.device(resolve_device(device)).type == "cpu"
    if cores < 2 or not on_cpu or work < AUTO_WORKERS_WORK:
        return 1
    if memory is not None:
        fits = int(WORKERS_MEMORY_FRACTION * memory // (WORKER_BYTES + data_bytes))
        cores = min(cores, fits)
    return cores if cores >= 2 else 1


def run_parallel(options, *, return_as="generator"):
    """The ``joblib.Parallel`` of a run (with Dask, every worker it has)."""
    n_jobs = -1 if options.on_dask else options.n_jobs
    return joblib.Parallel(n_jobs=n_jobs, return_as=return_as)


def worker_threads(options):
    """torch threads per worker of a parallel run, None for a serial one.

    Parallel workers share the cores: oversubscribed torch threads spin
    against each other and can be tens of times slower.
    """
    if not options.parallel:
        return None
    return max(1, (os.cpu_count() or 1) // joblib.effective_n_jobs(options.n_jobs))


def set_threads(threads):
    """Give this worker ``threads`` torch threads (None: leave torch's own)."""
    if threads is not None:
        torch.set_num_threads(threads)
