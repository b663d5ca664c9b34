"""A fitted task's row: its decision and probability metrics, and the error
row of a task that failed."""

import numpy as np
from sklearn.metrics import confusion_matrix

from ..datasets._builtin import label_counts
from ..metrics._scores import (
    decision_metrics,
    pr_curve,
    probability_metrics,
    reliability_curve,
)

__all__ = ["error_row", "final_step", "score_row"]


def final_step(estimator):
    """The estimator at the end of a pipeline (or the estimator itself)."""
    return estimator[-1] if hasattr(estimator, "steps") else estimator


def _samples_per_epoch(estimator):
    history = getattr(final_step(estimator), "history_", None)
    if not history:
        return np.nan
    return float(sum(history[-1, "batches", :, "train_batch_size"]))


def _prior_corrected(estimator, X, y, data, train_prior):
    """The probability metrics of the same fitted net, its output moved to the
    training data's class prior (Saerens et al., 2002): no refit."""
    final = final_step(estimator)
    saved = final.get_params()["prior"]
    final.set_params(prior=train_prior)
    try:
        corrected = probability_metrics(
            y, estimator.predict_proba(X), classes=data.classes, positive=data.positive
        )
    finally:
        final.set_params(prior=saved)
    return {f"{key}_corrected": corrected[key] for key in ("log_loss", "brier", "ece")}


def _score(estimator, X, y, data, *, train_prior, test):
    """Decision and probability metrics (and the curves on the test part)."""
    classes, positive = data.classes, data.positive
    proba = None
    if hasattr(estimator, "predict_proba"):
        # One pass: every method's predict is the argmax of its probabilities.
        proba = estimator.predict_proba(X)
        y_pred = np.asarray(estimator.classes_)[proba.argmax(axis=1)]
    else:
        y_pred = estimator.predict(X)
    row = decision_metrics(
        y, y_pred, classes=classes, majority=data.majority, minority=data.minority
    )
    if test:
        row["confusion"] = confusion_matrix(y, y_pred, labels=classes).tolist()
    if proba is None:
        return row
    row.update(probability_metrics(y, proba, classes=classes, positive=positive))
    if test:
        row["reliability"] = reliability_curve(
            y, proba, classes=classes, positive=positive
        )
        if positive is not None:
            row["pr_curve"] = pr_curve(y, proba, classes=classes, positive=positive)
    if "prior" in final_step(estimator).get_params():
        row.update(_prior_corrected(estimator, X, y, data, train_prior))
    return row


def _head(task, status, error=""):
    return {
        "method": task.method,
        "seed": task.seed,
        "fold": task.fold,
        "status": status,
        "error": error,
    }


def score_row(task, estimator, fit_time, y_train, X_eval, y_eval, data):
    """The row of ``task`` once ``estimator`` is fitted on ``y_train``'s rows.

    ``data`` is the task's :class:`~skimb.evaluation._plan.SeedData`.
    """
    train_prior = {c: n / len(y_train) for c, n in label_counts(y_train).items()}
    row = _score(
        estimator,
        X_eval,
        y_eval,
        data,
        train_prior=train_prior,
        test=task.fold == "test",
    )
    row.update(fit_time=fit_time, samples_per_epoch=_samples_per_epoch(estimator))
    return _head(task, "ok") | row


def error_row(task, exc):
    """The row of a task whose fit or scoring raised ``exc``."""
    return _head(task, "error", f"{type(exc).__name__}: {exc}")
