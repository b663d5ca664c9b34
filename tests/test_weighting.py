import numpy as np
import pytest
from sklearn.utils.class_weight import compute_class_weight

from skimb.weighting import check_class_weight, check_num_samples


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
