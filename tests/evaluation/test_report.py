"""skimb.evaluation._report: the Markdown table of a comparison."""

import numpy as np
import pandas as pd
import pytest

from skimb.evaluation import ComparisonResult
from skimb.evaluation._report import format_table


@pytest.fixture
def result(hand_result):
    return hand_result


# ---- format_table ---------------------------------------------------------------
HEAD = (
    "| method | rule | bal. acc | macro F1 | G-mean | minority rec. | majority rec. "
    "| AP | ROC-AUC | log loss | fit s | epochs | test bal. acc | test AP "
    "| test log loss | test Brier | test log loss (train prior) |"
)


def test_table_header_and_rule(result):
    lines = format_table(result, heading=False).splitlines()
    assert lines[0] == HEAD
    assert lines[1] == "|" + "---|" * 17


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
    assert len(lines) == 4 + 2  # the head, two methods, the note
    assert lines[2] == (
        "| weighted-loss | trained | 0.800 ± 0.000 | 0.700 ± 0.000 | 0.600 ± 0.000 "
        "| 0.400 ± 0.000 | 0.900 ± 0.000 | n/a | n/a | n/a | 1.50 ± 0.00 "
        "| n/a | 0.750 | n/a | n/a | n/a | n/a |"
    )
    # population std over the two folds: 0.5 and 0.7 -> 0.600 ± 0.100
    assert lines[3].startswith(
        "| baseline | trained | 0.600 ± 0.100 | 0.500 ± 0.100 | 0.400 ± 0.100 "
        "| 0.300 ± 0.050 | 0.900 ± 0.000 |"
    )
    assert "| 1.50 ± 0.50 | n/a | 0.650 |" in lines[3]


def test_the_epochs_column_is_the_mean_of_the_epochs_trained(result):
    rows = result.rows.assign(epochs=[10.0, 14.0, 20.0, 30.0, 30.0, 30.0])
    lines = format_table(
        ComparisonResult(rows, result.config), heading=False
    ).splitlines()
    assert "| 1.50 ± 0.00 | 30.0 ± 0.0 | 0.750 |" in lines[2]  # weighted-loss
    assert "| 1.50 ± 0.50 | 12.0 ± 2.0 | 0.650 |" in lines[3]  # CV folds only


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
                        "rule": "trained",
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
    assert lines[2].startswith(
        "| baseline (1/3 runs failed) | trained | 0.500 ± 0.000 |"
    )
    assert "| 0.700 ± 0.000 | 0.600 ± 0.000 | n/a |" in lines[3]
    assert lines[4] == "| broken | trained | error: ValueError: boom |" + "  |" * 14


def test_table_without_test_rows_says_n_a(result):
    rows = result.rows[result.rows["fold"] != "test"]
    table = format_table(ComparisonResult(rows, result.config), heading=False)
    assert all(line.endswith("| n/a | n/a |") for line in table.splitlines()[2:4])


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


def test_both_rules_n_a_and_the_note(result):
    balanced = result.rows.assign(rule="balanced", balanced_accuracy=0.9)
    na = result.rows[result.rows["method"] == "baseline"].assign(
        rule="balanced", status="n/a", error="n/a: no predict_proba"
    )
    rows = pd.concat(
        [result.rows, balanced[balanced["method"] == "weighted-loss"], na],
        ignore_index=True,
    )
    lines = format_table(
        ComparisonResult(rows, result.config), heading=False
    ).splitlines()
    assert [ln.split(" | ")[:2] for ln in lines[2:6]] == [
        ["| weighted-loss", "trained"],
        ["| weighted-loss", "balanced"],
        ["| baseline", "trained"],
        ["| baseline", "balanced"],
    ]
    assert lines[3].startswith("| weighted-loss | balanced | 0.900 ± 0.000 |")
    assert lines[5] == "| baseline | balanced |" + " n/a |" * 15
    assert "AP and ROC-AUC are threshold-free: the same under both rules" in lines[-1]


def test_summary_by_rule_and_a_bad_rule(result):
    rows = pd.concat(
        [result.rows, result.rows.assign(rule="balanced", balanced_accuracy=0.9)],
        ignore_index=True,
    )
    both = ComparisonResult(rows, result.config)
    summary = both.summary()
    assert list(zip(summary["method"], summary["rule"], strict=True)) == [
        ("weighted-loss", "trained"),
        ("weighted-loss", "balanced"),
        ("baseline", "trained"),
        ("baseline", "balanced"),
    ]
    balanced = both.summary(rule="balanced")
    assert list(balanced["rule"]) == ["balanced", "balanced"]
    assert (balanced["balanced_accuracy_mean"] == 0.9).all()
    with pytest.raises(
        ValueError, match="rule must be one of 'trained', 'balanced'; got 'fair'"
    ):
        both.summary(rule="fair")


