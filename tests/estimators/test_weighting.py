"""Class-weight rules and their checks, unit and through fit."""

import numpy as np
import pytest
from _strategies import label_types, label_vectors, relabel
from hypothesis import given
from hypothesis import strategies as st
from sklearn.utils.class_weight import compute_class_weight

from skimb import WeightedLossClassifier, WeightedSamplerClassifier
from skimb.estimators._weighting import (
    EffectiveNumber,
    PowerRule,
    check_class_weight,
    check_num_samples,
)


def test_balanced_matches_inverse_frequency():
    y = np.array([0] * 90 + [1] * 9 + [2] * 1)
    w = check_class_weight("balanced", classes=np.arange(3), y=y)
    np.testing.assert_allclose(w, 100 / (3 * np.array([90, 9, 1])))
    np.testing.assert_allclose(
        w, compute_class_weight("balanced", classes=np.arange(3), y=y), rtol=1e-12
    )
    sw = np.linspace(0.1, 2, len(y))
    np.testing.assert_allclose(
        check_class_weight("balanced", classes=np.arange(3), y=y, sample_weight=sw),
        compute_class_weight("balanced", classes=np.arange(3), y=y, sample_weight=sw),
        rtol=1e-12,
    )
    # every class carries the same total weight
    totals = w * np.bincount(y)
    np.testing.assert_allclose(totals, totals[0])


def test_none_and_dict():
    classes = np.array(["cat", "dog", "eel"])
    y = np.array(["cat", "dog", "eel", "cat"])
    np.testing.assert_array_equal(check_class_weight(None, classes=classes, y=y), 1)
    w = check_class_weight({"eel": 4.0, "cat": 0}, classes=classes, y=y)
    np.testing.assert_array_equal(w, [0.0, 1.0, 4.0])


def test_balanced_with_sample_weight_and_empty_class():
    y = np.array([0, 0, 1, 1, 2])
    sw = np.array([1.0, 1.0, 2.0, 2.0, 0.0])
    w = check_class_weight("balanced", classes=np.arange(3), y=y, sample_weight=sw)
    # class 2 weighs nothing; the other two get equal totals
    assert w[2] == 0
    assert w[0] * 2 == pytest.approx(w[1] * 4)


@pytest.mark.parametrize(
    "class_weight, error, match",
    [
        ("inverse", ValueError, "class_weight must be None, 'balanced'.*'inverse'"),
        (3.0, TypeError, "class_weight must be .*float"),
        ([1, 2], TypeError, "class_weight must be .*list"),
        ({"ghost": 1.0}, ValueError, "labels that are not in y: \\['ghost'\\]"),
        ({"a": -1.0}, ValueError, "class_weight\\['a'\\] must be .*-1.0"),
        ({"a": float("nan")}, ValueError, "class_weight\\['a'\\] must be .*nan"),
        ({"a": np.inf}, ValueError, "non-negative finite"),
        ({"a": "2"}, TypeError, "real number; got '2'"),
        ({"a": 0, "b": 0}, ValueError, "every class weight 0"),
    ],
)
def test_class_weight_errors(class_weight, error, match):
    with pytest.raises(error, match=match):
        check_class_weight(
            class_weight, classes=np.array(["a", "b"]), y=np.array(["a", "b"])
        )


@pytest.mark.parametrize(
    "num_samples, error, match",
    [
        (0, ValueError, "positive integer; got 0"),
        (-5, ValueError, "positive integer; got -5"),
        (2.5, TypeError, "positive integer; got 2.5"),
        (True, TypeError, "positive integer; got True"),
        ("10", TypeError, "positive integer; got '10'"),
    ],
)
def test_num_samples_errors(num_samples, error, match):
    with pytest.raises(error, match=match):
        check_num_samples(num_samples, 10)


def test_num_samples_without_replacement():
    assert check_num_samples(5, 10, replacement=False) == 5
    with pytest.raises(ValueError, match="replacement=False.*at most .* \\(7\\)"):
        check_num_samples(8, 10, replacement=False, n_positive=7)


# ---- the rules -----------------------------------------------------------------
def test_effective_number_limits(long_tail):
    COUNTS, BALANCED = long_tail.counts, long_tail.balanced
    np.testing.assert_allclose(EffectiveNumber(0.0)(COUNTS), 1.0)
    np.testing.assert_allclose(EffectiveNumber(1e-12)(COUNTS), 1.0, rtol=1e-9)
    np.testing.assert_allclose(EffectiveNumber(1 - 1e-9)(COUNTS), BALANCED, rtol=1e-5)
    mid = EffectiveNumber(0.99)(COUNTS)
    assert mid[0] < mid[1] < mid[2]
    assert mid[2] / mid[0] < BALANCED[2] / BALANCED[0]  # milder than balanced


def test_power_rule(long_tail):
    COUNTS, BALANCED, Y = long_tail.counts, long_tail.balanced, long_tail.y
    np.testing.assert_allclose(PowerRule(1.0)(COUNTS), BALANCED)
    np.testing.assert_allclose(PowerRule(0.0)(COUNTS), 1.0)
    w = PowerRule(0.5)(COUNTS)
    np.testing.assert_allclose(w[0] / w[2], np.sqrt(5 / 500))
    np.testing.assert_allclose(check_class_weight("sqrt", classes=np.arange(3), y=Y), w)
    np.testing.assert_allclose(
        check_class_weight("effective", classes=np.arange(3), y=Y),
        EffectiveNumber(0.999)(COUNTS),
    )


