"""Running a comparison's tasks: one fit at a time through joblib, or a net
method's folds and seeds in one loop (:func:`fit_many`).

Each task gives its rows (one per decision rule) and, for the fit on the
whole training part of the first seed, the fitted model itself: the
recommended one is saved at the end without another fit.
"""

import time
from dataclasses import dataclass

import joblib
import numpy as np

from ..estimators._base import BaseNetClassifier
from ..estimators._classifiers import NetClassifier
from ..estimators._fit_many import fit_many
from ._execution import run_parallel, set_threads, worker_threads
from ._methods import METHODS, build
from ._scoring import error_rows, final_step, score_rows

__all__ = ["run_tasks"]


def _take(X, index):
    return X.iloc[index] if hasattr(X, "iloc") else X[index]


_WARM = []


def _warm_up():
    """One tiny untimed fit per process, so that the first method's fit time
    does not carry torch's one-off start-up costs."""
    if not _WARM:
        _WARM.append(True)
        X = np.zeros((4, 2), dtype=np.float32)
        NetClassifier(max_epochs=1, device="cpu").fit(X, np.array([0, 1, 0, 1]))


def _fold_data(task, data, X_test, y_test):
    """The task's training rows and the rows it is scored on."""
    X_train, y_train = _take(data.X, task.train), data.y[task.train]
    if task.fold == "test":
        return X_train, y_train, X_test, y_test
    return X_train, y_train, _take(data.X, task.valid), data.y[task.valid]


def _build(task, data, y_train):
    return build(
        task.method,
        net=data.net,
        seed=task.seed,
        y=y_train,
        preprocessor=data.preprocessor,
    )


def _run_task(task, data, X_test, y_test, threads=None, keep=False):
    """Fit one method on one fold (or the whole train part) and score it:
    ``(task, rows, model)``, the fitted model only when ``keep``."""
    set_threads(threads)
    _warm_up()
    try:
        X_train, y_train, X_eval, y_eval = _fold_data(task, data, X_test, y_test)
        estimator = _build(task, data, y_train)
        start = time.perf_counter()
        estimator.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        rows = score_rows(task, estimator, fit_time, y_train, X_eval, y_eval, data)
    except Exception as exc:  # one failing method must not stop the others
        return task, error_rows(task, exc), None
    return task, rows, estimator if keep else None


@dataclass(eq=False)
class _Prepared:
    """A task ready for the loop of fit_many: the steps before its net fitted."""

    task: object
    estimator: object
    X: object  # what the net trains on: after preprocessing and resampling
    y: np.ndarray
    y_train: np.ndarray
    X_eval: object
    y_eval: np.ndarray
    before: float  # seconds spent on the steps before the net
    error: Exception | None = None

    @property
    def net(self):
        return final_step(self.estimator)


def _prepare(task, data, X_test, y_test):
    X_train, y_train, X_eval, y_eval = _fold_data(task, data, X_test, y_test)
    estimator = _build(task, data, y_train)
    start = time.perf_counter()
    X, y = X_train, y_train
    if hasattr(estimator, "steps"):
        head = estimator[:-1]  # the same step objects: the pipeline is fitted
        if hasattr(head, "fit_resample"):
            X, y = head.fit_resample(X, y)
        else:
            X = head.fit_transform(X, y)
    before = time.perf_counter() - start
    return _Prepared(task, estimator, X, y, y_train, X_eval, y_eval, before)


def _fit_in_one_loop(prepared):
    """Train every prepared net; seconds per net."""
    start = time.perf_counter()
    try:
        fit_many(
            [p.net for p in prepared], [p.X for p in prepared], [p.y for p in prepared]
        )
    except Exception:
        # One net's data failed (fit_many leaves the nets untrained): fit
        # each alone, so that exactly the folds that fail one at a time
        # become error rows.
        for p in prepared:
            try:
                p.net.fit(p.X, p.y)
            except Exception as exc:
                p.error = exc
    return (time.perf_counter() - start) / max(1, len(prepared))


def _run_fit_many(tasks, seeds, X_test, y_test, keep):
    """Fit one method on every fold and seed in one loop (:func:`fit_many`).

    The steps before the net (preprocessing, resampling) are fitted per fold
    first, so each net trains on its own materialised training set; the nets
    then train in one loop, and each is scored as it would be alone.
    ``fit_time`` is the shared time divided evenly among the nets.
    """
    _warm_up()
    rows, prepared = {}, []
    for i, task in enumerate(tasks):
        try:
            prepared.append((i, _prepare(task, seeds[task.seed], X_test, y_test)))
        except Exception as exc:
            rows[i] = error_rows(task, exc)
    shared = _fit_in_one_loop([p for _, p in prepared]) if prepared else 0.0
    models = {}
    for i, p in prepared:
        if p.error is not None:
            rows[i] = error_rows(p.task, p.error)
            continue
        try:
            fit_time = p.before + shared
            data = seeds[p.task.seed]
            rows[i] = score_rows(
                p.task, p.estimator, fit_time, p.y_train, p.X_eval, p.y_eval, data
            )
        except Exception as exc:
            rows[i] = error_rows(p.task, exc)
        else:
            models[i] = p.estimator if keep(p.task) else None
    return [(task, rows[i], models.get(i)) for i, task in enumerate(tasks)]


def _fits_in_one_loop(method):
    return isinstance(METHODS[method].estimator, BaseNetClassifier)


def run_tasks(method, tasks, plan, options):
    """``(task, rows, model)`` for each of ``method``'s ``tasks`` as it
    finishes; ``model`` is the fitted one for the first seed's fit on the
    whole training part, None otherwise."""
    split = plan.split
    first = next(iter(plan.seeds))

    def keep(task):
        return task.fold == "test" and task.seed == first

    if options.fit_many and not options.parallel and _fits_in_one_loop(method):
        yield from _run_fit_many(tasks, plan.seeds, split.X_test, split.y_test, keep)
        return
    threads = worker_threads(options)
    yield from run_parallel(options)(
        joblib.delayed(_run_task)(
            task, plan.seeds[task.seed], split.X_test, split.y_test, threads, keep(task)
        )
        for task in tasks
    )
