"""The training budget set by the data: batch size, learning rate and patience.

``batch_size='auto'`` keeps the tutorial's batch of 64 on small tables and
grows it with the number of training rows, so that an epoch stays at a few
hundred optimizer steps instead of growing with the table; the learning
rate grows with it by the square root of the batch ratio (Krizhevsky, 2014;
Hoffer, Hubara and Soudry, 2017), which keeps the gradient noise of a step
about the same. ``n_iter_no_change='auto'`` waits scikit-learn's 10 epochs
for a better validation score while the validation part holds at most 100
rows of its rarest class, and less on larger ones: the epoch-to-epoch noise
of a validation score falls as one over the square root of the rows that
decide it, so a large validation part tells a plateau from a dip sooner.
The numbers are one :class:`Budget` object, :data:`BUDGET`, that the
estimators and the comparison read; the rules are pure functions of their
arguments, so that ``benchmarks/budget.py`` measures exactly what the
estimators use.

References
----------
Krizhevsky, A. (2014). One weird trick for parallelizing convolutional
neural networks. arXiv:1404.5997.

Hoffer, E., Hubara, I. and Soudry, D. (2017). Train longer, generalize
better: closing the generalization gap in large batch training of neural
networks. NeurIPS.
"""

import dataclasses
import math
import numbers

from .._utils.validation import check_number

__all__ = ["BUDGET", "Budget", "auto_batch_size", "auto_lr", "auto_patience"]


@dataclasses.dataclass(frozen=True)
class Budget:
    """The training budget, written once: the estimators' defaults, the
    rules of ``batch_size='auto'`` and ``n_iter_no_change='auto'``, and the
    comparison's fixed budget all read :data:`BUDGET`.

    Attributes
    ----------
    max_epochs : int
        Epochs of a fit (the most, with early stopping); the comparison's
        fixed budget trains this many without stopping.
    lr : float
        The learning rate at batch ``batch_size``.
    batch_size : int
        The batch of small tables and of the fixed budget, the one ``lr``
        is given for.
    max_batch_size : int
        The largest batch ``batch_size='auto'`` chooses (a power of two).
    max_steps_per_epoch : int
        The rule doubles the batch while an epoch would take more steps.
    max_lr_factor : float
        The learning rate grows at most this many times with the batch.
    early_stopping_rows : int
        ``early_stopping='auto'`` holds out a validation part above this
        many training rows.
    validation_fraction : float
        The share of the training rows held out for early stopping.
    patience : int
        Epochs without a better validation score before training stops, on
        small validation parts (scikit-learn's ``n_iter_no_change``).
    patience_minority : int
        Up to this many validation rows of the rarest class the patience is
        ``patience``; it shrinks above.
    min_patience : int
        The shortest patience the rule chooses.
    """

    max_epochs: int = 30
    lr: float = 1e-3
    batch_size: int = 64
    max_batch_size: int = 4096
    max_steps_per_epoch: int = 300
    max_lr_factor: float = 10.0
    early_stopping_rows: int = 10_000
    validation_fraction: float = 0.1
    patience: int = 10
    patience_minority: int = 100
    min_patience: int = 3


#: The budget every estimator and the comparison read.
BUDGET = Budget()