@pytest.mark.parametrize(
    "rule, match",
    [
        (EffectiveNumber(1.0), r"beta must be a real number in \[0, 1\); got 1.0"),
        (EffectiveNumber(-0.1), r"beta must be .*; got -0.1"),
        (PowerRule(-1), r"q must be a non-negative real number; got -1"),
    ],
)
def test_rule_errors(rule, match, long_tail):
    with pytest.raises(ValueError, match=match):
        check_class_weight(rule, classes=np.arange(3), y=long_tail.y)


# ---- properties ------------------------------------------------------------------
@given(label_vectors(), label_types)
def test_balanced_gives_equal_class_totals(codes, kind):
    y = relabel(codes, kind)
    classes = np.unique(y)
    w = check_class_weight("balanced", classes=classes, y=y)
    totals = np.array([w[i] * np.sum(y == c) for i, c in enumerate(classes)])
    np.testing.assert_allclose(totals, totals[0], rtol=1e-12)


@given(label_vectors(), label_types, st.data())
def test_dict_weights_follow_labels_through_encoding(codes, kind, data):
    y = relabel(codes, kind)
    classes = np.unique(y)
    chosen = data.draw(
        st.lists(st.sampled_from(list(classes)), unique=True, max_size=len(classes))
    )
    weights = {c: float(i + 2) for i, c in enumerate(chosen)}
    w = check_class_weight(weights, classes=classes, y=y)
    for i, c in enumerate(classes):
        assert w[i] == weights.get(c, 1.0)


# ---- the same checks reached through an estimator's fit ------------------------
BAD_PARAMETERS = [
    # (estimator, fit kwargs, error, message fragment)
    (
        WeightedLossClassifier(class_weight="inverse"),
        {},
        ValueError,
        r"class_weight must be None, 'balanced', 'sqrt', 'effective', .*; got "
        r"'inverse'\.$",
    ),
    (
        WeightedSamplerClassifier(class_weight=2),
        {},
        TypeError,
        r"class_weight must be .*; got 2 of type int",
    ),
    (
        WeightedLossClassifier(class_weight={"z": 2.0}),
        {},
        ValueError,
        r"class_weight names labels that are not in y: \['z'\]; the labels in y are "
        r"\['a', 'b'\]",
    ),
    (
        WeightedLossClassifier(class_weight={"a": -1}),
        {},
        ValueError,
        r"class_weight\['a'\] must be a non-negative finite real number; got -1",
    ),
    (
        WeightedSamplerClassifier(class_weight={"a": np.nan}),
        {},
        ValueError,
        r"class_weight\['a'\] must be a non-negative finite real number; got nan",
    ),
    (
        WeightedLossClassifier(class_weight=EffectiveNumber(1.5), max_epochs=1),
        {},
        ValueError,
        r"beta must be a real number in \[0, 1\); got 1.5",
    ),
    (
        WeightedSamplerClassifier(num_samples=0),
        {},
        ValueError,
        r"num_samples must be None or a positive integer; got 0",
    ),
    (
        WeightedSamplerClassifier(num_samples=1.5),
        {},
        TypeError,
        r"num_samples must be None or a positive integer; got 1.5",
    ),
    (
        WeightedSamplerClassifier(num_samples=41, replacement=False),
        {},
        ValueError,
        r"replacement=False, num_samples must be at most .* \(40\); got num_samples=41",
    ),
]


@pytest.mark.parametrize(
    "estimator, kwargs, error, match",
    BAD_PARAMETERS,
    ids=[f"{type(c[0]).__name__}-{i}" for i, c in enumerate(BAD_PARAMETERS)],
)
def test_bad_parameters(estimator, kwargs, error, match, refuses):
    refuses(estimator, kwargs, error, match)


# ---- the rules are values ------------------------------------------------------
@pytest.mark.parametrize(
    "rule, text, same, other",
    [
        (
            EffectiveNumber(0.9),
            "EffectiveNumber(beta=0.9)",
            EffectiveNumber(0.9),
            EffectiveNumber(0.99),
        ),
        (PowerRule(0.5), "PowerRule(q=0.5)", PowerRule(q=0.5), PowerRule(1.0)),
        (
            EffectiveNumber(),
            "EffectiveNumber(beta=0.999)",
            EffectiveNumber(0.999),
            PowerRule(0.999),
        ),
    ],
)
def test_rules_are_frozen_values(rule, text, same, other):
    import dataclasses
    import pickle

    from sklearn.base import clone

    from skimb import WeightedLossClassifier

    assert repr(rule) == text
    assert rule == same and hash(rule) == hash(same)
    assert rule != other
    assert len({rule, same, other}) == 2
    assert pickle.loads(pickle.dumps(rule)) == rule
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.beta = 0.5  # a rule shared by clones cannot change under them
    copy = clone(WeightedLossClassifier(class_weight=rule))
    assert copy.class_weight == rule
    assert repr(copy.class_weight) == text
