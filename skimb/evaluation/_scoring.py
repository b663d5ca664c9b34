"""A fitted task's rows: one per decision rule, with its decision and
probability metrics, the error rows of a task that failed, and the
decisions at the user's operating point (:func:`decide_at`).

Both rows come from the same fit. The ``'trained'`` row scores the model as
it predicts; the ``'balanced'`` row scores its probabilities moved to equal
class priors (:func:`balanced_proba`). The threshold-free metrics
(AP, ROC-AUC) rank the cases the same under both rules, so the balanced row
repeats the trained row's. A model without ``predict_proba`` has no
probabilities to move: its balanced row is marked ``'n/a'``.

At the operating point a threshold is chosen on rows the scored model was
not trained on, and scored on yet others:

- A net that stops early has such rows of its own: the validation part of
  its early stopping, cut from its fold's training rows before any step
  ran. Its threshold is chosen on its own scores there. Nets trained apart
  put their rare-class scores on different scales (on a 60,000-row table
  with 1 % positives, a threshold carried from one fold's net to another
  flagged 0.1 % to 2.2 % of the rows for a budget of 1 %), so each net's
  threshold is its own.
- Any other model (gradient boosting, a forest, logistic regression, a net
  on a table too small to stop on) has its threshold chosen on the
  out-of-fold scores of the other folds (each the calibrated probability of
  a model that did not train on those rows); the held-out fit's on the
  out-of-fold scores of every fold: the cross-validated threshold of
  scikit-learn's ``TunedThresholdClassifierCV``, without its refits.

The model fitted on the whole training part, the one a comparison saves,
decides at the held-out fit's threshold.

The decisions at a threshold do not depend on the rule (moving a binary
model's probabilities to other class priors is monotone), so both rules'
rows of a fit get the same ``precision_at``, ``recall_at``,
``alert_rate_at`` and ``fbeta_at`` or ``cost_at``.
"""

from collections import defaultdict

import numpy as np
from sklearn.metrics import confusion_matrix

from .._utils.labels import label_codes
from .._utils.validation import one_of
from ..datasets._builtin import label_counts
from ..metrics._operating_point import (
    choose_threshold,
    expected_cost_decisions,
    metrics_at,
)
from ..metrics._registry import METRICS, decision_metrics, probability_metrics
from ..metrics._scores import pr_curve, reliability_curve

__all__ = [
    "NO_PROBA",
    "RULES",
    "SCORES",
    "STOP_SCORES",
    "at_data_prior",
    "balanced_proba",
    "check_rule",
    "class_frequencies",
    "decide_at",
    "error_rows",
    "final_step",
    "fit_key",
    "fitted_for_equal_priors",
    "score_rows",
]

#: The decision rules every method is scored under.
RULES = ("trained", "balanced")

#: The key of a trained row's out-of-fold scores: ``(is_positive, scores)``.
SCORES = "_scores"
#: The key of a trained row's scores on its net's early-stopping rows.
STOP_SCORES = "_stop_scores"
#: The ``error`` text of a balanced row that cannot be scored.
NO_PROBA = "n/a: the balanced rule moves probabilities; this model has no predict_proba"


def check_rule(rule, name="rule"):
    """``rule`` if it is one of :data:`RULES`; else a ValueError naming them."""
    if isinstance(rule, str) and rule in RULES:
        return rule
    raise ValueError(f"{name} must be {one_of(RULES)}; got {rule!r}.")


def fit_key(row):
    """``(method, seed, fold)`` of the fit a row scores, as
    :attr:`~._plan.Task.key` names it (the fold as text, as ``resume``
    reads it back)."""
    return (row.get("method"), row.get("seed"), str(row.get("fold")))


def class_frequencies(y):
    """Label -> its share of the rows ``y``."""
    return {c: n / len(y) for c, n in label_counts(y).items()}


def final_step(estimator):
    """The estimator at the end of a pipeline (or the estimator itself)."""
    return estimator[-1] if hasattr(estimator, "steps") else estimator


def _samples_per_epoch(estimator):
    history = getattr(final_step(estimator), "history_", None)
    if not history:
        return np.nan
    return float(sum(history[-1, "batches", :, "train_batch_size"]))


def _epochs_trained(estimator):
    epochs = getattr(final_step(estimator), "n_epochs_", None)
    return np.nan if epochs is None else float(epochs)


def at_data_prior(estimator, train_prior):
    """``estimator`` answering at the data's own class prior: a skimb net
    (alone or last in a pipeline) gets ``prior=train_prior``, the training
    rows' class frequencies before any resampling (Saerens et al., 2002: the
    same fit, no refit); any other model is left as it is. Returns whether
    the prior was moved."""
    final = final_step(estimator)
    if "prior" not in final.get_params():
        return False
    final.set_params(prior=dict(train_prior))
    return True


