"""skimb.plotting: every expected PNG is written (each method under both
decision rules, named), and the figures drawn with scikit-learn's Display
classes show the numbers scikit-learn computes."""

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import confusion_matrix, precision_recall_curve

from skimb.evaluation import ComparisonResult
from skimb.evaluation._verdict import RULES
from skimb.metrics import pr_curve, reliability_curve
from skimb.plotting import (
    _confusion_matrix,
    _precision_recall,
    _reliability,
    plot_critical_difference,
    save_plots,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CLASSES = [0, 1, 2]


@pytest.fixture
def result(hand_result):
    return hand_result


def _binary_test_rows(rng, hand_row, n=200):
    # Held-out rows of two methods with their stored curves, as compare
    # stores them (pr_curve and reliability_curve of skimb.metrics).
    y = (rng.random(n) < 0.3).astype(int)
    rows = []
    for method, signal in (("baseline", 0.2), ("weighted-loss", 0.5)):
        p = np.clip(0.3 + signal * (y - 0.3) + 0.25 * rng.standard_normal(n), 0, 1)
        proba = np.column_stack([1 - p, p])
        extra = {
            "pr_curve": pr_curve(y, proba, classes=[0, 1], positive=1),
            "reliability": reliability_curve(y, proba, classes=[0, 1], positive=1),
            "average_precision": 0.5 + signal / 2,
        }
        rows.append(hand_row(method, "test", 0.7, classes=[0, 1], **extra))
    return y, pd.DataFrame(rows)


def _both_rules(result):
    # The hand-written trained rows and a balanced copy of each.
    balanced = result.rows.assign(
        rule="balanced", balanced_accuracy=result.rows["balanced_accuracy"] + 0.1
    )
    rows = pd.concat([result.rows, balanced], ignore_index=True)
    return ComparisonResult(rows, result.config, classes=result.classes)


def test_every_expected_png_is_written(result, tmp_path):
    out = tmp_path / "new" / "folder"
    paths = save_plots(_both_rules(result), out)
    names = [p.name for p in paths]
    assert names == [
        "recall_by_class.png",
        "accuracy_vs_time.png",
        "confusion_weighted-loss_trained.png",
        "confusion_weighted-loss_balanced.png",
        "confusion_baseline_trained.png",
        "confusion_baseline_balanced.png",
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    for path in paths:
        assert path.parent == out
        assert path.stat().st_size > 1000
        assert path.read_bytes()[:8] == PNG_SIGNATURE


def test_both_rules_are_named_in_the_figures(result):
    from skimb.plotting import _accuracy_vs_time, _recall_by_class

    both = _both_rules(result).rows
    entries = [(m, r) for m in ("baseline", "weighted-loss") for r in RULES]
    cv = both[both["fold"] != "test"]
    for figure in (
        _recall_by_class(cv, entries, CLASSES, 0),
        _accuracy_vs_time(cv, entries),
    ):
        legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
        assert legend == [
            "baseline (trained)",
            "baseline (balanced)",
            "weighted-loss (trained)",
            "weighted-loss (balanced)",
        ]
    # Each entry's point is its own rows' mean.
    ax = _accuracy_vs_time(cv, entries).axes[0]
    ys = [c.get_children()[0].get_ydata()[0] for c in ax.containers]
    np.testing.assert_allclose(ys, [0.6, 0.7, 0.8, 0.9])
    title = _confusion_matrix(np.eye(3, dtype=int), CLASSES, "baseline (balanced)")
    assert title.axes[0].get_title().startswith("baseline (balanced):")


def test_one_rule_only_and_a_bad_rule(result, tmp_path):
    paths = save_plots(_both_rules(result), tmp_path / "a", rules="balanced")
    assert [p.name for p in paths][2:] == [
        "confusion_weighted-loss_balanced.png",
        "confusion_baseline_balanced.png",
    ]
    with pytest.raises(ValueError, match="rules must be one of 'trained', 'balanced'"):
        save_plots(result, tmp_path / "b", rules=["trained", "balance"])
    assert not (tmp_path / "b").exists()


def test_a_binary_problem_also_gets_its_curves(tmp_path, rng, hand_row):
    _, test = _binary_test_rows(rng, hand_row)
    cv = pd.DataFrame(
        [hand_row(m, f, 0.7, classes=[0, 1]) for m in test["method"] for f in (0, 1)]
    )
    config = {
        "methods": ["baseline", "weighted-loss"],
        "positive": 1,
        "test_counts": {0: 140, 1: 60},
    }
    rows = pd.concat([cv, test], ignore_index=True)

    paths = save_plots(ComparisonResult(rows, config, classes=[0, 1]), tmp_path)

    assert [p.name for p in paths] == [
        "recall_by_class.png",
        "accuracy_vs_time.png",
        "confusion_baseline_trained.png",
        "confusion_weighted-loss_trained.png",
        "precision_recall.png",
        "reliability.png",
    ]
    assert all(p.read_bytes()[:8] == PNG_SIGNATURE for p in paths)


def test_no_confusion_plot_without_test_rows(result, tmp_path):
    rows = result.rows[
        ~((result.rows["method"] == "baseline") & (result.rows["fold"] == "test"))
    ]
    paths = save_plots(ComparisonResult(rows, result.config, classes=CLASSES), tmp_path)
    assert [p.name for p in paths] == [
        "recall_by_class.png",
        "accuracy_vs_time.png",
        "confusion_weighted-loss_trained.png",
    ]
    assert not (tmp_path / "confusion_baseline_trained.png").exists()


def test_failed_methods_are_left_out_of_the_plots(result, tmp_path):
    rows = result.rows.copy()
    rows.loc[rows["method"] == "baseline", "status"] = "error"
    paths = save_plots(ComparisonResult(rows, result.config, classes=CLASSES), tmp_path)
    assert "confusion_baseline_trained.png" not in [p.name for p in paths]
    assert (tmp_path / "confusion_weighted-loss_trained.png").stat().st_size > 0


def test_nothing_to_plot(tmp_path):
    empty = ComparisonResult(pd.DataFrame(), {"methods": ["baseline"]})
    assert save_plots(empty, tmp_path / "out") == []
    assert list((tmp_path / "out").iterdir()) == []


# ---- the figures drawn by scikit-learn's Displays show scikit-learn's numbers
def test_confusion_matrix_is_normalised_per_true_class_with_counts(rng):
    y_true, y_pred = rng.integers(0, 3, 90), rng.integers(0, 3, 90)
    y_pred[:10] = 2
    y_true[:10] = 1
    counts = confusion_matrix(y_true, y_pred)

    ax = _confusion_matrix(counts, CLASSES, "m").axes[0]

    expected = confusion_matrix(y_true, y_pred, normalize="true")
    np.testing.assert_allclose(ax.images[0].get_array(), expected)
    texts = [t.get_text() for t in ax.texts]
    assert texts[0] == f"{expected[0, 0]:.2f}\n({counts[0, 0]})"
    assert len(texts) == 9


def test_an_empty_true_class_row_stays_zero():
    counts = np.array([[3, 1], [0, 0]])
    ax = _confusion_matrix(counts, ["a", "b"], "m").axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), [[0.75, 0.25], [0, 0]])


