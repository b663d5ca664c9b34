"""The operating point: its forms, the threshold that meets it and the
decisions taken there."""

import math

import numpy as np
import pytest

from skimb.metrics._operating_point import (
    OperatingPoint,
    check_operating_point,
    choose_threshold,
    expected_cost_decisions,
    metrics_at,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("balanced", OperatingPoint("balanced")),
        ("f1", OperatingPoint("f1")),
        ("fbeta=2", OperatingPoint("fbeta", 2.0)),
        ("alert-rate=0.01", OperatingPoint("alert-rate", 0.01)),
        ("alert_rate=0.01", OperatingPoint("alert-rate", 0.01)),
        ("recall=0.9", OperatingPoint("recall", 0.9)),
        ("precision=1", OperatingPoint("precision", 1.0)),
        (" Cost = 50 ", OperatingPoint("cost", 50.0)),
    ],
)
def test_the_forms_are_read(text, expected):
    assert check_operating_point(text) == expected
    assert check_operating_point(str(expected)) == expected  # round trip


@pytest.mark.parametrize(
    "value, match",
    [
        ("alert-rate=2", r"alert-rate must be a number in \(0, 1\); got 2.0"),
        ("alert-rate=0", r"alert-rate must be a number in \(0, 1\); got 0.0"),
        ("recall=0", r"recall must be a number in \(0, 1\]; got 0.0"),
        ("precision=1.5", r"precision must be a number in \(0, 1\]"),
        ("cost=-1", r"cost must be a number > 0; got -1.0"),
        ("fbeta=0", r"fbeta must be a number > 0"),
        ("recall", r"recall needs a value"),
        ("recall=high", r"recall must be a number in \(0, 1\]; got 'high'"),
        ("cost=nan", r"cost must be a number > 0; got nan"),
        ("f1=2", r"must be one of 'balanced'.*got 'f1=2'"),
        ("top-k=3", r"must be one of 'balanced'.*'alert-rate=R'.*got 'top-k=3'"),
        ([[0, 1], [1]], r"must be one of|cost matrix must be square"),
        ([[0, -1], [1, 0]], r"cost matrix must be square .* non-negative"),
    ],
)
def test_each_bad_form_names_the_allowed_ones(value, match):
    with pytest.raises(ValueError, match=match):
        check_operating_point(value)


def test_a_wrong_type_is_a_type_error():
    with pytest.raises(TypeError, match="operating_point must be a str or a cost"):
        check_operating_point(0.01)


def test_the_problem_decides_the_default_and_the_allowed_forms():
    assert check_operating_point(None) is None
    assert check_operating_point(None, n_classes=2) == OperatingPoint("f1")
    assert check_operating_point(None, n_classes=3) == OperatingPoint("balanced")
    for text in ("f1", "alert-rate=0.1", "recall=0.5", "precision=0.5", "cost=5"):
        with pytest.raises(ValueError, match="has 3 classes.*'balanced' or 'cost'"):
            check_operating_point(text, n_classes=3)
    matrix = check_operating_point([[0, 1, 1], [5, 0, 1], [5, 1, 0]], n_classes=3)
    assert matrix.kind == "cost" and not matrix.thresholded
    with pytest.raises(ValueError, match="must be 2 x 2"):
        check_operating_point([[0, 1, 1], [5, 0, 1], [5, 1, 0]], n_classes=2)


def _brute_force(point, y, s):
    """Every candidate threshold scored by hand."""
    best, best_key = math.inf, None
    n_pos = y.sum()
    for t in np.unique(s):
        flag = s >= t
        tp, fp = (flag & y).sum(), (flag & ~y).sum()
        recall, precision = tp / n_pos, tp / max(flag.sum(), 1)
        if point.kind == "recall":
            key = (0 if recall >= point.value else 1, -t)
        elif point.kind == "precision":
            key = (0 if precision >= point.value else 1, t)
        elif point.kind in ("f1", "fbeta"):
            b2 = point.beta**2
            key = (-(1 + b2) * tp / ((1 + b2) * tp + b2 * (n_pos - tp) + fp),)
        else:
            key = (point.value * (n_pos - tp) + fp, -t)
        if best_key is None or key < best_key:
            best, best_key = t, key
    return best


@pytest.mark.parametrize(
    "text", ["recall=0.7", "precision=0.6", "f1", "fbeta=2", "cost=9"]
)
@pytest.mark.parametrize("seed", range(3))
def test_the_threshold_meets_the_point(text, seed):
    rng = np.random.default_rng(seed)
    y = rng.random(300) < 0.1
    s = np.round(rng.random(300) + y * 0.7, 2)  # ties included
    point = check_operating_point(text)
    t = choose_threshold(point, y, s)
    assert t == _brute_force(point, y, s)
    m = metrics_at(point, y, s, t)
    if point.kind == "recall":
        assert m["recall_at"] >= 0.7
        # The fewest alerts: the next higher threshold misses the target.
        higher = s[s > t]
        if len(higher):
            assert metrics_at(point, y, s, higher.min())["recall_at"] < 0.7
    if point.kind == "precision":
        assert m["precision_at"] >= 0.6


@pytest.mark.parametrize("rate", [0.01, 0.05, 0.2])
def test_an_alert_budget_flags_that_share_of_rows(rate):
    rng = np.random.default_rng(0)
    s = rng.random(2000)
    y = rng.random(2000) < 0.05
    point = check_operating_point(f"alert-rate={rate}")
    t = choose_threshold(point, y, s)
    assert metrics_at(point, y, s, t)["alert_rate_at"] == pytest.approx(rate)


def test_a_cost_can_mean_flagging_nothing():
    y = np.array([0, 0, 0, 0, 1], dtype=bool)
    s = np.array([0.9, 0.8, 0.7, 0.6, 0.5])  # the positive scores lowest
    point = check_operating_point("cost=2")
    assert choose_threshold(point, y, s) == math.inf
    m = metrics_at(point, y, s, math.inf)
    assert m["alert_rate_at"] == 0 and math.isnan(m["precision_at"])
    assert m["cost_at"] == pytest.approx(2 / 5)


def test_no_positive_or_no_rows_flag_nothing():
    point = check_operating_point("f1")
    assert choose_threshold(point, np.zeros(4, bool), np.arange(4.0)) == math.inf
    assert choose_threshold(point, [], []) == math.inf


def test_the_least_expected_cost_class():
    proba = np.array([[0.8, 0.1, 0.1], [0.5, 0.4, 0.1], [0.2, 0.2, 0.6]])
    cost = [[0, 1, 1], [4, 0, 1], [1, 1, 0]]  # missing class 1 is expensive
    assert expected_cost_decisions(proba, cost).tolist() == [0, 1, 2]
    assert proba.argmax(axis=1).tolist() == [0, 0, 2]  # the cost moved row 1
