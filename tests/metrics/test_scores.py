"""The metrics module against scikit-learn's own functions."""

import numpy as np
import pytest
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    brier_score_loss,
    log_loss,
    roc_auc_score,
)

from skimb.metrics import (
    decision_metrics,
    expected_calibration_error,
    pr_curve,
    probability_metrics,
    reliability_curve,
)


@pytest.fixture
def binary():
    rng = np.random.default_rng(0)
    y = np.where(rng.random(400) < 0.1, "fraud", "ok")
    p = np.clip(0.1 + 0.6 * (y == "fraud") + rng.normal(0, 0.2, 400), 0.01, 0.99)
    proba = np.c_[p, 1 - p]  # columns follow classes ['fraud', 'ok']
    return y, proba


def test_binary_probability_metrics_equal_sklearns(binary):
    y, proba = binary
    row = probability_metrics(y, proba, classes=["fraud", "ok"], positive="fraud")
    is_pos = y == "fraud"
    assert row["average_precision"] == pytest.approx(
        average_precision_score(is_pos, proba[:, 0])
    )
    assert row["roc_auc"] == pytest.approx(roc_auc_score(is_pos, proba[:, 0]))
    assert row["log_loss"] == pytest.approx(log_loss(y, proba, labels=["fraud", "ok"]))
    assert row["brier"] == pytest.approx(brier_score_loss(is_pos, proba[:, 0]))


def test_multiclass_metrics_average_one_vs_rest():
    rng = np.random.default_rng(1)
    y = rng.choice([0, 1, 2], size=300, p=[0.8, 0.15, 0.05])
    proba = rng.dirichlet([1, 1, 1], size=300)
    proba[np.arange(300), y] += 1
    proba /= proba.sum(1, keepdims=True)
    row = probability_metrics(y, proba, classes=[0, 1, 2])
    aps = [average_precision_score(y == c, proba[:, c]) for c in range(3)]
    assert row["average_precision"] == pytest.approx(np.mean(aps))
    assert row["roc_auc"] == pytest.approx(
        roc_auc_score(y, proba, multi_class="ovr", average="macro")
    )
    assert row["brier"] == pytest.approx(brier_score_loss(y, proba, labels=[0, 1, 2]))


def test_a_class_missing_from_y_true_gives_nan_ranking_metrics_not_errors():
    proba = np.array([[0.7, 0.3], [0.6, 0.4]])
    row = probability_metrics([0, 0], proba, classes=[0, 1], positive=1)
    assert np.isnan(row["average_precision"]) and np.isnan(row["roc_auc"])
    assert row["log_loss"] > 0


def test_float32_rows_that_do_not_sum_to_one_are_renormalised():
    proba = np.array([[0.3, 0.7], [0.8, 0.2]], dtype=np.float32) * 1.001
    row = probability_metrics([1, 0], proba, classes=[0, 1], positive=1)
    assert row["log_loss"] == pytest.approx(-np.log([0.7, 0.8]).mean(), rel=1e-6)


def test_decision_metrics_recall_per_class_and_minority_mean():
    y = np.array(["a"] * 8 + ["b"] * 2 + ["c"] * 2)
    pred = np.array(["a"] * 7 + ["b"] + ["b", "a"] + ["a", "a"])
    row = decision_metrics(
        y, pred, classes=["a", "b", "c"], majority="a", minority=["b", "c"]
    )
    assert row["recall_a"] == pytest.approx(7 / 8)
    assert row["recall_b"] == 0.5 and row["recall_c"] == 0.0
    assert row["minority_recall"] == pytest.approx(0.25)
    assert row["balanced_accuracy"] == pytest.approx(balanced_accuracy_score(y, pred))


