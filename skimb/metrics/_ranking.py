"""Ranking methods across data sets: the statistics of Demšar (2006).

Every function takes ``scores``, a DataFrame with one row per data set and
one column per method (a score such as balanced accuracy in each cell). A
data set with a missing score (NaN, for instance a run that failed) is
dropped, with a warning, by every function here: the Friedman test and the
ranks it rests on need every method scored on every data set, and dropping
the same rows everywhere keeps the ranks, the test and the win/tie/loss
counts about the same data sets.

References
----------
.. [1] J. Demšar, "Statistical Comparisons of Classifiers over Multiple Data
   Sets", Journal of Machine Learning Research 7:1-30, 2006.
"""

import math
import numbers
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from .._utils.validation import check_number

__all__ = [
    "friedman_test",
    "mean_ranks",
    "nemenyi_critical_difference",
    "win_tie_loss",
]


def _check_scores(scores, min_methods=1):
    if not isinstance(scores, pd.DataFrame):
        raise TypeError(
            "scores must be a pandas DataFrame with one row per data set and one "
            f"column per method; got {type(scores).__name__}."
        )
    if scores.shape[1] < min_methods:
        raise ValueError(
            f"scores must have at least {min_methods} method columns; got "
            f"{scores.shape[1]}."
        )
    try:
        values = scores.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"scores must hold numbers; {exc}") from exc
    incomplete = values.isna().any(axis=1)
    if incomplete.any():
        dropped = list(values.index[incomplete])
        warnings.warn(
            f"Dropped {len(dropped)} of {len(values)} data sets with a missing "
            f"score: {dropped}.",
            UserWarning,
            stacklevel=3,
        )
        values = values[~incomplete]
    if values.empty:
        raise ValueError(
            "scores must have at least one data set (row) with a score for every "
            f"method; got {len(scores)} rows, none complete."
        )
    return values


def _ranks(values, higher_is_better):
    # Rank 1 is the best; ties share the mean of the ranks they span.
    signed = -values.to_numpy() if higher_is_better else values.to_numpy()
    ranks = stats.rankdata(signed, method="average", axis=1)
    return pd.DataFrame(ranks, index=values.index, columns=values.columns)


def mean_ranks(scores, higher_is_better=True):
    """Average rank of each method over the data sets, best first.

    Parameters
    ----------
    scores : DataFrame of shape (n_datasets, n_methods)
        One row per data set, one column per method. Data sets with a
        missing score are dropped with a warning.
    higher_is_better : bool, default=True
        Whether a larger score is better (accuracy) or worse (a loss).

    Returns
    -------
    ranks : Series
        Mean rank per method (1 = best on every data set), ascending. Within
        a data set, tied methods share the average of their ranks.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"a": [0.9, 0.8], "b": [0.7, 0.8], "c": [0.8, 0.6]})
    >>> mean_ranks(scores)
    a    1.25
    b    2.25
    c    2.50
    Name: mean_rank, dtype: float64
    """
    values = _check_scores(scores)
    ranks = _ranks(values, higher_is_better).mean(axis=0)
    return ranks.sort_values(kind="stable").rename("mean_rank")


def friedman_test(scores):
    """Friedman's test that all methods perform alike.

    Parameters
    ----------
    scores : DataFrame of shape (n_datasets, n_methods)
        At least 3 methods and 2 complete data sets. Data sets with a
        missing score are dropped with a warning.

    Returns
    -------
    statistic : float
        Friedman's chi-square statistic, with ``n_methods - 1`` degrees of
        freedom (:func:`scipy.stats.friedmanchisquare`).
    p_value : float
        Small values reject "all methods are equivalent"; then
        :func:`nemenyi_critical_difference` says which differ.

    Raises
    ------
    ValueError
        With fewer than 3 methods (compare two with a Wilcoxon signed-rank
        test or :func:`win_tie_loss` instead) or fewer than 2 data sets.

    Notes
    -----
    Demšar (2006) also gives Iman and Davenport's less conservative
    ``F = (N - 1) * statistic / (N * (k - 1) - statistic)``, with ``k - 1``
    and ``(k - 1) * (N - 1)`` degrees of freedom, for ``N`` data sets.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"a": [0.9, 0.8, 0.7], "b": [0.7, 0.6, 0.5],
    ...                        "c": [0.8, 0.7, 0.6]})
    >>> statistic, p_value = friedman_test(scores)
    >>> round(statistic, 3), round(p_value, 4)
    (6.0, 0.0498)
    """
    values = _check_scores(scores, min_methods=3)
    if len(values) < 2:
        raise ValueError(
            "scores must have at least 2 complete data sets (rows) for the "
            f"Friedman test; got {len(values)}."
        )
    result = stats.friedmanchisquare(*values.to_numpy().T)
    return float(result.statistic), float(result.pvalue)


