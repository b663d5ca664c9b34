"""A task's data made ready for its model: the rows it trains on, the
pipeline's steps before the model fitted on them, and the part its early
stopping scores.

A net that stops early is scored each epoch on rows cut from the fold's
training rows *before* any step runs (:attr:`~._plan.Task.stop`): the
preprocessing is fitted on the remaining rows, the resampler runs on them
only, and the validation rows go through the preprocessing alone (a
resampler does not transform). No duplicate or synthetic neighbour of a
validation row is trained on, which would make the stopping score
optimistic for the oversamplers and stop them late.

What the net trains on is float32 (its own dtype): a materialised,
resampled training set of a large table then takes half the memory.
"""

import time
from dataclasses import dataclass

import numpy as np

from ._methods import METHODS, build
from ._plan import take
from ._scoring import final_step

__all__ = ["Prepared", "eval_data", "prepare"]


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
    task's training rows; ``before`` the seconds the steps took.
    """

    task: object
    estimator: object
    model: object
    X: object
    y: np.ndarray
    y_train: np.ndarray
    X_val: object = None
    y_val: np.ndarray = None
    before: float = 0.0
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
    net = data.net
    if task.stop is None and net.get("early_stopping"):
        # Too few rows to stop on, or a schedule counted in epochs
        # (Method.stops_early): the fixed budget's epochs (or the user's).
        net = {**net, "early_stopping": False, "max_epochs": data.fixed_epochs}
    preprocessor = data.preprocessor
    if METHODS[task.method].native_categories and data.tree_preprocessor is not None:
        preprocessor = data.tree_preprocessor
    return build(
        task.method, net=net, seed=task.seed, y=y_train, preprocessor=preprocessor
    )


def prepare(task, data, shared=None):
    """:class:`Prepared` for ``task`` of seed data ``data``; ``shared``: a
    dict in which the methods of one fold share its fitted preprocessing
    (see :func:`fit_steps`), None to fit each task's own."""
    X_train, y_train = take(data.X, task.train), data.y[task.train]
    estimator = _build(task, data, y_train)
    if not METHODS[task.method].net:
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
            lambda: transform_steps(estimator, take(data.X, task.stop)),
        )
        prepared.y_val = data.y[task.stop]
    prepared.before = time.perf_counter() - start
    return prepared


def eval_data(task, data, X_test, y_test):
    """The rows ``task`` is scored on: its fold's validation rows, or the
    held-out part."""
    if task.fold == "test":
        return X_test, y_test
    return take(data.X, task.valid), data.y[task.valid]
