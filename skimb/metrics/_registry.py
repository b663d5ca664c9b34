"""The table of metrics: each metric once, with its function, direction,
label and kind, read by every row, summary, table, ranking and verdict.

Adding a metric is adding an entry to :data:`METRICS`: a comparison then
scores it on every fold and on the held-out part, its summary gives its mean
and standard deviation, the wide table shows it where ``shown`` says, the
benchmark ranks it where ``ranked`` is set and ``recommend_for`` accepts it
where ``recommended`` is set. An entry added to the dict at run time reaches
the same places in this process (not the workers of ``n_jobs`` or Dask,
which import the table afresh).
"""

import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from imblearn.metrics import geometric_mean_score
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    f1_score,
    log_loss,
    recall_score,
    roc_auc_score,
)

from .._utils.labels import label_codes
from ._scores import expected_calibration_error

__all__ = [
    "DECISION_METRICS",
    "KINDS",
    "METRICS",
    "PROBABILITY_METRICS",
    "Metric",
    "decision_metrics",
    "metric_words",
    "probability_metrics",
    "ranked_metrics",
    "recommendable_metrics",
]

#: What a metric is computed from: the decisions (predicted labels), the
#: ranking of the probabilities alone, or the probabilities themselves.
KINDS = ("decision", "threshold-free", "probability")


@dataclass(frozen=True)
class Metric:
    """One metric: how it is computed, which way is better, how it is named,
    and where it is reported.

    Parameters
    ----------
    name : str
        Its key in the rows (``results.csv``) and the summary
        (``<name>_mean``, ``<name>_std``, ``test_<name>``).
    score : callable
        ``score(fold) -> float``. ``fold`` is a :class:`Decisions` for a
        decision metric, a :class:`Probabilities` otherwise.
    higher_is_better : bool
        The direction a ranking and a recommendation take.
    label : str
        Its column heading (``'bal. acc'``).
    kind : {'decision', 'threshold-free', 'probability'}
        A threshold-free metric depends on the probabilities' ranking only,
        so both decision rules of a fit share its score.
    words : str or None, default=None
        How a sentence names it (``'balanced accuracy'``); None: ``label``.
    held_out : bool, default=False
        Whether the summary gives its held-out score (``test_<name>``).
    shown : tuple of {'cv', 'test'}, default=()
        Where the wide table shows it: its CV mean ± std, its held-out score.
    ranked : int or None, default=None
        Its place among the benchmark's mean ranks (their columns); None: not
        ranked.
    recommended : int or None, default=None
        Its place among ``recommend_for``'s choices, each of which gets a
        recommendation; None: not one.
    at_data_prior : bool, default=False
        Scored only on a net's probabilities moved to the training data's
        class prior (``*_corrected``); the summary puts these last.
    """

    name: str
    score: object
    higher_is_better: bool
    label: str
    kind: str
    words: str | None = None
    held_out: bool = False
    shown: tuple = ()
    ranked: int | None = None
    recommended: int | None = None
    at_data_prior: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(
                f"kind must be one of {', '.join(map(repr, KINDS))}; got {self.kind!r}."
            )
        if not set(self.shown) <= {"cv", "test"}:
            raise ValueError(f"shown holds only 'cv' and 'test'; got {self.shown!r}.")
        if self.words is None:
            object.__setattr__(self, "words", self.label)


@dataclass
class Decisions:
    """A fold's decisions, as a decision metric reads them.

    ``y_true`` and ``y_pred`` hold ``labels``: each class's position in
    ``classes`` (or the classes themselves, when a label is not one of
    them); ``recalls`` is each class's recall, in the order of ``classes``
    (0 for a class the fold lacks).
    """

    y_true: np.ndarray
    y_pred: np.ndarray
    labels: list
    classes: list
    majority: object
    minority: list
    recalls: np.ndarray


