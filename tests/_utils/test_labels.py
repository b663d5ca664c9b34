import numpy as np
import pytest

from skimb._utils.labels import label_codes, unique_labels


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


def test_labels_outside_the_classes_fall_back_to_the_labels():
    classes, arrays = label_codes(["a", "b"], np.array(["a", "c"]))
    assert classes == ["a", "b"] and arrays[0].tolist() == ["a", "c"]
    classes, (codes,) = label_codes(["b", "a"], np.array(["a", "b", "a"]))
    assert classes == [0, 1] and codes.tolist() == [1, 0, 1]


@pytest.mark.parametrize("dtype", [object, "<U2", "<U5"])
def test_label_codes_agree_across_label_dtypes(dtype):
    # numpy strings take a binary search, objects a hash lookup: same codes.
    values = np.array(["ok", "no", "ok", "no"], dtype=dtype)
    classes, (codes,) = label_codes(["ok", "no"], values)
    assert classes == [0, 1] and codes.tolist() == [0, 1, 0, 1]
    # A class longer than the array's strings is no match for a truncation.
    classes, arrays = label_codes(["ok", "nope"], values)
    assert classes == ["ok", "nope"] and arrays[0] is values
    # Integer classes never match string labels: the labels stay as given.
    _, arrays = label_codes([0, 1], values)
    assert arrays[0] is values
