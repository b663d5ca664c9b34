"""skimb.plotting: every expected PNG is written, and the figures drawn with
scikit-learn's Display classes show the numbers scikit-learn computes."""

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import calibration_curve
from sklearn.metrics import confusion_matrix, precision_recall_curve

from skimb.evaluation import ComparisonResult
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
CONFUSION = [[5, 1, 0], [2, 3, 1], [0, 1, 4]]


def _row(method, fold, bal_acc, classes=CLASSES, **extra):
    row = {
        "method": method,
        "seed": 0,
        "fold": fold,
        "status": "ok",
        "error": "",
        "balanced_accuracy": bal_acc,
        "fit_time": 1.5,
        **{f"recall_{c}": bal_acc for c in classes},
    }
    if fold == "test":
        row["confusion"] = CONFUSION if classes == CLASSES else [[8, 2], [1, 4]]
    row.update(extra)
    return row


@pytest.fixture
def result():
    """Two methods over two folds and the test part, written by hand."""
    rows = pd.DataFrame(
        [
            _row("baseline", 0, 0.5, fit_time=1.0),
            _row("baseline", 1, 0.7, fit_time=2.0),
            _row("baseline", "test", 0.65),
            _row("weighted-loss", 0, 0.8),
            _row("weighted-loss", 1, 0.8),
            _row("weighted-loss", "test", 0.75),
        ]
    )
    return ComparisonResult(
        rows, {"methods": ["weighted-loss", "baseline"]}, classes=CLASSES
    )


def _binary_test_rows(rng, n=200):
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
        rows.append(_row(method, "test", 0.7, classes=[0, 1], **extra))
    return y, pd.DataFrame(rows)


def test_every_expected_png_is_written(result, tmp_path):
    out = tmp_path / "new" / "folder"
    paths = save_plots(result, out)
    names = [p.name for p in paths]
    assert names == [
        "recall_by_class.png",
        "accuracy_vs_time.png",
        "confusion_weighted-loss.png",
        "confusion_baseline.png",
    ]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    for path in paths:
        assert path.parent == out
        assert path.stat().st_size > 1000
        assert path.read_bytes()[:8] == PNG_SIGNATURE


def test_a_binary_problem_also_gets_its_curves(tmp_path, rng):
    _, test = _binary_test_rows(rng)
    cv = pd.DataFrame(
        [_row(m, f, 0.7, classes=[0, 1]) for m in test["method"] for f in (0, 1)]
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
        "confusion_baseline.png",
        "confusion_weighted-loss.png",
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
        "confusion_weighted-loss.png",
    ]
    assert not (tmp_path / "confusion_baseline.png").exists()


def test_failed_methods_are_left_out_of_the_plots(result, tmp_path):
    rows = result.rows.copy()
    rows.loc[rows["method"] == "baseline", "status"] = "error"
    paths = save_plots(ComparisonResult(rows, result.config, classes=CLASSES), tmp_path)
    assert "confusion_baseline.png" not in [p.name for p in paths]
    assert (tmp_path / "confusion_weighted-loss.png").stat().st_size > 0


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


def test_precision_recall_curves_are_scikit_learns(rng):
    y, test = _binary_test_rows(rng, n=150)

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


def test_precision_recall_chance_line_is_the_positive_share(rng):
    _, test = _binary_test_rows(rng)
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