def auto_batch_size(
    n_rows,
    *,
    max_steps=BUDGET.max_steps_per_epoch,
    smallest=BUDGET.batch_size,
    largest=BUDGET.max_batch_size,
):
    """The batch size of ``batch_size='auto'`` for ``n_rows`` training rows.

    The smallest power-of-two multiple of ``smallest`` whose epoch takes at
    most ``max_steps`` optimizer steps, capped at ``largest``. With the
    defaults that is 64 up to 19,200 rows (an epoch of 10,000 rows is 157
    steps), then 128, 256, ... so that an epoch keeps 150 to 300 steps, and
    4096 from 614,401 rows on (1,000,000 rows: 245 steps).

    Parameters
    ----------
    n_rows : int >= 0
        Training rows per epoch.
    max_steps : int >= 1, default=300
        Most optimizer steps per epoch before the batch doubles.
    smallest : int >= 1, default=64
        The batch of small tables.
    largest : int >= smallest, default=4096
        The cap.

    Returns
    -------
    batch_size : int

    Examples
    --------
    >>> auto_batch_size(1_000), auto_batch_size(150_000), auto_batch_size(10**7)
    (64, 512, 4096)
    """
    n_rows = check_number(n_rows, "n_rows", numbers.Integral, min_val=0)
    max_steps = check_number(max_steps, "max_steps", numbers.Integral, min_val=1)
    batch = check_number(smallest, "smallest", numbers.Integral, min_val=1)
    largest = check_number(largest, "largest", numbers.Integral, min_val=batch)
    while batch * 2 <= largest and -(-n_rows // batch) > max_steps:
        batch *= 2
    return batch


def auto_lr(lr, batch_size, *, base=BUDGET.batch_size, max_factor=BUDGET.max_lr_factor):
    """The learning rate for ``batch_size`` when ``lr`` is the one for ``base``.

    ``lr * sqrt(batch_size / base)``, at most ``max_factor * lr`` and never
    below ``lr`` (a smaller batch keeps ``lr``): square-root scaling keeps the
    variance of a step's update about constant as the batch grows.

    Parameters
    ----------
    lr : float >= 0
        The learning rate at batch ``base``.
    batch_size : int >= 1
    base : int >= 1, default=64
    max_factor : float >= 1, default=10.0

    Returns
    -------
    lr : float

    Examples
    --------
    >>> auto_lr(1e-3, 64), auto_lr(1e-3, 1024)
    (0.001, 0.004)
    """
    lr = check_number(lr, "lr", min_val=0.0)
    batch_size = check_number(batch_size, "batch_size", numbers.Integral, min_val=1)
    base = check_number(base, "base", numbers.Integral, min_val=1)
    max_factor = check_number(max_factor, "max_factor", min_val=1.0)
    factor = min(max(math.sqrt(batch_size / base), 1.0), max_factor)
    return lr if factor == 1.0 else lr * factor


def auto_patience(
    n_minority,
    *,
    patience=BUDGET.patience,
    reference=BUDGET.patience_minority,
    smallest=BUDGET.min_patience,
):
    """The patience of ``n_iter_no_change='auto'``: epochs without a better
    validation score before training stops, for a validation part whose
    rarest class has ``n_minority`` rows.

    ``patience * sqrt(reference / n_minority)``, rounded, between
    ``smallest`` and ``patience``: 10 up to 100 rows of the rarest class
    (a 200,000-row table with 0.5 % positives holds 75 in a 10 % validation
    part), 6 at 300 (10^6 rows), 3 from 1,000. Measured on traces of full
    fits (``benchmarks/patience.py``): at 10^6 rows a patience of 3 to 5
    gave the AP of 10 with a third fewer epochs, while at 200,000 rows a
    patience of 5 lost the weighted loss 0.13 AP.

    Parameters
    ----------
    n_minority : int >= 0
        Rows of the rarest class in the validation part.
    patience : int >= 1, default=10
        The patience up to ``reference`` rows.
    reference : int >= 1, default=100
    smallest : int in [1, patience], default=3

    Returns
    -------
    n_iter_no_change : int

    Examples
    --------
    >>> auto_patience(75), auto_patience(300), auto_patience(5_000)
    (10, 6, 3)
    """
    n_minority = check_number(n_minority, "n_minority", numbers.Integral, min_val=0)
    patience = check_number(patience, "patience", numbers.Integral, min_val=1)
    reference = check_number(reference, "reference", numbers.Integral, min_val=1)
    smallest = check_number(
        smallest, "smallest", numbers.Integral, min_val=1, max_val=patience
    )
    scaled = round(patience * math.sqrt(reference / max(n_minority, 1)))
    return int(min(patience, max(smallest, scaled)))
