"""The metrics that decide imbalanced problems, from predictions and probabilities.

Decision metrics (balanced accuracy, macro F1, G-mean, per-class recall) come
from the predicted labels; ranking and probability metrics (average
precision, ROC-AUC, log loss, Brier score, expected calibration error) from
``predict_proba``. Binary problems score the positive class; multiclass ones
average one-vs-rest over the classes present in ``y_true``.
"""

import warnings

import numpy as np
from imblearn.metrics import geometric_mean_score
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    f1_score,
    log_loss,
    precision_recall_curve,
    recall_score,
    roc_auc_score,
)

from .._utils.labels import label_codes

__all__ = [
    "DECISION_METRICS",
    "PROBABILITY_METRICS",
    "expected_calibration_error",
    "probability_metrics",
    "decision_metrics",
    "pr_curve",
    "reliability_curve",
]

DECISION_METRICS = (
    "balanced_accuracy",
    "macro_f1",
    "geometric_mean",
    "minority_recall",
    "majority_recall",
)
PROBABILITY_METRICS = ("average_precision", "roc_auc", "log_loss", "brier", "ece")


def decision_metrics(y_true, y_pred, *, classes, majority, minority):
    """Balanced accuracy, macro F1, G-mean, minority/majority and per-class recall.

    ``minority_recall`` is the mean recall of the ``minority`` classes. A
    class missing from a small validation fold has recall 0 (scikit-learn's
    ``zero_division`` convention), without a warning per fold.

    Examples
    --------
    >>> row = decision_metrics([0, 0, 0, 1], [0, 0, 1, 1], classes=[0, 1],
    ...                        majority=0, minority=[1])
    >>> round(row["balanced_accuracy"], 3), row["recall_1"]
    (0.833, 1.0)
    """
    names = list(classes)
    classes, (y_true, y_pred) = label_codes(names, y_true, y_pred)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        warnings.filterwarnings("ignore", "y_pred contains classes not in y_true")
        warnings.filterwarnings("ignore", "A single label was found")
        recalls = recall_score(
            y_true, y_pred, labels=classes, average=None, zero_division=0
        )
        row = {
            "balanced_accuracy": balanced_accuracy_score(y_true, y_pred),
            "macro_f1": f1_score(
                y_true, y_pred, labels=classes, average="macro", zero_division=0
            ),
            "geometric_mean": geometric_mean_score(
                y_true, y_pred, labels=classes, average="multiclass"
            ),
        }
    row["majority_recall"] = recalls[names.index(majority)]
    row["minority_recall"] = (
        float(np.mean([recalls[names.index(c)] for c in minority]))
        if minority
        else np.nan
    )
    for label, r in zip(names, recalls, strict=True):
        row[f"recall_{label}"] = float(r)
    return row


def expected_calibration_error(y_true, proba, *, classes, positive=None, n_bins=15):
    """Expected calibration error with equal-width bins (Guo et al., 2017).

    Binary problems (``positive`` given) bin the positive class's probability
    against its frequency; multiclass ones the top-label confidence against
    the accuracy. The mean absolute gap is weighted by the bin's share.

    Examples
    --------
    >>> p = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.2, 0.8]])
    >>> float(round(expected_calibration_error([0, 0, 1, 1], p, classes=[0, 1],
    ...                                        positive=1), 3))
    0.2
    """
    confidence, hit = _calibration_pairs(y_true, proba, classes, positive)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        mask = which == b
        if mask.any():
            ece += mask.mean() * abs(confidence[mask].mean() - hit[mask].mean())
    return float(ece)


def _calibration_pairs(y_true, proba, classes, positive):
    y_true = np.asarray(y_true)
    proba = np.asarray(proba, dtype=np.float64)
    classes = list(classes)
    if positive is not None:
        return proba[:, classes.index(positive)], (y_true == positive).astype(float)
    top = proba.argmax(axis=1)
    return proba.max(axis=1), (np.asarray(classes, dtype=object)[top] == y_true).astype(
        float
    )


def reliability_curve(y_true, proba, *, classes, positive=None, n_bins=10):
    """Mean predicted probability, observed frequency and count per bin.

    The data of a reliability diagram; empty bins are left out.
    """
    confidence, hit = _calibration_pairs(y_true, proba, classes, positive)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, n_bins - 1)
    out = {"predicted": [], "observed": [], "count": []}
    for b in range(n_bins):
        mask = which == b
        if mask.any():
            out["predicted"].append(float(confidence[mask].mean()))
            out["observed"].append(float(hit[mask].mean()))
            out["count"].append(int(mask.sum()))
    return out


def probability_metrics(y_true, proba, *, classes, positive=None):
    """Average precision, ROC-AUC, log loss, Brier score and ECE.

    Binary (``positive`` given): AP and ROC-AUC of the positive class, Brier
    of its probability. Multiclass: AP and ROC-AUC one-vs-rest, averaged over
    the classes present in ``y_true`` with at least one negative (NaN when
    none is), and scikit-learn's multiclass Brier score.

    Examples
    --------
    >>> p = np.array([[0.9, 0.1], [0.6, 0.4], [0.3, 0.7], [0.2, 0.8]])
    >>> row = probability_metrics([0, 0, 1, 1], p, classes=[0, 1], positive=1)
    >>> row["average_precision"], row["roc_auc"]
    (1.0, 1.0)
    """
    proba = np.asarray(proba, dtype=np.float64)
    # float32 softmax rows sum to 1 only to ~1e-7; the metrics expect exact.
    proba = proba / proba.sum(axis=1, keepdims=True)
    names = list(classes)
    classes, (y_true,) = label_codes(names, y_true)
    y_true = np.asarray(y_true)
    if positive is not None and classes != names:
        positive = names.index(positive)
    row = {
        "log_loss": log_loss(y_true, np.clip(proba, 1e-15, 1), labels=classes),
        "ece": expected_calibration_error(
            y_true, proba, classes=classes, positive=positive
        ),
    }
    if positive is not None:
        is_pos = y_true == positive
        p_pos = proba[:, classes.index(positive)]
        both = 0 < is_pos.sum() < len(is_pos)
        row["average_precision"] = (
            average_precision_score(is_pos, p_pos) if both else np.nan
        )
        row["roc_auc"] = roc_auc_score(is_pos, p_pos) if both else np.nan
        row["brier"] = brier_score_loss(is_pos, p_pos)
    else:
        aps, aucs = [], []
        for i, c in enumerate(classes):
            is_c = y_true == c
            if 0 < is_c.sum() < len(is_c):
                aps.append(average_precision_score(is_c, proba[:, i]))
                aucs.append(roc_auc_score(is_c, proba[:, i]))
        row["average_precision"] = float(np.mean(aps)) if aps else np.nan
        row["roc_auc"] = float(np.mean(aucs)) if aucs else np.nan
        row["brier"] = brier_score_loss(y_true, proba, labels=classes)
    return {k: float(v) for k, v in row.items()}


def pr_curve(y_true, proba, *, classes, positive, max_points=200):
    """Precision and recall of the positive class, thinned to ``max_points``."""
    is_pos = np.asarray(y_true) == positive
    if not 0 < is_pos.sum() < len(is_pos):
        return None
    precision, recall, _ = precision_recall_curve(
        is_pos, np.asarray(proba)[:, list(classes).index(positive)]
    )
    keep = np.unique(np.linspace(0, len(recall) - 1, max_points).astype(int))
    return {
        "precision": precision[keep].round(5).tolist(),
        "recall": recall[keep].round(5).tolist(),
    }
