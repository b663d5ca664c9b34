"""The validation scores early stopping can watch, computed on the device.

Each takes the net's log-probabilities of the validation part, its encoded
labels and the prior the net trained under, and returns a 0-d tensor. None
of them rewards ignoring the minority: every class counts the same.

``'average_precision'`` (the default) is the average precision of the rarer
class on two classes, and the mean one-vs-rest average precision over the
classes on more. It ranks, so it does not depend on the prior the net
trained under or on a threshold. Measured in ``benchmarks/stopping.py``
(100,000 rows, 0.5 % positives, three seeds): stopping on it kept the held-out
AP of 30 epochs at batch 64 within 0.025 (0.606, 0.532 and 0.548 for the
plain net, the weighted loss and the weighted sampler, against 0.592, 0.541
and 0.571) and their balanced accuracy or better, at 2.5-4x less time.
Stopping on the balanced log loss put the best epoch at 1 to 10 (at 1 in
five of the nine fits), with the best balanced accuracy of the weighted
nets (0.852 and 0.836) but 0.08 to 0.12 less AP: the loss rises as soon as
the rare class's probabilities grow confident, while its ranking still
improves.

``'balanced_log_loss'`` is the mean over classes of the mean negative
log-likelihood of the true class, of the output moved to equal priors.
``'balanced_accuracy'`` is the mean recall of the decisions for equal
priors: it moves in steps on a validation part with few minority rows.
"""

import numpy as np
import torch

from ._prior import shift_log_proba

__all__ = [
    "STOPPING_SCORES",
    "average_precision",
    "balanced_accuracy",
    "balanced_log_loss",
]


def _to_uniform(log_proba, training_prior):
    n_classes = log_proba.shape[1]
    uniform = np.full(n_classes, 1.0 / n_classes)
    return shift_log_proba(log_proba, uniform, training_prior, log=True)


def balanced_log_loss(log_proba, y, training_prior):
    """Mean over classes of the mean negative log-likelihood of the true
    class, for probabilities moved to equal class priors.

    ``log_proba`` estimates posteriors under ``training_prior``; Bayes' rule
    moves them to the uniform prior first (Saerens et al., 2002), so the
    score is the same whatever prior a method trained under. Classes absent
    from ``y`` do not count.

    Parameters
    ----------
    log_proba : torch.Tensor of shape (n_samples, n_classes)
    y : torch.Tensor of shape (n_samples,), dtype long
        Encoded labels, on ``log_proba``'s device.
    training_prior : array-like of shape (n_classes,)

    Returns
    -------
    loss : torch.Tensor
        A 0-d tensor on ``log_proba``'s device; lower is better, and
        ``log(n_classes)`` for a net that knows nothing.

    Examples
    --------
    >>> import torch
    >>> log_p = torch.tensor([[0.9, 0.1], [0.9, 0.1]]).log()
    >>> y = torch.tensor([0, 1])
    >>> float(balanced_log_loss(log_p, y, [0.9, 0.1]))  # uninformed: log 2
    0.6931...
    """
    n_classes = log_proba.shape[1]
    log_q = _to_uniform(log_proba, training_prior)
    nll = -log_q.gather(1, y.view(-1, 1)).squeeze(1)
    sums = torch.zeros(n_classes, dtype=nll.dtype, device=nll.device)
    sums.index_add_(0, y, nll)
    counts = torch.bincount(y, minlength=n_classes)
    present = counts > 0
    return (sums[present] / counts[present]).mean()


def balanced_accuracy(log_proba, y, training_prior):
    """Mean recall over the classes in ``y`` of the decisions for equal
    priors (the argmax of the output moved to the uniform prior).

    Examples
    --------
    >>> import torch
    >>> log_p = torch.tensor([[0.8, 0.2], [0.7, 0.3], [0.6, 0.4]]).log()
    >>> y = torch.tensor([0, 0, 1])
    >>> float(balanced_accuracy(log_p, y, [0.5, 0.5]))  # the rare row missed
    0.5
    >>> float(balanced_accuracy(log_p, y, [0.65, 0.35]))  # moved: found
    1.0
    """
    n_classes = log_proba.shape[1]
    hit = (_to_uniform(log_proba, training_prior).argmax(1) == y).to(torch.float64)
    sums = torch.zeros(n_classes, dtype=torch.float64, device=hit.device)
    sums.index_add_(0, y, hit)
    counts = torch.bincount(y, minlength=n_classes)
    present = counts > 0
    return (sums[present] / counts[present]).mean()


def _binary_average_precision(scores, positive):
    """scikit-learn's ``average_precision_score``: the sum over thresholds
    (distinct scores, highest first) of the recall gained times the
    precision there."""
    order = torch.argsort(scores, descending=True)
    ranked = scores[order]
    tp = positive[order].to(torch.float64).cumsum(0)
    last = torch.ones_like(ranked, dtype=torch.bool)  # last row of each tie
    last[:-1] = ranked[1:] != ranked[:-1]
    seen = torch.arange(1, len(ranked) + 1, dtype=torch.float64, device=scores.device)
    tp, seen = tp[last], seen[last]
    gained = torch.diff(tp, prepend=tp.new_zeros(1))
    return (gained * tp / seen).sum() / tp[-1]


def average_precision(log_proba, y, training_prior):
    """The rarer class's average precision on two classes; the mean
    one-vs-rest average precision over the classes on more (those in ``y``
    with rows outside them too). Higher is better; ``training_prior`` is
    not needed (a ranking does not move with the prior) and is taken for a
    common signature.

    Examples
    --------
    >>> import torch
    >>> log_p = torch.tensor([[0.9, 0.1], [0.6, 0.4], [0.7, 0.3], [0.2, 0.8]]).log()
    >>> y = torch.tensor([0, 0, 1, 1])
    >>> round(float(average_precision(log_p, y, [0.5, 0.5])), 4)  # rank 1 and 3
    0.8333
    """
    n_classes = log_proba.shape[1]
    counts = torch.bincount(y, minlength=n_classes).tolist()
    if n_classes == 2:
        present = [c for c in range(2) if 0 < counts[c] < len(y)]
        classes = [min(present, key=counts.__getitem__)] if present else []
    else:
        classes = [c for c in range(n_classes) if 0 < counts[c] < len(y)]
    if not classes:
        return torch.tensor(float("nan"), dtype=torch.float64)
    aps = [_binary_average_precision(log_proba[:, c], y == c) for c in classes]
    return torch.stack(aps).mean()


#: ``early_stopping_score`` -> (score function, whether higher is better).
STOPPING_SCORES = {
    "average_precision": (average_precision, True),
    "balanced_log_loss": (balanced_log_loss, False),
    "balanced_accuracy": (balanced_accuracy, True),
}
