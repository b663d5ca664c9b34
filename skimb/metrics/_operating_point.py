"""The operating point a team decides at, and the decisions it takes there.

A fraud or diagnosis team does not decide at the threshold that maximises
balanced accuracy: it reviews a fixed share of the cases (an alert budget),
must find a share of the positives (a recall target), must not waste more
than so many reviews per hit (a precision floor), or weighs a missed
positive against false alarms (a cost). :class:`OperatingPoint` is one such
point; :func:`choose_threshold` finds, on scores of rows a model was not
trained on, the threshold on the positive class's probability that meets
it; :func:`metrics_at` scores decisions at a threshold.

The threshold is always chosen on other rows than those it is scored on:
the comparison chooses a fold's threshold on the out-of-fold scores of the
other folds, and the held-out part's on all out-of-fold scores
(:mod:`skimb.evaluation`).
"""

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "OPERATING_POINT_FORMS",
    "POINT_METRICS",
    "OperatingPoint",
    "check_operating_point",
    "choose_threshold",
    "expected_cost_decisions",
    "metrics_at",
]

#: The forms an operating point is written in, for errors and help.
OPERATING_POINT_FORMS = (
    "'balanced' (equal class priors; the default for multiclass), "
    "'f1' (the default for binary), 'fbeta=B' (B > 0), "
    "'alert-rate=R' (flag the top R of rows, 0 < R < 1), "
    "'recall=R' (the fewest alerts that keep recall R, 0 < R <= 1), "
    "'precision=P' (the most recall at precision P, 0 < P <= 1), "
    "'cost=C' (a missed positive costs C false alarms, C > 0; multiclass: "
    "a square matrix, cost[true][predicted], in Python)"
)

#: What :func:`metrics_at` gives, summarised like the metrics: the
#: decisions at the operating point and its threshold.
POINT_METRICS = (
    "precision_at",
    "recall_at",
    "alert_rate_at",
    "fbeta_at",
    "cost_at",
    "threshold",
)

# kind -> (the value's check, its allowed range in words); None: no value.
_KINDS = {
    "balanced": None,
    "f1": None,
    "fbeta": (lambda v: v > 0, "a number > 0"),
    "alert-rate": (lambda v: 0 < v < 1, "a number in (0, 1)"),
    "recall": (lambda v: 0 < v <= 1, "a number in (0, 1]"),
    "precision": (lambda v: 0 < v <= 1, "a number in (0, 1]"),
    "cost": (lambda v: v > 0, "a number > 0"),
}


@dataclass(frozen=True)
class OperatingPoint:
    """Where decisions are taken: ``kind`` and its ``value``.

    ``kind`` is one of ``'balanced'``, ``'f1'``, ``'fbeta'``,
    ``'alert-rate'``, ``'recall'``, ``'precision'`` and ``'cost'``;
    ``value`` is the number (``'f1'`` is ``fbeta`` with 1) or, for a
    multiclass cost, the cost matrix as a tuple of tuples. Build one with
    :func:`check_operating_point`.

    Examples
    --------
    >>> check_operating_point("alert-rate=0.01")
    OperatingPoint(kind='alert-rate', value=0.01)
    >>> str(check_operating_point("f1"))
    'f1'
    """

    kind: str
    value: object = None

    def __str__(self):
        if self.value is None:
            return self.kind
        if isinstance(self.value, tuple):
            return f"{self.kind}=<{len(self.value)}x{len(self.value)} matrix>"
        return f"{self.kind}={self.value:g}"

    @property
    def beta(self):
        """The F-score's beta (``'f1'``: 1)."""
        return 1.0 if self.kind == "f1" else self.value

    @property
    def thresholded(self):
        """Whether it is a threshold on the positive class's probability
        (every binary point but ``'balanced'``)."""
        return self.kind not in ("balanced",) and not isinstance(self.value, tuple)

    @property
    def score_name(self):
        """The column of the point's own score: ``'fbeta_at'`` or
        ``'cost_at'`` (None for the others)."""
        if self.kind in ("f1", "fbeta"):
            return "fbeta_at"
        if self.kind == "cost":
            return "cost_at"
        return None


def _invalid(name, received):
    return ValueError(
        f"{name} must be one of {OPERATING_POINT_FORMS}; got {received!r}."
    )


def _matrix(value, name):
    try:
        matrix = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise _invalid(name, value) from None
    if (
        matrix.ndim != 2
        or matrix.shape[0] != matrix.shape[1]
        or matrix.shape[0] < 2
        or not np.isfinite(matrix).all()
        or (matrix < 0).any()
    ):
        raise ValueError(
            f"{name}: a cost matrix must be square (n_classes x n_classes), "
            f"finite and non-negative, cost[true][predicted]; got {value!r}."
        )
    return OperatingPoint("cost", tuple(tuple(row) for row in matrix.tolist()))


