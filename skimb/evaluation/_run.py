"""Running a comparison's tasks: one fit at a time through joblib, or nets
in one loop (:func:`fit_many`).

Each task gives its rows (one per decision rule) and, for the fit on the
whole training part of the first seed, the fitted model itself: the
recommended one is saved at the end without another fit.
"""

import time

import joblib
import numpy as np

from ..estimators import NetClassifier
from ..estimators._fit_many import fit_many
from ._execution import run_parallel, set_threads, worker_threads
from ._methods import fits_in_one_loop
from ._plan import loop_step_work, take, worker_shares
from ._prepare import eval_data, prepare
from ._progress import Progress, WorkerEpochs
from ._scoring import error_rows, score_rows

__all__ = ["run_tasks"]

_WARM = []


def _warm_up():
    """One tiny untimed fit per process, so that the first method's fit time
    does not carry torch's one-off start-up costs."""
    if not _WARM:
        _WARM.append(True)
        X = np.zeros((4, 2), dtype=np.float32)
        NetClassifier(max_epochs=1, device="cpu").fit(X, np.array([0, 1, 0, 1]))


def _score(p, fit_time, seeds, X_test, y_test):
    data = seeds[p.task.seed]
    X_eval, y_eval = eval_data(p.task, data, X_test, y_test)
    stop = None
    if p.task.stop is not None:  # the rows its early stopping scored
        stop = (take(data.X, p.task.stop), data.y[p.task.stop])
    return score_rows(
        p.task, p.estimator, fit_time, p.y_train, X_eval, y_eval, data, stop
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
        rows = _score(p, fit_time, {task.seed: data}, X_test, y_test)
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
            rows[i] = _score(p, p.before + share, seeds, X_test, y_test)
        except Exception as exc:
            rows[i] = error_rows(p.task, exc)
        else:
            keep = p.task.fold == "test" and p.task.seed == first
            models[i] = p.estimator if keep else None
    return [(task, rows[i], models.get(i)) for i, task in enumerate(tasks)]


def _n_workers(options):
    """How many workers a parallel run has (a Dask cluster's, when on one:
    run under its joblib backend)."""
    dask = options.dask or options.scheduler is not None
    return joblib.effective_n_jobs(-1 if dask else options.n_jobs)


def _run_shares(tasks, plan, options, first, progress):
    """The nets of ``tasks`` shared among the workers, each training its
    share in one loop."""
    split = plan.split
    n = max(1, min(len(tasks), _n_workers(options)))
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
    first = next(iter(plan.seeds))
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
