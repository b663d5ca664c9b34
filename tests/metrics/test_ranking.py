"""skimb.metrics._ranking: the statistics against hand-computed values, scipy and the
tables of Demšar (2006)."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from skimb.metrics._ranking import (
    _cliques,
    friedman_test,
    mean_ranks,
    nemenyi_critical_difference,
    win_tie_loss,
)


@pytest.fixture
def scores():
    # d2 ties A and B for first place.
    return pd.DataFrame(
        {"A": [0.9, 0.7, 0.6], "B": [0.8, 0.7, 0.9], "C": [0.5, 0.6, 0.7]},
        index=["d1", "d2", "d3"],
    )


def test_mean_ranks_by_hand(scores):
    # d1: A 1, B 2, C 3; d2: A 1.5, B 1.5, C 3; d3: B 1, C 2, A 3.
    ranks = mean_ranks(scores)

    assert ranks.index.tolist() == ["B", "A", "C"]
    np.testing.assert_allclose(ranks.to_numpy(), [4.5 / 3, 5.5 / 3, 8 / 3])


def test_mean_ranks_lower_is_better(scores):
    # d1: C 1, B 2, A 3; d2: C 1, A 2.5, B 2.5; d3: A 1, C 2, B 3.
    ranks = mean_ranks(scores, higher_is_better=False)

    assert ranks.to_dict() == pytest.approx({"C": 4 / 3, "A": 6.5 / 3, "B": 7.5 / 3})


def test_missing_scores_drop_the_data_set(scores):
    with_gap = pd.concat(
        [scores, pd.DataFrame({"A": [0.1], "B": [np.nan], "C": [0.9]}, index=["d4"])]
    )

    with pytest.warns(UserWarning, match=r"Dropped 1 of 4 data sets .*\['d4'\]"):
        ranks = mean_ranks(with_gap)

    pd.testing.assert_series_equal(ranks, mean_ranks(scores))
    with pytest.raises(ValueError, match="got 1 rows, none complete"):
        with pytest.warns(UserWarning):
            mean_ranks(with_gap.loc[["d4"]])


def test_scores_must_be_a_dataframe():
    with pytest.raises(TypeError, match="scores must be a pandas DataFrame .*ndarray"):
        mean_ranks(np.ones((3, 3)))


def test_friedman_matches_scipy(rng):
    scores = pd.DataFrame(rng.random((12, 4)), columns=list("abcd"))
    scores["a"] += 0.3

    statistic, p_value = friedman_test(scores)

    expected = stats.friedmanchisquare(*(scores[c] for c in scores))
    assert statistic == pytest.approx(expected.statistic)
    assert p_value == pytest.approx(expected.pvalue)
    # Demšar's (2006) formula from the mean ranks.
    n, k = scores.shape
    ranks = mean_ranks(scores)
    by_hand = 12 * n / (k * (k + 1)) * (np.sum(ranks**2) - k * (k + 1) ** 2 / 4)
    assert statistic == pytest.approx(by_hand)


def test_friedman_needs_three_methods_and_two_data_sets(scores):
    with pytest.raises(ValueError, match="at least 3 method columns; got 2"):
        friedman_test(scores[["A", "B"]])
    with pytest.raises(ValueError, match="at least 2 complete data sets .* got 1"):
        friedman_test(scores.iloc[:1])


DEMSAR_Q = {
    # Demšar (2006), Table 5: q_alpha for k = 2..10.
    0.05: [1.960, 2.343, 2.569, 2.728, 2.850, 2.949, 3.031, 3.102, 3.164],
    0.10: [1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.780, 2.855, 2.920],
}


@pytest.mark.parametrize("alpha", sorted(DEMSAR_Q))
@pytest.mark.parametrize("k", range(2, 11))
def test_nemenyi_q_matches_demsar_table(alpha, k):
    cd = nemenyi_critical_difference(k, 1, alpha=alpha)

    q = cd / math.sqrt(k * (k + 1) / 6)
    assert q == pytest.approx(DEMSAR_Q[alpha][k - 2], abs=1e-3)


def test_nemenyi_demsar_worked_example():
    # Demšar (2006), section 3.2.4: four methods on 14 data sets.
    assert nemenyi_critical_difference(4, 14) == pytest.approx(1.25, abs=5e-3)


@pytest.mark.parametrize(
    "args, error, message",
    [
        ((1, 10), ValueError, "n_methods must be an integer >= 2; got 1"),
        ((3, 0), ValueError, "n_datasets must be a positive integer; got 0"),
        (
            (3.0, 10),
            TypeError,
            "n_methods must be an integer >= 2; got 3.0 of type float",
        ),
        ((3, 10, 1.5), ValueError, r"alpha must be a float in the open interval"),
        ((3, 10, True), TypeError, "alpha must be .* got True of type bool"),
    ],
)
def test_nemenyi_bad_arguments(args, error, message):
    with pytest.raises(error, match=message):
        nemenyi_critical_difference(*args)


def test_win_tie_loss(scores):
    table = win_tie_loss(scores, "A")

    assert table.index.tolist() == ["B", "C"]
    assert table.loc["B", ["wins", "ties", "losses"]].tolist() == [1, 1, 1]
    assert table.loc["C", ["wins", "ties", "losses"]].tolist() == [1, 0, 2]
    # Within tol of A, B's 0.8 on d1 ties.
    assert table.loc["B", "ties"] == 1
    loose = win_tie_loss(scores, "A", tol=0.1)
    assert loose.loc["B", ["wins", "ties", "losses"]].tolist() == [1, 2, 0]
    flipped = win_tie_loss(scores, "A", higher_is_better=False)
    assert flipped.loc["C", ["wins", "ties", "losses"]].tolist() == [2, 0, 1]


def test_win_tie_loss_sign_test():
    scores = pd.DataFrame({"ref": np.zeros(11), "new": [1.0] * 9 + [-1.0, 0.0]})

    row = win_tie_loss(scores, "ref").loc["new"]

    assert row[["wins", "ties", "losses"]].tolist() == [9, 1, 1]
    # The odd tie is ignored: 9 wins of 10, two-sided.
    assert row["p_value"] == pytest.approx(2 * 11 / 2**10)


def test_win_tie_loss_bad_arguments(scores):
    with pytest.raises(ValueError, match=r"reference must be one of .*got 'Z'"):
        win_tie_loss(scores, "Z")
    with pytest.raises(ValueError, match="tol must be a real number >= 0; got -1"):
        win_tie_loss(scores, "A", tol=-1)
    with pytest.raises(TypeError, match="tol must be a real number >= 0; got '0'"):
        win_tie_loss(scores, "A", tol="0")


@pytest.mark.parametrize(
    "cd, expected",
    [
        (1.1, [(0, 2)]),
        # A difference of exactly CD is significant (Demšar: "at least").
        (1.0, [(0, 1), (1, 2)]),
        (1.6, [(0, 2), (2, 3)]),
        (0.4, []),
    ],
)
def test_cliques(cd, expected):
    assert _cliques(np.array([1.0, 1.5, 2.0, 3.5]), cd) == expected
