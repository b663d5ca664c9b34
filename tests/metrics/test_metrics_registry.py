"""The table of metrics: one entry reaches every row, summary, table,
ranking and verdict."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import matthews_corrcoef

from skimb import compare
from skimb.cli import main
from skimb.datasets import load_dataset
from skimb.evaluation._benchmark import _summarise
from skimb.evaluation._options import RunConfig
from skimb.evaluation._report import format_leaderboard, format_table, format_verdict
from skimb.metrics import (
    DECISION_METRICS,
    METRICS,
    PROBABILITY_METRICS,
    Metric,
    decision_metrics,
    probability_metrics,
)
from skimb.metrics._registry import ranked_metrics, recommendable_metrics


def _mcc(fold):
    return matthews_corrcoef(fold.y_true, fold.y_pred)


@pytest.fixture
def mcc(monkeypatch):
    """Matthews' correlation, added to the table and nowhere else."""
    metric = Metric(
        "mcc",
        _mcc,
        True,
        "MCC",
        "decision",
        words="Matthews correlation",
        held_out=True,
        shown=("cv", "test"),
        ranked=8,
        recommended=5,
    )
    monkeypatch.setitem(METRICS, "mcc", metric)
    return metric


def test_an_added_metric_is_scored_as_its_function_scores(mcc, rng):
    classes = ["ant", "bee", "cat"]
    y = np.asarray(classes, dtype=object)[rng.choice(3, 200, p=[0.7, 0.2, 0.1])]
    pred = np.where(rng.random(200) < 0.7, y, "ant")
    row = decision_metrics(
        y, pred, classes=classes, majority="ant", minority=["bee", "cat"]
    )
    assert row["mcc"] == pytest.approx(matthews_corrcoef(y, pred), abs=1e-12)


def test_an_added_metric_is_a_choice_of_recommend_for(mcc, tmp_path, capsys):
    with pytest.raises(ValueError, match="'balanced_accuracy', 'mcc'; got 'f1'"):
        RunConfig(recommend_for="f1")
    assert RunConfig(recommend_for="mcc").recommend_for == "mcc"
    with pytest.raises(SystemExit):  # the command line checks it the same way
        main(["compare", "--output", str(tmp_path), "--recommend-for", "f1"])
    assert "'balanced_accuracy', 'mcc'; got 'f1'" in capsys.readouterr().err


def test_an_added_metric_reaches_every_report(mcc, tiny):
    split = load_dataset("digits", random_state=0)
    methods = ["baseline", "logreg"]
    result = compare(
        split, methods=methods, recommend_for="mcc", output=None, n_jobs=1, **tiny
    )
    rows = result.rows
    ok = rows[rows["status"] == "ok"]
    # Per fold and on the held-out part, both rules.
    assert ok["mcc"].between(-1, 1).all()
    assert set(ok["fold"].astype(str)) == {"0", "1", "test"}
    summary = result.summary()
    test = ok[ok["fold"] == "test"].groupby(["method", "rule"])["mcc"].mean()
    for _, rec in summary.iterrows():
        assert rec["test_mcc"] == pytest.approx(test[rec["method"], rec["rule"]])
    assert {"mcc_mean", "mcc_std"} <= set(summary)
    # The wide table: after the CV metrics and before the fit's columns, and
    # last of the held-out ones.
    head = format_table(result, heading=False).splitlines()[0]
    assert "| log loss | MCC | fit s |" in head
    assert head.endswith("| test log loss (train prior) | test MCC |")
    # Ranked on, recommended for, and named in words.
    best = result.recommendation["mcc"]
    assert result.model_info["recommended_for"] == "mcc"
    assert result.table()["method"].iloc[0] == best["method"]
    words = " ".join((format_leaderboard(result) + format_verdict(result)).split())
    assert "Ranked by CV Matthews correlation;" in words
    assert f"best Matthews correlation: {best['method']}" in words
    # The benchmark ranks it: a second data set where the order is reversed.
    first = summary.assign(dataset="a")
    second = first.assign(dataset="b", mcc_mean=-first["mcc_mean"])
    ranked = _summarise([first, second], [], methods, "baseline")
    assert list(ranked.ranks.columns[-3:]) == [
        "mcc",
        "median_fit_time",
        "total_fit_time",
    ]
    assert ranked.ranks["mcc"].tolist() == [1.5, 1.5]
    assert ranked.stats["mcc"]["n_datasets"] == 2 and "mcc" in ranked.wins


def test_the_table_as_shipped():
    assert DECISION_METRICS == (
        "balanced_accuracy",
        "macro_f1",
        "geometric_mean",
        "minority_recall",
        "majority_recall",
    )
    assert PROBABILITY_METRICS == (
        "average_precision",
        "roc_auc",
        "log_loss",
        "brier",
        "ece",
    )
    assert [(m.name, m.higher_is_better) for m in ranked_metrics()] == [
        ("balanced_accuracy", True),
        ("average_precision", True),
        ("roc_auc", True),
        ("macro_f1", True),
        ("geometric_mean", True),
        ("log_loss", False),
        ("brier", False),
    ]
    assert [m.name for m in recommendable_metrics()] == [
        "average_precision",
        "roc_auc",
        "log_loss",
        "balanced_accuracy",
    ]
    assert [n for n, m in METRICS.items() if m.at_data_prior] == [
        "log_loss_corrected",
        "brier_corrected",
        "ece_corrected",
    ]
    assert METRICS["roc_auc"].words == "ROC-AUC"  # the label, unless given


def test_the_metrics_at_the_data_prior_are_the_plain_ones_of_other_proba(rng):
    y = rng.integers(0, 2, 300)
    p = np.clip(0.3 * y + rng.random(300) * 0.7, 0, 1)
    proba = np.c_[1 - p, p]
    plain = probability_metrics(y, proba, classes=[0, 1], positive=1)
    moved = probability_metrics(
        y, proba, classes=[0, 1], positive=1, at_data_prior=True
    )
    assert moved == {f"{k}_corrected": plain[k] for k in ("log_loss", "brier", "ece")}


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"kind": "ranking"}, "kind must be one of 'decision', 'threshold-free'"),
        ({"shown": ("cv", "held-out")}, "shown holds only 'cv' and 'test'"),
    ],
)
def test_a_malformed_entry_is_refused(fields, message):
    entry = dict(name="x", score=_mcc, higher_is_better=True, label="x")
    with pytest.raises(ValueError, match=message):
        Metric(**{"kind": "decision", **entry, **fields})


def test_rows_follow_the_tables_order():
    rows = pd.DataFrame(
        [
            decision_metrics(
                [0, 1, 1], [0, 1, 0], classes=[0, 1], majority=1, minority=[0]
            )
            | probability_metrics(
                [0, 1, 1], np.eye(2)[[0, 1, 0]] * 0.8 + 0.1, classes=[0, 1], positive=0
            )
        ]
    )
    metrics = [n for n, m in METRICS.items() if not m.at_data_prior]
    assert [c for c in rows.columns if c in METRICS] == metrics