def test_many_classes_show_fractions_only(rng):
    classes = list(range(8))
    counts = confusion_matrix(rng.integers(0, 8, 200), rng.integers(0, 8, 200))
    ax = _confusion_matrix(counts, classes, "m").axes[0]
    assert all("(" not in t.get_text() for t in ax.texts)


def test_precision_recall_curves_are_scikit_learns(rng, hand_row):
    y, test = _binary_test_rows(rng, hand_row, n=150)

    ax = _precision_recall(test, ["baseline", "weighted-loss"], 1, {}).axes[0]

    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines) == ["baseline (AP 0.600)", "weighted-loss (AP 0.750)"]
    curve = test["pr_curve"].iloc[0]
    line = lines["baseline (AP 0.600)"]
    np.testing.assert_array_equal(line.get_xdata(), curve["recall"])
    np.testing.assert_array_equal(line.get_ydata(), curve["precision"])
    # With fewer thresholds than max_points nothing is thinned: the points
    # are precision_recall_curve's, rounded as stored.
    p = np.column_stack([1 - y, y])[:, 1]  # a perfect ranker, few thresholds
    stored = pr_curve(y, np.column_stack([1 - p, p]), classes=[0, 1], positive=1)
    precision, recall, _ = precision_recall_curve(y, p)
    np.testing.assert_allclose(stored["precision"], precision, atol=1e-5)
    np.testing.assert_allclose(stored["recall"], recall, atol=1e-5)