@dataclass
class Probabilities:
    """A fold's probabilities, as a threshold-free or probability metric reads
    them: ``proba`` rows summing to 1, columns in the order of ``labels``
    (what ``y_true`` holds per class, as in :class:`Decisions`);
    ``positive`` the positive class's entry of ``labels``, None for a
    multiclass problem."""

    y_true: np.ndarray
    proba: np.ndarray
    labels: list
    positive: object

    @cached_property
    def is_positive(self):
        return self.y_true == self.positive

    @cached_property
    def positive_proba(self):
        return self.proba[:, self.labels.index(self.positive)]


# ---- the metrics' functions ---------------------------------------------------
def _balanced_accuracy(d):
    return balanced_accuracy_score(d.y_true, d.y_pred)


def _macro_f1(d):
    return f1_score(
        d.y_true, d.y_pred, labels=d.labels, average="macro", zero_division=0
    )


def _geometric_mean(d):
    return geometric_mean_score(
        d.y_true, d.y_pred, labels=d.labels, average="multiclass"
    )


def _minority_recall(d):
    """The mean recall of the minority classes."""
    if not d.minority:
        return np.nan
    return float(np.mean([d.recalls[d.classes.index(c)] for c in d.minority]))


def _majority_recall(d):
    return d.recalls[d.classes.index(d.majority)]


def _one_vs_rest(p, score):
    """``score`` of the positive class (binary), or its mean one-vs-rest over
    the classes present with at least one negative; NaN when none is."""
    if p.positive is not None:
        both = 0 < p.is_positive.sum() < len(p.is_positive)
        return score(p.is_positive, p.positive_proba) if both else np.nan
    values = []
    for i, c in enumerate(p.labels):
        is_c = p.y_true == c
        if 0 < is_c.sum() < len(is_c):
            values.append(score(is_c, p.proba[:, i]))
    return float(np.mean(values)) if values else np.nan


def _average_precision(p):
    return _one_vs_rest(p, average_precision_score)


def _roc_auc(p):
    return _one_vs_rest(p, roc_auc_score)


def _log_loss(p):
    return log_loss(p.y_true, np.clip(p.proba, 1e-15, 1), labels=p.labels)


def _brier(p):
    """Of the positive class's probability (binary); scikit-learn's
    multiclass Brier score otherwise."""
    if p.positive is not None:
        return brier_score_loss(p.is_positive, p.positive_proba)
    return brier_score_loss(p.y_true, p.proba, labels=p.labels)


def _ece(p):
    return expected_calibration_error(
        p.y_true, p.proba, classes=p.labels, positive=p.positive
    )


# ---- the table ----------------------------------------------------------------
_BOTH = ("cv", "test")

#: Metric name -> :class:`Metric`, in the order of the summary's and the wide
#: table's columns.
METRICS = {
    m.name: m
    for m in [
        Metric(
            "balanced_accuracy",
            _balanced_accuracy,
            True,
            "bal. acc",
            "decision",
            words="balanced accuracy",
            held_out=True,
            shown=_BOTH,
            ranked=1,
            recommended=4,
        ),
        Metric(
            "macro_f1",
            _macro_f1,
            True,
            "macro F1",
            "decision",
            held_out=True,
            shown=("cv",),
            ranked=4,
        ),
        Metric(
            "geometric_mean",
            _geometric_mean,
            True,
            "G-mean",
            "decision",
            shown=("cv",),
            ranked=5,
        ),
        Metric(
            "minority_recall",
            _minority_recall,
            True,
            "minority rec.",
            "decision",
            shown=("cv",),
        ),
        Metric(
            "majority_recall",
            _majority_recall,
            True,
            "majority rec.",
            "decision",
            shown=("cv",),
        ),
        Metric(
            "average_precision",
            _average_precision,
            True,
            "AP",
            "threshold-free",
            held_out=True,
            shown=_BOTH,
            ranked=2,
            recommended=1,
        ),
        Metric(
            "roc_auc",
            _roc_auc,
            True,
            "ROC-AUC",
            "threshold-free",
            held_out=True,
            shown=("cv",),
            ranked=3,
            recommended=2,
        ),
        Metric(
            "log_loss",
            _log_loss,
            False,
            "log loss",
            "probability",
            held_out=True,
            shown=_BOTH,
            ranked=6,
            recommended=3,
        ),
        Metric(
            "brier",
            _brier,
            False,
            "Brier",
            "probability",
            held_out=True,
            shown=("test",),
            ranked=7,
        ),
        Metric("ece", _ece, False, "ECE", "probability", held_out=True),
        Metric(
            "log_loss_corrected",
            _log_loss,
            False,
            "log loss (train prior)",
            "probability",
            held_out=True,
            shown=("test",),
            at_data_prior=True,
        ),
        Metric(
            "brier_corrected",
            _brier,
            False,
            "Brier (train prior)",
            "probability",
            held_out=True,
            at_data_prior=True,
        ),
        Metric(
            "ece_corrected",
            _ece,
            False,
            "ECE (train prior)",
            "probability",
            held_out=True,
            at_data_prior=True,
        ),
    ]
}

