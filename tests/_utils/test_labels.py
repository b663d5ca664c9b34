import numpy as np
import pytest

from skimb._utils.labels import unique_labels


@pytest.mark.parametrize(
    "y",
    [
        np.array(["ok"] * 3000 + ["fraud"] * 7 + ["maybe"] * 2, dtype=object),
        np.array(["ok"] * 3000 + ["fraud"] * 7, dtype="<U5"),
        np.array(["b", "a", "b"], dtype=object),  # small: numpy's own route
        np.arange(5000) % 3,
    ],
)
def test_unique_labels_equals_numpys(y):
    rng = np.random.default_rng(0)
    y = y[rng.permutation(len(y))]
    classes, counts = unique_labels(y, return_counts=True)
    want_classes, want_counts = np.unique(y, return_counts=True)
    np.testing.assert_array_equal(classes, want_classes)
    assert classes.dtype == want_classes.dtype
    np.testing.assert_array_equal(counts, want_counts)
    np.testing.assert_array_equal(unique_labels(y), want_classes)


def test_unique_labels_with_nan_falls_back_to_numpy():
    y = np.array(["a"] * 2000 + [np.nan], dtype=object)
    with pytest.raises(TypeError):
        np.unique(y)  # numpy cannot order a float and a string
    with pytest.raises(TypeError):
        unique_labels(y, return_counts=True)


@pytest.mark.parametrize(
    "y, fails",
    [
        (np.array(["ok"] * 2000 + ["fraud"] * 5, dtype=object), False),
        (np.array(["a", "b", "c"] * 700, dtype=object), False),
        (np.array([0.5, 1.5] * 700), True),  # continuous: not a classification
        (np.array([1, "a"] * 700, dtype=object), True),  # unknown label type
    ],
)
def test_check_targets_agrees_with_scikit_learn(y, fails):
    from sklearn.utils.multiclass import check_classification_targets

    from skimb._utils.labels import check_targets

    if fails:
        with pytest.raises(ValueError):
            check_classification_targets(y)
        with pytest.raises(ValueError):
            check_targets(y)
    else:
        check_classification_targets(y)
        check_targets(y)


def test_compact_labels_keeps_values_and_makes_strings_fixed_width():
    from skimb._utils.labels import compact_labels

    y = np.array(["ok", "fraud", "ok"], dtype=object)
    got = compact_labels(y)
    assert got.dtype.kind == "U"
    assert got.tolist() == y.tolist()
    mixed = np.array([1, "a"], dtype=object)
    assert compact_labels(mixed) is mixed or compact_labels(mixed).dtype == object
    ints = np.array([0, 1, 1])
    assert compact_labels(ints).dtype == ints.dtype
