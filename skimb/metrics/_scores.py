"""Calibration and the curves of a held-out part: expected calibration
error, the reliability diagram's bins and the precision-recall curve.

The metrics themselves, and the rows of a fold, are in the table of metrics
(:mod:`skimb.metrics._registry`).
"""

import numpy as np
from sklearn.metrics import precision_recall_curve

__all__ = ["expected_calibration_error", "pr_curve", "reliability_curve"]


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
    ece = 0.0
    for predicted, observed, count in _bins(confidence, hit, n_bins):
        ece += count / len(confidence) * abs(predicted - observed)
    return float(ece)


def _bins(confidence, hit, n_bins):
    """``(mean confidence, mean hit, count)`` of each non-empty bin of
    ``n_bins`` equal-width bins on [0, 1], closed on the left (the last on
    both sides).

    scikit-learn's ``calibration_curve`` closes its bins on the right: a
    probability on an edge (a forest's 0.5, 0.2, 0.8: a share of its trees)
    falls a bin lower there, and it gives no counts, which the ECE weighs
    the bins by and the saved curves keep.
    """
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, n_bins - 1)
    for b in range(n_bins):
        mask = which == b
        if mask.any():
            yield confidence[mask].mean(), hit[mask].mean(), int(mask.sum())


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
    out = {"predicted": [], "observed": [], "count": []}
    for predicted, observed, count in _bins(confidence, hit, n_bins):
        out["predicted"].append(float(predicted))
        out["observed"].append(float(observed))
        out["count"].append(count)
    return out


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