#: The decision metrics and the others, as :data:`METRICS` ships them (every
#: consumer reads METRICS itself).
DECISION_METRICS = tuple(n for n, m in METRICS.items() if m.kind == "decision")
PROBABILITY_METRICS = tuple(
    n for n, m in METRICS.items() if m.kind != "decision" and not m.at_data_prior
)


def ranked_metrics():
    """The metrics the benchmark ranks, in the order of its columns."""
    ranked = [m for m in METRICS.values() if m.ranked is not None]
    return sorted(ranked, key=lambda m: m.ranked)


def recommendable_metrics():
    """The metrics a recommendation is made for (``recommend_for``'s
    choices), in their order."""
    chosen = [m for m in METRICS.values() if m.recommended is not None]
    return sorted(chosen, key=lambda m: m.recommended)


def metric_words(name):
    """How a sentence names the metric ``name`` (``name`` itself when it is
    not in the table)."""
    return METRICS[name].words if name in METRICS else name


# ---- a fold's row -------------------------------------------------------------
def decision_metrics(y_true, y_pred, *, classes, majority, minority):
    """Every decision metric of :data:`METRICS` (balanced accuracy, macro F1,
    G-mean, minority/majority recall) and the recall of each class.

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
    classes = list(classes)
    labels, (y_true, y_pred) = label_codes(classes, y_true, y_pred)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        warnings.filterwarnings("ignore", "y_pred contains classes not in y_true")
        warnings.filterwarnings("ignore", "A single label was found")
        recalls = recall_score(
            y_true, y_pred, labels=labels, average=None, zero_division=0
        )
        fold = Decisions(y_true, y_pred, labels, classes, majority, minority, recalls)
        row = {n: m.score(fold) for n, m in METRICS.items() if m.kind == "decision"}
    for label, r in zip(classes, recalls, strict=True):
        row[f"recall_{label}"] = float(r)
    return row


def probability_metrics(y_true, proba, *, classes, positive=None, at_data_prior=False):
    """Every threshold-free and probability metric of :data:`METRICS`
    (average precision, ROC-AUC, log loss, Brier score, ECE).

    Binary (``positive`` given): AP and ROC-AUC of the positive class, Brier
    of its probability. Multiclass: AP and ROC-AUC one-vs-rest, averaged over
    the classes present in ``y_true`` with at least one negative (NaN when
    none is), and scikit-learn's multiclass Brier score. With
    ``at_data_prior``, the metrics of :attr:`Metric.at_data_prior` instead
    (``log_loss_corrected``, ...), for ``proba`` moved to the training
    data's class prior.

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
    classes = list(classes)
    labels, (y_true,) = label_codes(classes, y_true)
    if positive is not None and labels != classes:
        positive = classes.index(positive)
    fold = Probabilities(np.asarray(y_true), proba, labels, positive)
    return {
        n: float(m.score(fold))
        for n, m in METRICS.items()
        if m.kind != "decision" and m.at_data_prior == at_data_prior
    }