@pytest.mark.parametrize("point", [None, "alert-rate=0.05", "fbeta=2", "cost=20"])
def test_the_leaderboard_reads_at_a_glance(point, tiny, churn, failing_method):
    from skimb import compare
    from skimb.evaluation._report import WIDTH, format_leaderboard, leaderboard

    failing_method("always-fails", ValueError("no"))
    methods = ["balanced-random-forest", "weighted-loss", "baseline", "always-fails"]
    result = compare(
        churn(300, seed=4),
        target="label",
        methods=methods,
        operating_point=point,
        output=None,
        **tiny,
    )
    text = format_leaderboard(result)
    assert max(map(len, text.splitlines())) <= WIDTH
    table = result.table()
    assert table.equals(leaderboard(result))
    # One row per method, best CV AP first, the failed one last.
    assert list(table["method"]) == [
        *sorted(methods[:3], key=lambda m: -_cv_mean(result, m)),
        "always-fails",
    ]
    assert table["AP (CV)"].iloc[-1].startswith("failed: ValueError: no")
    heading = {None: "F1", "alert-rate=0.05": None, "fbeta=2": "F2", "cost=20": "cost"}
    assert {"prec.", "recall", "alerts"} <= set(table.columns)
    assert "rule" not in table.columns  # a threshold decides, not a rule
    if heading[point]:
        assert heading[point] in table.columns
    assert result.table(wide=True).shape[0] == 2 * len(methods)


def _cv_mean(result, method):
    rows = result.rows
    cv = rows[
        (rows["method"] == method)
        & (rows["fold"].astype(str) != "test")
        & (rows["rule"] == "trained")
    ]
    return cv["average_precision"].mean()


def test_a_multiclass_leaderboard_names_each_methods_rule(split, tiny):
    from skimb import compare
    from skimb.evaluation._report import WIDTH, format_leaderboard

    result = compare(split, methods=["baseline", "logreg"], output=None, **tiny)
    table = result.table()
    assert list(table.columns) == [
        "#",
        "method",
        "rule",
        "AP (CV)",
        "ROC-AUC",
        "AP",
        "bal. acc",
        "macro F1",
        "fit s",
    ]
    assert set(table["rule"]) <= {"trained", "balanced"}
    assert max(map(len, format_leaderboard(result).splitlines())) <= WIDTH


def test_the_verdict_says_which_kind_of_model_leads(tiny, churn):
    from skimb import compare
    from skimb.evaluation._report import format_verdict
    from skimb.evaluation._verdict import standings

    result = compare(
        churn(300, seed=5),
        target="label",
        methods=["logreg", "baseline", "balanced-random-forest"],
        output=None,
        **tiny,
    )
    placed = standings(result.rows, "average_precision", cv=tiny["cv"])
    first = placed[0]["method"]
    words = " ".join(format_verdict(result).split())
    if first == "baseline":
        other = placed[1]
        assert (
            f"a net leads: baseline; the best other model, {other['method']}" in words
        )
    else:
        kind = {"logreg": "a linear model", "balanced-random-forest": "a tree ensemble"}
        net = next(e for e in placed if e["method"] == "baseline")
        assert (
            f"{kind[first]} leads every net: {first}; the best net, baseline" in words
        )
        assert f"has CV AP {net['cv_mean']:.3f}" in words


def test_the_leaderboards_columns_as_laid_out_by_hand_before():
    # tabulate lays them out now: the same text, text to the left, numbers
    # to the right, each column as wide as its widest cell.
    from skimb.evaluation._report import _columns

    table = pd.DataFrame(
        {
            "#": ["1", "2~"],
            "method": ["weighted-loss", "a"],
            "AP (CV)": ["0.512±0.030", "0.5±0.0"],
            "ROC-AUC": ["0.9", "0.91"],
            "AP": ["0.5", ""],
            "fit s": ["1.23", "12.00"],
        }
    )
    assert _columns(table) == (
        "#   method         AP (CV)      ROC-AUC   AP  fit s\n"
        "--  -------------  -----------  -------  ---  -----\n"
        "1   weighted-loss  0.512±0.030      0.9  0.5   1.23\n"
        "2~  a              0.5±0.0         0.91       12.00"
    )
    with_rule = table.assign(rule=["balanced", "trained"])
    assert _columns(with_rule[["#", "method", "rule", "AP (CV)", "fit s"]]) == (
        "#   method         rule          AP (CV)  fit s\n"
        "--  -------------  --------  -----------  -----\n"
        "1   weighted-loss  balanced  0.512±0.030   1.23\n"
        "2~  a              trained       0.5±0.0  12.00"
    )