def _proba_at(estimator, X, prior):
    """``estimator``'s probabilities of ``X`` with its net's ``prior`` set
    for the call (restored after)."""
    final = final_step(estimator)
    saved = final.get_params()["prior"]
    final.set_params(prior=prior)
    try:
        return estimator.predict_proba(X)
    finally:
        final.set_params(prior=saved)


def _data_prior_proba(estimator, X, proba, train_prior):
    """The probabilities of ``X`` at the data's own prior (see
    :func:`at_data_prior`): ``proba``, the model's own, for a model without
    a prior (computed here when None)."""
    if "prior" not in final_step(estimator).get_params():
        return estimator.predict_proba(X) if proba is None else proba
    return _proba_at(estimator, X, dict(train_prior))


def fitted_for_equal_priors(model):
    """Whether ``model`` was fitted for equal class priors: a
    ``class_weight='balanced'`` model or one of imbalanced-learn's ensembles
    (each member sees a balanced resample)."""
    return getattr(model, "class_weight", None) == "balanced" or type(
        model
    ).__module__.startswith("imblearn.ensemble")


def balanced_proba(model, X, proba, train_freq):
    """``model``'s probabilities for ``X`` under the balanced rule: moved from
    the prior it was trained under to equal class priors (Saerens et al.,
    2002), from the same fit.

    A skimb net (alone or last in a pipeline) moves its own output from its
    ``training_prior_`` (for a resampler pipeline, the resampled class mix)
    with ``prior='balanced'``; a model fitted for equal priors
    (``class_weight='balanced'``, imbalanced-learn's ensembles) is returned as
    is; any other model is divided by the training frequencies ``train_freq``
    (in the order of ``model.classes_``) and renormalised.
    """
    final = final_step(model)
    if "prior" in final.get_params():
        return _proba_at(model, X, "balanced")
    if fitted_for_equal_priors(final):
        return proba
    shifted = np.asarray(proba, dtype=float) / np.asarray(train_freq, dtype=float)
    return shifted / shifted.sum(axis=1, keepdims=True)


def _positive_scores(estimator, y, calibrated, data):
    """Whether each row is positive, and its calibrated positive-class
    probability: what a threshold is chosen on or applied to."""
    column = list(estimator.classes_).index(data.positive)
    scores = np.asarray(calibrated, dtype=np.float64)[:, column]
    return np.asarray(y) == data.positive, scores


def _at_point(estimator, y, calibrated, data):
    """What the operating point needs of a fold: for a threshold, the
    positive class's calibrated probability of every row and whether it is
    positive (``_scores``: the thresholds are chosen across folds, later);
    for a multiclass cost, the cost per row of the least-expected-cost
    decisions."""
    point = data.operating_point
    if point is None or point.kind == "balanced":
        return {}
    if point.thresholded:
        return {SCORES: _positive_scores(estimator, y, calibrated, data)}
    _, (codes,) = label_codes(list(estimator.classes_), y)
    decided = expected_cost_decisions(calibrated, point.value)
    cost = np.asarray(point.value)[np.asarray(codes), decided]
    return {"cost_at": float(cost.mean())}


def _decision_row(y, y_pred, data, test):
    row = decision_metrics(
        y, y_pred, classes=data.classes, majority=data.majority, minority=data.minority
    )
    if test:
        labels, (codes, codes_pred) = label_codes(data.classes, y, y_pred)
        row["confusion"] = confusion_matrix(codes, codes_pred, labels=labels).tolist()
    return row


def _scored(estimator, proba, y, data, test):
    """Decision and probability metrics of ``proba`` (its argmax decides: every
    method's predict is the argmax of its probabilities)."""
    y_pred = np.asarray(estimator.classes_)[np.asarray(proba).argmax(axis=1)]
    row = _decision_row(y, y_pred, data, test)
    row.update(
        probability_metrics(y, proba, classes=data.classes, positive=data.positive)
    )
    return row


def _trained_and_balanced(estimator, X, y, data, *, train_prior, test):
    """The two rules' metrics (and the curves on the test part's trained row);
    the balanced one None without probabilities."""
    if not hasattr(estimator, "predict_proba"):
        return _decision_row(y, estimator.predict(X), data, test), None
    classes, positive = data.classes, data.positive
    proba = estimator.predict_proba(X)
    trained = _scored(estimator, proba, y, data, test)
    if test:
        trained["reliability"] = reliability_curve(
            y, proba, classes=classes, positive=positive
        )
        if positive is not None:
            trained["pr_curve"] = pr_curve(y, proba, classes=classes, positive=positive)
    calibrated = _data_prior_proba(estimator, X, proba, train_prior)
    if calibrated is not proba:  # a net's output moved to the data's prior
        trained.update(
            probability_metrics(
                y, calibrated, classes=classes, positive=positive, at_data_prior=True
            )
        )
    point = _at_point(estimator, y, calibrated, data)
    freq = [train_prior.get(c, 0.0) for c in estimator.classes_]
    moved = balanced_proba(estimator, X, proba, freq)
    balanced = _scored(estimator, moved, y, data, test)
    # The same ranking, and the same decisions at the operating point (a
    # threshold or a cost on the calibrated probabilities).
    balanced.update(
        {n: trained[n] for n, m in METRICS.items() if m.kind == "threshold-free"}
    )
    balanced.update({k: v for k, v in point.items() if k != SCORES})
    trained.update(point)
    return trained, balanced