def nemenyi_critical_difference(n_methods, n_datasets, alpha=0.05):
    """Smallest mean-rank difference that the Nemenyi test finds significant.

    ``CD = q_alpha * sqrt(k (k + 1) / (6 N))`` for ``k`` methods on ``N``
    data sets, where ``q_alpha`` is the studentized range quantile (infinite
    degrees of freedom) divided by ``sqrt(2)`` (Demšar, 2006, section 3.2.2).

    Parameters
    ----------
    n_methods : int >= 2
        Number of methods compared, ``k``.
    n_datasets : int >= 1
        Number of data sets ranked, ``N``.
    alpha : float in (0, 1), default=0.05
        Significance level, for all pairs together.

    Returns
    -------
    cd : float
        Two methods whose mean ranks differ by at least ``cd`` differ
        significantly.

    Examples
    --------
    >>> round(nemenyi_critical_difference(4, 30), 3)
    0.856
    """
    k = check_number(n_methods, "n_methods", numbers.Integral, min_val=2)
    n = check_number(n_datasets, "n_datasets", numbers.Integral, min_val=1)
    alpha = check_number(
        alpha,
        "alpha",
        min_val=0,
        max_val=1,
        include_boundaries="neither",
        allowed="a float in the open interval (0, 1)",
    )
    q_alpha = stats.studentized_range.ppf(1 - alpha, k, np.inf) / math.sqrt(2)
    return float(q_alpha * math.sqrt(k * (k + 1) / (6 * n)))


def win_tie_loss(scores, reference, *, tol=0.0, higher_is_better=True):
    """Count the data sets where each method beats, ties or loses to one.

    Parameters
    ----------
    scores : DataFrame of shape (n_datasets, n_methods)
        Data sets with a missing score are dropped with a warning.
    reference : column label
        The method every other one is compared with.
    tol : float >= 0, default=0.0
        Scores within ``tol`` of the reference's count as a tie.
    higher_is_better : bool, default=True
        Whether a larger score is better.

    Returns
    -------
    table : DataFrame
        One row per method other than ``reference``, in column order, with
        ``wins``, ``ties`` and ``losses`` (of that method against the
        reference) and ``p_value``, the two-sided sign test of Demšar (2006,
        section 3.1.3): ties split evenly between wins and losses, an odd
        one ignored.

    Examples
    --------
    >>> import pandas as pd
    >>> scores = pd.DataFrame({"base": [0.5, 0.6, 0.7], "new": [0.6, 0.6, 0.9]})
    >>> win_tie_loss(scores, "base")[["wins", "ties", "losses"]]
         wins  ties  losses
    new     2     1       0
    """
    values = _check_scores(scores, min_methods=2)
    if reference not in values.columns:
        raise ValueError(
            f"reference must be one of the methods {list(values.columns)}; got "
            f"{reference!r}."
        )
    tol = check_number(tol, "tol", min_val=0, allowed="a real number >= 0")
    difference = values.sub(values[reference], axis=0)
    if not higher_is_better:
        difference = -difference
    rows = {}
    for method in values.columns.drop(reference):
        d = difference[method].to_numpy()
        wins = int(np.sum(d > tol))
        losses = int(np.sum(d < -tol))
        ties = len(d) - wins - losses
        rows[method] = {
            "wins": wins,
            "ties": ties,
            "losses": losses,
            "p_value": _sign_test(wins, ties, losses),
        }
    return pd.DataFrame.from_dict(
        rows, orient="index", columns=["wins", "ties", "losses", "p_value"]
    )


def _sign_test(wins, ties, losses):
    wins, losses = wins + ties // 2, losses + ties // 2
    if wins + losses == 0:
        return 1.0
    return float(stats.binomtest(wins, wins + losses, 0.5).pvalue)


def _cliques(ranks, cd):
    # Maximal runs of methods (sorted by rank) whose ranks differ by less
    # than cd, the groups the Nemenyi test cannot tell apart. The run from
    # method i ends at a j that never decreases with i, so a run is maximal
    # exactly when it reaches further than the one before.
    cliques = []
    for i in range(len(ranks)):
        j = i
        while j + 1 < len(ranks) and ranks[j + 1] - ranks[i] < cd:
            j += 1
        if j > i and (not cliques or j > cliques[-1][1]):
            cliques.append((i, j))
    return cliques
