"""A comparison's decisions at the user's operating point.

A threshold is chosen on rows the scored model was not trained on and
scored on yet others. For fold ``k`` of a method and seed, the threshold is
chosen on the out-of-fold scores of the other folds (each the calibrated
probability of a model that did not train on those rows) and applied to
fold ``k``'s scores; for the held-out part, on the out-of-fold scores of
every fold. The model fitted on the whole training part, the one a
comparison saves, decides at that held-out threshold. This is the
cross-validated threshold of scikit-learn's ``TunedThresholdClassifierCV``
without its refits: the folds' models are already there.

The decisions at a threshold do not depend on the rule (moving a binary
model's probabilities to other class priors is monotone), so both rules'
rows of a fit get the same ``precision_at``, ``recall_at``,
``alert_rate_at`` and ``fbeta_at`` or ``cost_at``.
"""

from collections import defaultdict

import numpy as np

from ..metrics._operating_point import choose_threshold, metrics_at

__all__ = ["SCORES", "decide_at"]

#: The key of a trained row's out-of-fold scores: ``(is_positive, scores)``.
SCORES = "_scores"


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
        its scored rows' :data:`SCORES`. Changed in place.
    point : OperatingPoint or None
        Nothing is done unless it is a threshold.
    n_folds : int
        The folds of a seed: a fold's threshold is chosen only once every
        other fold is scored (a partial run leaves its rows undecided).

    Returns
    -------
    dict
        ``{(method, seed): threshold}`` of the fits on the whole training
        part: what their models decide at.
    """
    if point is None or not point.thresholded:
        return {}
    scores = defaultdict(dict)  # (method, seed) -> fold -> (y, s)
    for row in rows:
        if row.get(SCORES) is not None:
            scores[row["method"], row["seed"]][str(row["fold"])] = row[SCORES]
    decided, thresholds = {}, {}
    for key, folds in scores.items():
        cv = {f: v for f, v in folds.items() if f != "test"}
        if len(cv) < n_folds:
            continue
        for fold, (y, s) in folds.items():
            # Never the scored rows: a fold's threshold comes from the others.
            chosen_on = _pooled([v for f, v in cv.items() if f != fold])
            threshold = choose_threshold(point, *chosen_on)
            decided[(*key, fold)] = metrics_at(point, y, s, threshold)
            if fold == "test":
                thresholds[key] = threshold
    for row in rows:
        found = decided.get((row["method"], row["seed"], str(row["fold"])))
        if found is not None and row.get("status") == "ok":
            row.update(found)
    return thresholds