def test_ece_is_zero_when_calibrated_and_large_when_overconfident():
    rng = np.random.default_rng(0)
    p = rng.random(20000)
    y = (rng.random(20000) < p).astype(int)
    calibrated = expected_calibration_error(
        y, np.c_[1 - p, p], classes=[0, 1], positive=1
    )
    sharp = np.where(p > 0.5, 0.99, 0.01)
    over = expected_calibration_error(
        y, np.c_[1 - sharp, sharp], classes=[0, 1], positive=1
    )
    assert calibrated < 0.02 < 0.2 < over


def test_reliability_and_pr_curves(binary):
    y, proba = binary
    curve = reliability_curve(y, proba, classes=["fraud", "ok"], positive="fraud")
    assert sum(curve["count"]) == len(y)
    assert all(0 <= v <= 1 for v in curve["observed"])
    pr = pr_curve(y, proba, classes=["fraud", "ok"], positive="fraud")
    assert len(pr["precision"]) == len(pr["recall"]) <= 200
    assert pr["recall"][0] == 1.0 and pr["recall"][-1] == 0.0
    assert (
        pr_curve(
            np.array(["ok", "ok"]), proba[:2], classes=["fraud", "ok"], positive="fraud"
        )
        is None
    )


@pytest.mark.parametrize("classes", [["ant", "bee", "cat"], ["cat", "bee", "ant"]])
def test_string_labels_score_as_their_integer_codes(rng, classes):
    # The metrics encode labels once (a hash lookup) before scikit-learn's;
    # in any class order the values equal those of the integer labels.
    codes = rng.choice(3, size=300, p=[0.7, 0.2, 0.1])
    pred = np.where(rng.random(300) < 0.8, codes, rng.choice(3, size=300))
    proba = rng.dirichlet(np.ones(3), size=300)
    names = np.asarray(classes, dtype=object)
    by_name = decision_metrics(
        names[codes],
        names[pred],
        classes=classes,
        majority=classes[0],
        minority=classes[1:],
    ) | probability_metrics(names[codes], proba, classes=classes)
    by_code = decision_metrics(
        codes, pred, classes=[0, 1, 2], majority=0, minority=[1, 2]
    ) | probability_metrics(codes, proba, classes=[0, 1, 2])
    for key, value in by_code.items():
        named = (
            key if not key.startswith("recall_") else f"recall_{classes[int(key[7:])]}"
        )
        assert by_name[named] == pytest.approx(value, abs=1e-12), key
    two = proba[:, [0, 2]]
    is_pos = (codes == 2).astype(int)
    by_name = probability_metrics(
        names[[0, 2]][is_pos],
        two,
        classes=[classes[0], classes[2]],
        positive=classes[2],
    )
    by_code = probability_metrics(is_pos, two, classes=[0, 1], positive=1)
    assert by_name == pytest.approx(by_code, abs=1e-12)


def test_reliability_bins_are_closed_on_the_left_unlike_calibration_curve():
    # A forest's probabilities sit on bin edges (0.5: half its trees). These
    # bins put an edge in the bin above; scikit-learn's calibration_curve,
    # closed on the right, in the one below, and it gives no counts: the
    # saved curves and the ECE keep their own binning.
    from sklearn.calibration import calibration_curve

    p = np.array([0.05, 0.5, 0.5, 0.55, 1.0])
    y = np.array([0, 1, 0, 1, 1])
    proba = np.c_[1 - p, p]
    curve = reliability_curve(y, proba, classes=[0, 1], positive=1)
    assert curve["count"] == [1, 3, 1]  # [0, 0.1), [0.5, 0.6), [0.9, 1]
    assert curve["observed"] == pytest.approx([0, 2 / 3, 1])
    observed, _ = calibration_curve(y, p, n_bins=10)
    assert observed.tolist() == pytest.approx([0, 0.5, 1, 1])
    # The ECE weighs the same bins by their counts.
    bins = reliability_curve(y, proba, classes=[0, 1], positive=1, n_bins=15)
    gaps = np.abs(np.subtract(bins["predicted"], bins["observed"]))
    assert expected_calibration_error(
        y, proba, classes=[0, 1], positive=1
    ) == pytest.approx(np.dot(bins["count"], gaps) / len(y))