def check_operating_point(value, name="operating_point", *, n_classes=None):
    """The :class:`OperatingPoint` that ``value`` writes, checked.

    Parameters
    ----------
    value : str, OperatingPoint, array-like or None
        A form of :data:`OPERATING_POINT_FORMS` (``'alert-rate=0.01'``), an
        :class:`OperatingPoint`, a square cost matrix, or None (``'f1'`` for
        a binary problem, ``'balanced'`` for a multiclass one; None is
        returned when ``n_classes`` is unknown).
    name : str
        The option's name, for errors.
    n_classes : int or None
        The problem's number of classes, when known: a multiclass problem
        takes ``'balanced'`` and a cost matrix only, a binary one every form
        but a matrix.

    Returns
    -------
    OperatingPoint or None

    Raises
    ------
    ValueError
        Naming the allowed forms and what was received.

    Examples
    --------
    >>> check_operating_point("recall=0")
    Traceback (most recent call last):
    ...
    ValueError: operating_point: recall must be a number in (0, 1]; got 0.0.
    >>> check_operating_point(None, n_classes=10)
    OperatingPoint(kind='balanced', value=None)
    """
    if value is None:
        point = None
    elif isinstance(value, OperatingPoint):
        point = value
    elif isinstance(value, str):
        point = _parse(value, name)
    elif isinstance(value, (list, tuple, np.ndarray)):
        point = _matrix(value, name)
    else:
        raise TypeError(
            f"{name} must be a str or a cost matrix; got {value!r} of type "
            f"{type(value).__name__}."
        )
    if n_classes is None:
        return point
    if point is None:
        return OperatingPoint("f1" if n_classes == 2 else "balanced")
    matrix = isinstance(point.value, tuple)
    if n_classes > 2 and point.kind != "balanced" and not matrix:
        raise ValueError(
            f"{name}={str(point)!r} is a threshold on the positive class of a "
            f"binary problem; this one has {n_classes} classes. A multiclass "
            "problem takes 'balanced' or 'cost' as a square matrix of costs "
            "(cost[true][predicted])."
        )
    if matrix and len(point.value) != n_classes:
        raise ValueError(
            f"{name}: the cost matrix must be {n_classes} x {n_classes} (one "
            f"row and column per class); got {len(point.value)} x "
            f"{len(point.value)}."
        )
    return point


def _parse(text, name):
    kind, sep, number = text.strip().lower().partition("=")
    kind = kind.strip().replace("_", "-")
    if kind not in _KINDS:
        raise _invalid(name, text)
    check = _KINDS[kind]
    if check is None:
        if sep:
            raise _invalid(name, text)
        return OperatingPoint(kind)
    if not sep:
        raise ValueError(
            f"{name}: {kind} needs a value, as in '{kind}=…' "
            f"({check[1]}); got {text!r}."
        )
    try:
        value = float(number)
    except ValueError:
        raise ValueError(
            f"{name}: {kind} must be {check[1]}; got {number.strip()!r}."
        ) from None
    if not math.isfinite(value) or not check[0](value):
        raise ValueError(f"{name}: {kind} must be {check[1]}; got {value!r}.")
    return OperatingPoint(kind, value)


def _curve(is_pos, scores):
    """Candidate thresholds (distinct scores, descending) and the true and
    false positives of flagging every row at or above each."""
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    hits = is_pos[order].astype(np.int64)
    # The last row of each run of equal scores: a threshold flags whole runs.
    last = np.r_[np.flatnonzero(np.diff(sorted_scores)), len(scores) - 1]
    tp = np.cumsum(hits)[last]
    fp = (last + 1) - tp
    return sorted_scores[last], tp, fp


