"""skimb.datasets._imbalance: the imbalance recipes and their options."""

import numpy as np
import pytest

from skimb.datasets import IMBALANCE_RECIPES, check_imbalance_options, make_imbalanced


def test_constants():
    assert IMBALANCE_RECIPES == ("none", "seed", "step", "longtail")


# ------------------------------------------------------------ imbalance recipes


@pytest.fixture
def balanced():
    y = np.repeat(np.arange(4), 100)
    X = np.arange(400, dtype=np.float32).reshape(-1, 1)
    return X, y


def test_recipe_none(balanced):
    X, y = balanced
    Xr, yr = make_imbalanced(X, y, recipe="none")
    np.testing.assert_array_equal(Xr, X)
    np.testing.assert_array_equal(yr, y)


def test_recipe_seed(balanced):
    Xr, yr = make_imbalanced(*balanced, recipe="seed")
    np.testing.assert_array_equal(np.bincount(yr), [90, 10, 10, 10])


def test_recipe_seed_other_majority(balanced):
    Xr, yr = make_imbalanced(
        *balanced,
        recipe="seed",
        majority_class=2,
        majority_keep=0.5,
        minority_keep=0.29,
    )
    np.testing.assert_array_equal(np.bincount(yr), [29, 29, 50, 29])


def test_recipe_step(balanced):
    Xr, yr = make_imbalanced(*balanced, recipe="step", ratio=10)
    np.testing.assert_array_equal(np.bincount(yr), [100, 100, 10, 10])


def test_recipe_step_odd_number_of_classes():
    y = np.repeat(np.arange(5), 50)
    _, yr = make_imbalanced(np.zeros((250, 2)), y, recipe="step", ratio=100)
    np.testing.assert_array_equal(np.bincount(yr), [50, 50, 50, 1, 1])


def test_recipe_longtail():
    y = np.repeat(np.arange(3), 100)
    _, yr = make_imbalanced(np.zeros((300, 1)), y, recipe="longtail", ratio=100)
    np.testing.assert_array_equal(np.bincount(yr), [100, 10, 1])


def test_recipe_longtail_capped_by_available():
    y = np.repeat(np.arange(3), [100, 5, 50])
    _, yr = make_imbalanced(np.zeros((155, 1)), y, recipe="longtail", ratio=100)
    np.testing.assert_array_equal(np.bincount(yr), [100, 5, 1])


def test_recipe_keeps_rows_with_labels_and_order(balanced):
    X, y = balanced
    Xr, yr = make_imbalanced(X, y, recipe="seed", random_state=0)
    rows = Xr.ravel().astype(int)
    np.testing.assert_array_equal(y[rows], yr)  # rows stay with their labels
    assert np.all(np.diff(rows) > 0)  # original order, no duplicates
    assert Xr.dtype == np.float32


def test_recipe_deterministic(balanced):
    a, _ = make_imbalanced(*balanced, recipe="seed", random_state=0)
    b, _ = make_imbalanced(*balanced, recipe="seed", random_state=0)
    c, _ = make_imbalanced(*balanced, recipe="seed", random_state=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_recipe_string_labels():
    y = np.repeat(["a", "b", "c", "d"], 20)
    _, yr = make_imbalanced(np.zeros((80, 1)), y, recipe="step", ratio=4)
    labels, counts = np.unique(yr, return_counts=True)
    np.testing.assert_array_equal(labels, ["a", "b", "c", "d"])
    np.testing.assert_array_equal(counts, [20, 20, 5, 5])


# ------------------------------------------------------------ imbalance options

GOOD = dict(majority_class=0, majority_keep=0.9, minority_keep=0.1, ratio=10.0)


@pytest.mark.parametrize("recipe", IMBALANCE_RECIPES)
def test_check_imbalance_options_accepts_defaults(recipe):
    assert check_imbalance_options(recipe, **GOOD, classes=[0, 1, 2]) is None


@pytest.mark.parametrize("recipe", ["exp", "Seed", "", None, 1])
def test_unknown_recipe(recipe, balanced):
    with pytest.raises(ValueError, match=r"recipe must be one of 'none'.*; got"):
        check_imbalance_options(recipe, **GOOD)
    with pytest.raises(ValueError, match="recipe must be"):
        make_imbalanced(*balanced, recipe=recipe)


@pytest.mark.parametrize(
    "param, value, error",
    [
        ("ratio", 1, ValueError),
        ("ratio", 0.5, ValueError),
        ("ratio", -3, ValueError),
        ("ratio", float("inf"), ValueError),
        ("ratio", float("nan"), ValueError),
        ("ratio", "10", TypeError),
        ("ratio", True, TypeError),
        ("majority_keep", 0, ValueError),
        ("majority_keep", 1.5, ValueError),
        ("majority_keep", None, TypeError),
        ("majority_keep", True, TypeError),
        ("minority_keep", -0.1, ValueError),
        ("minority_keep", 2, ValueError),
        ("minority_keep", "0.1", TypeError),
        ("minority_keep", False, TypeError),
    ],
)
@pytest.mark.parametrize("recipe", ["seed", "step", "longtail"])
def test_bad_numeric_options(param, value, error, recipe, balanced):
    options = {**GOOD, param: value}
    with pytest.raises(error, match=rf"{param} must be .*; got {value!r}"):
        check_imbalance_options(recipe, **options)
    with pytest.raises(error, match=rf"{param} must be"):
        make_imbalanced(*balanced, recipe=recipe, **options)


def test_keep_of_one_is_allowed(balanced):
    _, yr = make_imbalanced(*balanced, recipe="seed", majority_keep=1)
    np.testing.assert_array_equal(np.bincount(yr), [100, 10, 10, 10])


def test_bad_majority_class(balanced):
    with pytest.raises(
        ValueError,
        match=r"majority_class must be one of the "
        r"classes present \(one of 0, 1, 2, 3\); got 7",
    ):
        make_imbalanced(*balanced, recipe="seed", majority_class=7)
    with pytest.raises(TypeError, match="majority_class must be .*got the boolean"):
        check_imbalance_options(
            "seed", **{**GOOD, "majority_class": False}, classes=[0, 1]
        )
    # Not checked without classes, nor by recipes that do not use it.
    check_imbalance_options("seed", **{**GOOD, "majority_class": 7})
    check_imbalance_options("step", **{**GOOD, "majority_class": "x"}, classes=[0, 1])


def test_make_imbalanced_shape_mismatch():
    with pytest.raises(ValueError, match="same number of samples"):
        make_imbalanced(np.zeros((3, 1)), np.zeros(4))