def test_precision_recall_chance_line_is_the_positive_share(rng, hand_row):
    _, test = _binary_test_rows(rng, hand_row)
    ax = _precision_recall(test, ["baseline"], 1, {0: 75, 1: 25}).axes[0]
    chance = [line for line in ax.get_lines() if line.get_label().startswith("chance")]
    assert chance[0].get_label() == "chance (0.250)"
    assert list(chance[0].get_ydata()) == [0.25, 0.25]


@pytest.mark.parametrize("positive", [1, None])
def test_reliability_points_are_scikit_learns_calibration_curve(rng, positive):
    n = 500
    proba = rng.dirichlet([1, 1, 1] if positive is None else [1, 1], size=n)
    classes = list(range(proba.shape[1]))
    y = np.array([rng.choice(classes, p=row) for row in proba])
    curve = reliability_curve(y, proba, classes=classes, positive=positive)
    if positive is None:  # top-label confidence against the hits
        hit, score = proba.argmax(axis=1) == y, proba.max(axis=1)
    else:
        hit, score = y == positive, proba[:, positive]

    observed, predicted = calibration_curve(hit, score, n_bins=10)
    np.testing.assert_allclose(curve["observed"], observed)
    np.testing.assert_allclose(curve["predicted"], predicted)

    test = pd.DataFrame([{"method": "m", "reliability": curve}])
    ax = _reliability(test, ["m"], binary=positive is not None).axes[0]
    line = next(line for line in ax.get_lines() if line.get_label() == "m")
    np.testing.assert_allclose(line.get_xdata(), predicted)
    np.testing.assert_allclose(line.get_ydata(), observed)
    assert "Perfectly calibrated" in [line.get_label() for line in ax.get_lines()]


# ---- the critical difference diagram
def test_plot_critical_difference_writes_a_png(tmp_path):
    ranks = pd.Series(
        {"baseline": 3.9, "weighted": 2.1, "focal": 1.7, "sampler": 2.6, "smote": 4.7}
    )

    path = plot_critical_difference(ranks, 1.2, tmp_path / "cd.png", title="CD")

    assert path == tmp_path / "cd.png"
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    width, height = (
        int.from_bytes(data[16:20], "big"),
        int.from_bytes(data[20:24], "big"),
    )
    assert width > 600 and height > 150


def test_plot_critical_difference_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="ranks must be a pandas Series"):
        plot_critical_difference([1.0, 2.0], 1.0, tmp_path / "cd.png")
    with pytest.raises(ValueError, match="cd must be a positive real number; got 0"):
        plot_critical_difference(pd.Series({"a": 1.0, "b": 2.0}), 0, tmp_path / "x.png")
    with pytest.raises(TypeError, match="cd must be a positive real number; got '1'"):
        plot_critical_difference(pd.Series({"a": 1.0, "b": 2.0}), "1", tmp_path / "x")
    assert list(tmp_path.iterdir()) == []