def choose_threshold(point, y_true, scores):
    """The threshold on ``scores`` at which ``point`` is met on these rows.

    A row is flagged (predicted positive) when its score is at or above the
    threshold. Choose it on rows the scored model was not trained on, and
    score it on yet others.

    Parameters
    ----------
    point : OperatingPoint
        A thresholded point (binary).
    y_true : array-like of bool
        Whether each row is positive.
    scores : array-like of float
        The positive class's probability (or any score, higher meaning more
        likely positive).

    Returns
    -------
    float
        ``'alert-rate=R'``: the score above which R of the rows lie;
        ``'recall=R'``: the highest threshold whose recall is at least R;
        ``'precision=P'``: the lowest threshold whose precision is at least
        P (the highest-precision one when none reaches P); ``'f1'`` and
        ``'fbeta=B'``: the one with the best F-score; ``'cost=C'``: the one
        with the lowest ``C * missed + false alarms``. ``inf`` (flag
        nothing) when no threshold can be chosen.

    Examples
    --------
    >>> y = np.array([0, 0, 0, 1, 0, 1, 1, 0, 1, 1], dtype=bool)
    >>> s = np.arange(10) / 10
    >>> float(choose_threshold(check_operating_point("recall=0.6"), y, s))
    0.6
    >>> float(choose_threshold(check_operating_point("alert-rate=0.2"), y, s))
    0.8
    """
    is_pos = np.asarray(y_true, dtype=bool).ravel()
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if len(scores) == 0:
        return math.inf
    if point.kind == "alert-rate":
        k = max(1, int(round(point.value * len(scores))))
        return float(np.sort(scores)[::-1][k - 1])
    n_pos = int(is_pos.sum())
    thresholds, tp, fp = _curve(is_pos, scores)
    if n_pos == 0:
        return math.inf
    recall = tp / n_pos
    precision = tp / (tp + fp)
    if point.kind == "recall":
        return float(thresholds[np.argmax(recall >= point.value - 1e-12)])
    if point.kind == "precision":
        met = np.flatnonzero(precision >= point.value - 1e-12)
        at = met[-1] if len(met) else int(np.argmax(precision))
        return float(thresholds[at])
    if point.kind in ("f1", "fbeta"):
        b2 = point.beta**2
        f = (1 + b2) * tp / np.maximum((1 + b2) * tp + b2 * (n_pos - tp) + fp, 1)
        return float(thresholds[int(np.argmax(f))])
    if point.kind == "cost":
        cost = point.value * (n_pos - tp) + fp
        # Flagging nothing is a decision too: n_pos missed, no false alarm.
        if point.value * n_pos <= cost.min():
            return math.inf
        return float(thresholds[int(np.argmin(cost))])
    raise ValueError(f"{point} is not a threshold on one class's probability.")


def metrics_at(point, y_true, scores, threshold):
    """Precision, recall, alert rate and the point's own score of flagging
    the rows whose score is at or above ``threshold``.

    Returns
    -------
    dict
        ``precision_at``, ``recall_at``, ``alert_rate_at`` (the share of
        rows flagged), ``threshold`` and, for an F-score point,
        ``fbeta_at``; for a cost point ``cost_at``: the cost per row, in
        false alarms (``(C * missed + false alarms) / rows``). Precision is
        NaN when nothing is flagged, recall when no row is positive.

    Examples
    --------
    >>> y = np.array([0, 1, 1, 0], dtype=bool)
    >>> m = metrics_at(check_operating_point("cost=2"), y, [.1, .9, .4, .6], .5)
    >>> m["precision_at"], m["recall_at"], m["alert_rate_at"], m["cost_at"]
    (0.5, 0.5, 0.5, 0.75)
    """
    is_pos = np.asarray(y_true, dtype=bool).ravel()
    flagged = np.asarray(scores, dtype=np.float64).ravel() >= threshold
    tp = int((flagged & is_pos).sum())
    n_flagged, n_pos, n = int(flagged.sum()), int(is_pos.sum()), len(is_pos)
    out = {
        "precision_at": tp / n_flagged if n_flagged else math.nan,
        "recall_at": tp / n_pos if n_pos else math.nan,
        "alert_rate_at": n_flagged / n if n else math.nan,
        "threshold": float(threshold),
    }
    if point.kind in ("f1", "fbeta"):
        b2 = point.beta**2
        denominator = (1 + b2) * tp + b2 * (n_pos - tp) + (n_flagged - tp)
        out["fbeta_at"] = (1 + b2) * tp / denominator if denominator else 0.0
    elif point.kind == "cost":
        out["cost_at"] = (point.value * (n_pos - tp) + (n_flagged - tp)) / n
    return out


def expected_cost_decisions(proba, cost):
    """The class of least expected cost per row: ``argmin_j sum_i p_i
    cost[i][j]``, on calibrated probabilities (columns in class order).

    Examples
    --------
    >>> p = np.array([[0.9, 0.1], [0.7, 0.3]])
    >>> expected_cost_decisions(p, [[0, 1], [5, 0]]).tolist()
    [0, 1]
    """
    expected = np.asarray(proba, dtype=np.float64) @ np.asarray(cost, dtype=float)
    return expected.argmin(axis=1)
