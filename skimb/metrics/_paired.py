"""Paired tests of two methods scored on the same cross-validation folds.

Fold scores of k-fold cross-validation are not independent (the training
parts overlap), so the plain paired t-test finds differences that are fold
noise. Nadeau and Bengio (2003) correct the variance for that overlap; Bouckaert
and Frank (2004) use the same correction over repeated cross-validation.
"""

import math

import numpy as np
from scipy import stats

from .._utils.validation import check_number

__all__ = ["corrected_resampled_ttest"]


def corrected_resampled_ttest(a, b, *, test_train_ratio):
    """Two-sided corrected resampled t-test of paired fold scores.

    ``t = mean(d) / sqrt((1 / J + n_test / n_train) * var(d))`` over the
    ``J`` paired differences ``d = a - b``, with ``J - 1`` degrees of
    freedom (Nadeau and Bengio, 2003). With ``test_train_ratio=0`` it is the
    ordinary paired t-test.

    Parameters
    ----------
    a, b : array-like of shape (n_folds,)
        The two methods' scores on the same folds (and seeds), in the same
        order.
    test_train_ratio : float
        Validation rows over training rows per fold: ``1 / (k - 1)`` for
        k-fold cross-validation.

    Returns
    -------
    t : float
        The statistic (positive when ``a`` scores higher).
    p_value : float
        Two-sided; 1.0 when every difference is zero, 0.0 when every
        difference is the same non-zero value, NaN with fewer than 2 pairs.

    References
    ----------
    C. Nadeau and Y. Bengio, "Inference for the generalization error",
    Machine Learning 52, 2003.

    Examples
    --------
    >>> t, p = corrected_resampled_ttest([0.9, 0.8, 0.85, 0.9, 0.95],
    ...                                  [0.8, 0.8, 0.8, 0.85, 0.9],
    ...                                  test_train_ratio=1 / 4)
    >>> round(t, 3), round(p, 3)
    (2.108, 0.103)
    """
    check_number(test_train_ratio, "test_train_ratio", min_val=0)
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(
            "a and b must be paired 1-D score arrays of the same length; got "
            f"shapes {a.shape} and {b.shape}."
        )
    d = a - b
    n = len(d)
    if n < 2 or not np.isfinite(d).all():
        return math.nan, math.nan
    mean, var = d.mean(), d.var(ddof=1)
    if var == 0:
        if mean == 0:
            return 0.0, 1.0
        return math.copysign(math.inf, mean), 0.0
    t = mean / math.sqrt((1 / n + test_train_ratio) * var)
    return float(t), float(2 * stats.t.sf(abs(t), df=n - 1))