def _row_status(task, rule, status, error=""):
    """The columns that name a row's fit and rule, and say how it went."""
    return {
        "method": task.method,
        "rule": rule,
        "seed": task.seed,
        "fold": task.fold,
        "status": status,
        "error": error,
    }


def _stop_scores(estimator, stop, train_prior, data):
    """The calibrated positive-class scores of a net's early-stopping rows
    (``stop``: their features and labels), on which its threshold is chosen."""
    X_stop, y_stop = stop
    calibrated = _data_prior_proba(estimator, X_stop, None, train_prior)
    return _positive_scores(estimator, y_stop, calibrated, data)


def score_rows(task, estimator, fit_time, y_train, X_eval, y_eval, data, stop=None):
    """The rows of ``task`` once ``estimator`` is fitted on ``y_train``'s rows:
    one per rule of :data:`~._verdict.RULES`, from this one fit.

    ``data`` is the task's :class:`~skimb.evaluation._plan.SeedData`;
    ``stop`` the features and labels of the rows its net's early stopping
    scored (None: no such rows), where a threshold of its own is chosen.
    """
    train_prior = class_frequencies(y_train)
    trained, balanced = _trained_and_balanced(
        estimator,
        X_eval,
        y_eval,
        data,
        train_prior=train_prior,
        test=task.fold == "test",
    )
    if stop is not None and trained.get(SCORES) is not None:
        trained[STOP_SCORES] = _stop_scores(estimator, stop, train_prior, data)
    common = dict(
        fit_time=fit_time,
        samples_per_epoch=_samples_per_epoch(estimator),
        epochs=_epochs_trained(estimator),
    )
    first = _row_status(task, RULES[0], "ok") | trained | common
    if balanced is None:
        return [first, _row_status(task, RULES[1], "n/a", NO_PROBA) | common]
    return [first, _row_status(task, RULES[1], "ok") | balanced | common]


def error_rows(task, exc):
    """The rows (one per rule) of a task whose fit or scoring raised ``exc``."""
    error = f"{type(exc).__name__}: {exc}"
    return [_row_status(task, rule, "error", error) for rule in RULES]


# ---- the decisions at the operating point -------------------------------------
def _pooled(parts):
    y = np.concatenate([p[0] for p in parts])
    s = np.concatenate([p[1] for p in parts])
    return y, s


def decide_at(rows, point, n_folds):
    """Fill the rows' decisions at ``point`` and return the held-out
    thresholds.

    Parameters
    ----------
    rows : list of dict
        A comparison's rows; a trained row of a fit with probabilities holds
        its scored rows' :data:`SCORES` and, for a net that stopped early,
        its stopping rows' :data:`STOP_SCORES`. Changed in place.
    point : OperatingPoint or None
        Nothing is done unless it is a threshold.
    n_folds : int
        The folds of a seed: a threshold from out-of-fold scores is chosen
        only once every fold is scored (a partial run leaves such rows
        undecided).

    Returns
    -------
    dict
        ``{(method, seed): threshold}`` of the fits on the whole training
        part: what their models decide at.
    """
    if point is None or not point.thresholded:
        return {}
    scores = defaultdict(dict)  # (method, seed) -> fold -> (y, s)
    own = {}  # (method, seed, fold) -> its net's scores on its stopping rows
    for row in rows:
        key = fit_key(row)
        if row.get(SCORES) is not None:
            scores[key[:2]][key[2]] = row[SCORES]
        if row.get(STOP_SCORES) is not None:
            own[key] = row[STOP_SCORES]
    decided, thresholds = {}, {}
    for key, folds in scores.items():
        cv = {f: v for f, v in folds.items() if f != "test"}
        for fold, (y, s) in folds.items():
            # Never the scored rows: the model's own stopping rows, or the
            # other folds' out-of-fold rows.
            if (*key, fold) in own:
                chosen_on = own[(*key, fold)]
            elif len(cv) == n_folds:
                chosen_on = _pooled([v for f, v in cv.items() if f != fold])
            else:
                continue  # a fold still to run
            threshold = choose_threshold(point, *chosen_on)
            decided[(*key, fold)] = metrics_at(point, y, s, threshold)
            if fold == "test":
                thresholds[key] = threshold
    for row in rows:
        found = decided.get(fit_key(row))
        if found is not None and row.get("status") == "ok":
            row.update(found)
    return thresholds
