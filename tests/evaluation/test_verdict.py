"""The recommendation: the best (method, rule) per metric and its paired test."""

import numpy as np
import pandas as pd
import pytest

from skimb.evaluation._verdict import describe, recommend
from skimb.metrics._paired import corrected_resampled_ttest


def _rows(scores, metric="balanced_accuracy"):
    """scores: {(method, rule): [fold scores]} over 2 seeds x folds."""
    rows = []
    for (method, rule), values in scores.items():
        for i, v in enumerate(values):
            rows.append(
                {
                    "method": method,
                    "rule": rule,
                    "seed": i // 3,
                    "fold": i % 3,
                    "status": "ok",
                    metric: v,
                }
            )
        rows.append(
            {
                "method": method,
                "rule": rule,
                "seed": 0,
                "fold": "test",
                "status": "ok",
                metric: 0.0 if metric != "log_loss" else 9.0,
            }
        )
    return pd.DataFrame(rows)


def test_best_method_and_rule_with_the_paired_test_against_the_other_method():
    scores = {
        ("baseline", "trained"): [0.70, 0.72, 0.69, 0.71, 0.70, 0.72],
        ("baseline", "balanced"): [0.90, 0.88, 0.91, 0.89, 0.90, 0.92],
        ("weighted-loss", "trained"): [0.85, 0.86, 0.84, 0.85, 0.87, 0.86],
        ("weighted-loss", "balanced"): [0.84, 0.85, 0.84, 0.86, 0.86, 0.85],
    }
    verdict = recommend(_rows(scores), cv=3, metrics={"balanced_accuracy": True})
    entry = verdict["balanced_accuracy"]
    assert (entry["method"], entry["rule"]) == ("baseline", "balanced")
    assert entry["cv_mean"] == pytest.approx(np.mean(scores["baseline", "balanced"]))
    # The runner-up is the best *other* method, under its best rule.
    assert (entry["runner_up"], entry["runner_up_rule"]) == ("weighted-loss", "trained")
    _, p = corrected_resampled_ttest(
        scores["baseline", "balanced"],
        scores["weighted-loss", "trained"],
        test_train_ratio=0.5,
    )
    assert entry["p_value"] == pytest.approx(p)
    assert entry["significant"] is bool(p < 0.05)
    assert "baseline (balanced rule)" in describe(verdict)[0]


def test_lower_is_better_and_threshold_free_metrics():
    ll = {
        ("a", "trained"): [0.3, 0.31, 0.29, 0.3, 0.3, 0.31],
        ("a", "balanced"): [0.5] * 6,
        ("b", "trained"): [0.2, 0.25, 0.35, 0.22, 0.3, 0.33],
        ("b", "balanced"): [0.6] * 6,
    }
    entry = recommend(_rows(ll, "log_loss"), cv=3, metrics={"log_loss": False})
    assert entry["log_loss"]["method"] == "b"
    assert entry["log_loss"]["significant"] is False  # within the fold noise
    assert "within the fold noise" in describe(entry)[0]
    ap = {
        ("a", "trained"): [0.6] * 6,
        ("a", "balanced"): [0.6] * 6,
        ("b", "trained"): [0.5] * 6,
        ("b", "balanced"): [0.5] * 6,
    }
    entry = recommend(
        _rows(ap, "average_precision"), cv=3, metrics={"average_precision": True}
    )["average_precision"]
    assert (entry["method"], entry["rule"]) == ("a", "any")
    assert entry["p_value"] == 0.0 and entry["significant"]


def test_error_rows_and_missing_metrics_are_left_out():
    rows = _rows({("a", "trained"): [0.5] * 6, ("b", "trained"): [0.6] * 6})
    rows.loc[rows["method"] == "b", "status"] = "error"
    verdict = recommend(
        rows, cv=3, metrics={"balanced_accuracy": True, "roc_auc": True}
    )
    assert list(verdict) == ["balanced_accuracy"]
    assert verdict["balanced_accuracy"]["method"] == "a"
    assert verdict["balanced_accuracy"]["runner_up"] is None
