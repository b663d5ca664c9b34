"""A comparison's decisions at the user's operating point.

A threshold is chosen on rows the scored model was not trained on, and
scored on yet others:

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

from ..metrics._operating_point import choose_threshold, metrics_at

__all__ = ["SCORES", "STOP_SCORES", "decide_at"]

#: The key of a trained row's out-of-fold scores: ``(is_positive, scores)``.
SCORES = "_scores"
#: The key of a trained row's scores on its net's early-stopping rows.
STOP_SCORES = "_stop_scores"


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
        key = (row["method"], row["seed"], str(row["fold"]))
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
        found = decided.get((row["method"], row["seed"], str(row["fold"])))
        if found is not None and row.get("status") == "ok":
            row.update(found)
    return thresholds
