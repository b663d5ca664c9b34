"""skimb.evaluation._report: the Markdown table of a comparison."""

import numpy as np
import pandas as pd
import pytest

from skimb.evaluation import ComparisonResult
from skimb.evaluation._report import format_table

CLASSES = [0, 1, 2]


def _row(method, fold, bal_acc, **extra):
    row = {
        "method": method,
        "seed": 0,
        "fold": fold,
        "status": "ok",
        "error": "",
        "balanced_accuracy": bal_acc,
        "macro_f1": bal_acc - 0.1,
        "geometric_mean": bal_acc - 0.2,
        "minority_recall": bal_acc / 2,
        "majority_recall": 0.9,
        "fit_time": 1.5,
        "samples_per_epoch": 300,
        **{f"recall_{c}": bal_acc for c in CLASSES},
    }
    if fold == "test":
        row["confusion"] = [[5, 1, 0], [2, 3, 1], [0, 1, 4]]
    row.update(extra)
    return row


@pytest.fixture
def result():
    """Two methods over two folds and the test part, written by hand."""
    rows = pd.DataFrame(
        [
            _row("baseline", 0, 0.5, fit_time=1.0),
            _row("baseline", 1, 0.7, fit_time=2.0, samples_per_epoch=310),
            _row("baseline", "test", 0.65),
            _row("weighted-loss", 0, 0.8),
            _row("weighted-loss", 1, 0.8),
            _row("weighted-loss", "test", 0.75),
        ]
    )
    return ComparisonResult(
        rows, {"methods": ["weighted-loss", "baseline"]}, classes=CLASSES
    )


# ---- format_table ---------------------------------------------------------------
HEAD = (
    "| method | bal. acc | macro F1 | G-mean | minority rec. | majority rec. | AP "
    "| ROC-AUC | log loss | fit s | test bal. acc | test AP | test log loss "
    "| test Brier | test log loss (train prior) |"
)


def test_table_header_and_rule(result):
    lines = format_table(result, heading=False).splitlines()
    assert lines[0] == HEAD
    assert lines[1] == "|" + "---|" * 15


def test_heading_names_the_data_and_its_classes(result):
    result.config.update(
        dataset="churn",
        class_counts={"churn": 20, "stay": 180},
        positive="churn",
        majority="stay",
        minority=["churn"],
    )
    first = format_table(result).splitlines()[0]
    assert first == (
        "data set: churn; training classes: churn: 20, stay: 180; positive "
        "class: 'churn'; majority: 'stay'; minority: 'churn'"
    )


def test_table_rows_in_the_requested_order_with_mean_and_std(result):
    lines = format_table(result, heading=False).splitlines()
    assert len(lines) == 4
    assert lines[2] == (
        "| weighted-loss | 0.800 ± 0.000 | 0.700 ± 0.000 | 0.600 ± 0.000 "
        "| 0.400 ± 0.000 | 0.900 ± 0.000 | n/a | n/a | n/a | 1.50 ± 0.00 "
        "| 0.750 | n/a | n/a | n/a | n/a |"
    )
    # population std over the two folds: 0.5 and 0.7 -> 0.600 ± 0.100
    assert lines[3].startswith(
        "| baseline | 0.600 ± 0.100 | 0.500 ± 0.100 | 0.400 ± 0.100 "
        "| 0.300 ± 0.050 | 0.900 ± 0.000 |"
    )
    assert "| 1.50 ± 0.50 | 0.650 |" in lines[3]


def test_probability_columns_show_when_present(result):
    rows = result.rows.assign(average_precision=0.4, log_loss=0.2, brier=0.05)
    lines = format_table(
        ComparisonResult(rows, result.config), heading=False
    ).splitlines()
    assert "| 0.400 ± 0.000 | n/a | 0.200 ± 0.000 |" in lines[2]
    assert lines[2].endswith("| 0.750 | 0.400 | 0.200 | 0.050 | n/a |")


def test_table_marks_errors_failures_and_missing_values(result):
    rows = result.rows.copy()
    rows.loc[1, ["status", "error"]] = ["error", "RuntimeError: flaky"]
    rows.loc[rows["method"] == "weighted-loss", "minority_recall"] = np.nan
    rows = pd.concat(
        [
            rows,
            pd.DataFrame(
                [
                    {
                        "method": "broken",
                        "seed": 0,
                        "fold": 0,
                        "status": "error",
                        "error": "ValueError: boom",
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    table = format_table(
        ComparisonResult(rows, {"methods": ["baseline", "weighted-loss", "broken"]}),
        heading=False,
    )
    lines = table.splitlines()
    assert lines[2].startswith("| baseline (1/3 runs failed) | 0.500 ± 0.000 |")
    assert "| 0.700 ± 0.000 | 0.600 ± 0.000 | n/a |" in lines[3]
    assert lines[4] == "| broken | error: ValueError: boom |" + "  |" * 13


def test_table_without_test_rows_says_n_a(result):
    rows = result.rows[result.rows["fold"] != "test"]
    table = format_table(ComparisonResult(rows, result.config), heading=False)
    assert all(line.endswith("| n/a | n/a |") for line in table.splitlines()[2:])


def test_heading_shows_the_counts_the_nets_trained_on(result):
    result.config.update(
        dataset="digits",
        class_counts={0: 133, 1: 136},
        trained_counts={0: 119, 1: 13},
        imbalance={"recipe": "seed"},
        seeds=[0],
    )
    first = format_table(result).splitlines()[0]
    assert first.startswith(
        "data set: digits; training classes after the 'seed' recipe: 0: 119, 1: 13"
    )
