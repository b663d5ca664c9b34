"""Early stopping on a validation part of the training data, one net at a time.

scikit-learn's convention (``MLPClassifier``, ``HistGradientBoostingClassifier``):
``early_stopping='auto'`` holds out ``validation_fraction`` of the training
rows on tables of more than 10,000 rows (or whenever ``X_val`` is given),
scores the net on them after every epoch, stops after ``n_iter_no_change``
epochs without improvement and keeps the best epoch's weights. The
patience of ``n_iter_no_change='auto'`` shrinks when the validation part's
rarest class has more than 100 rows (:func:`~._budget.auto_patience`).

The score is ``early_stopping_score``, one of
:data:`~._stopping_scores.STOPPING_SCORES`: by default the validation
average precision (of the rarer class on two classes), which the module
``_stopping_scores`` explains with its measurements.

The mixin here is shared by :meth:`fit` and :func:`~skimb.estimators.fit_many`:
each net holds its own :class:`EarlyStopper` and is scored by its own
``on_epoch_end``, so a net trained in one loop with others scores, stops and
restores exactly as its own fit does.
"""

import math

import numpy as np

from ._budget import BUDGET

__all__ = ["AUTO_MIN_ROWS", "EarlyStopper", "score_key", "validation_split"]

#: ``early_stopping='auto'`` holds out a validation part above this many rows.
AUTO_MIN_ROWS = BUDGET.early_stopping_rows


def score_key(score):
    """The history key of the monitored ``early_stopping_score``."""
    return f"valid_{score}"


def validation_split(y, fraction, seed):
    """A stratified ``(train, valid)`` split of ``y`` with every class in both.

    Each class ``c`` of ``n_c`` rows gives ``round(fraction * n_c)`` rows to
    the validation part, at least 1 and at most ``n_c - 1``, drawn at random
    within the class.

    Parameters
    ----------
    y : ndarray of shape (n_samples,) of non-negative ints
        Encoded labels; every class present needs at least 2 rows.
    fraction : float in (0, 1)
    seed : int
        Seeds the draw (a ``numpy.random.RandomState``).

    Returns
    -------
    train, valid : ndarray of int64
        Sorted row indices.

    Raises
    ------
    ValueError
        If a class present in ``y`` has fewer than 2 rows.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([0] * 18 + [1] * 2)
    >>> train, valid = validation_split(y, 0.1, seed=0)
    >>> np.bincount(y[train]), np.bincount(y[valid])
    (array([16,  1]), array([2, 1]))
    """
    y = np.asarray(y)
    counts = np.bincount(y)
    small = np.flatnonzero((counts > 0) & (counts < 2))
    if small.size:
        raise ValueError(f"classes {small.tolist()} have fewer than 2 rows")
    n_valid = np.clip(np.rint(fraction * counts), 1, np.maximum(counts - 1, 1))
    rng = np.random.RandomState(seed % 2**32)
    order = rng.permutation(len(y))
    order = order[np.argsort(y[order], kind="stable")]  # by class, random within
    start = np.cumsum(counts) - counts
    labels = y[order]
    rank = np.arange(len(y)) - start[labels]
    in_valid = rank < n_valid[labels]
    return np.sort(order[~in_valid]), np.sort(order[in_valid])


class EarlyStopper:
    """One fit's validation part, best epoch and patience.

    Parameters
    ----------
    X, y : torch.Tensor
        The validation rows and their encoded labels, on the device.
    patience : int
        Epochs without improvement before training stops.
    higher_is_better : bool, default=False
        The direction of the score.
    start : int, default=0
        Epochs up to this one (as ``history_``'s ``epoch``, from 1) are
        neither a best epoch nor counted against the patience: a warm-up
        (deferred re-weighting's uniform epochs).
    """

    def __init__(self, X, y, patience, higher_is_better=False, start=0):
        self.X, self.y, self.patience, self.start = X, y, patience, start
        self.sign = -1.0 if higher_is_better else 1.0
        self.best_score = self.sign * math.inf  # worse than any score
        self.best_epoch = None
        self.best_state = None
        self.since_best = 0
        self.stopped = False

    def update(self, score, epoch, snapshot):
        """Count ``score`` of ``epoch``; ``snapshot()`` gives what to
        restore, taken only when the score improves."""
        if epoch <= self.start:
            return
        if self.sign * score < self.sign * self.best_score:  # NaN never improves
            self.best_score, self.best_epoch = score, epoch
            self.best_state = snapshot()
            self.since_best = 0
        else:
            self.since_best += 1
            self.stopped = self.since_best >= self.patience
