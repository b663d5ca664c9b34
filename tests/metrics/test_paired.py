"""The corrected resampled t-test (Nadeau and Bengio, 2003)."""

import math

import numpy as np
import pytest
from scipy import stats

from skimb.metrics._paired import corrected_resampled_ttest


def test_without_correction_it_is_the_paired_t_test(rng):
    a, b = rng.normal(size=10), rng.normal(size=10)
    t, p = corrected_resampled_ttest(a, b, test_train_ratio=0)
    expected = stats.ttest_rel(a, b)
    assert t == pytest.approx(expected.statistic)
    assert p == pytest.approx(expected.pvalue)


def test_the_correction_by_hand():
    a = np.array([0.9, 0.8, 0.85, 0.9, 0.95])
    b = np.array([0.8, 0.8, 0.8, 0.85, 0.9])
    d = a - b
    t = d.mean() / math.sqrt((1 / 5 + 0.25) * d.var(ddof=1))
    got_t, got_p = corrected_resampled_ttest(a, b, test_train_ratio=0.25)
    assert got_t == pytest.approx(t)
    assert got_p == pytest.approx(2 * stats.t.sf(t, df=4))
    # The overlap of the training parts makes the lead less certain.
    assert got_p > stats.ttest_rel(a, b).pvalue


def test_degenerate_differences():
    assert corrected_resampled_ttest([1, 2], [1, 2], test_train_ratio=0.25) == (
        0.0,
        1.0,
    )
    t, p = corrected_resampled_ttest([2, 3], [1, 2], test_train_ratio=0.25)
    assert (t, p) == (math.inf, 0.0)
    t, p = corrected_resampled_ttest([1], [0], test_train_ratio=0.25)
    assert math.isnan(t) and math.isnan(p)


def test_bad_input():
    with pytest.raises(ValueError, match="same length"):
        corrected_resampled_ttest([1, 2], [1, 2, 3], test_train_ratio=0.25)
    with pytest.raises(ValueError, match="test_train_ratio"):
        corrected_resampled_ttest([1, 2], [1, 2], test_train_ratio=-1)
