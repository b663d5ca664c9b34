"""The verdict of a comparison: the best (method, rule) per metric and its
paired test; the recommendation stored and printed, and the recommended
model saved, loaded and predicting as the one in memory."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import balanced_accuracy_score

import skimb
import skimb.evaluation._run as run_module
from skimb import compare
from skimb.estimators import NetClassifier as BaseNetClassifier
from skimb.evaluation._options import RunConfig
from skimb.evaluation._plan import plan_comparison
from skimb.evaluation._report import format_verdict
from skimb.evaluation._verdict import describe, pick_for, recommend
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


# ---- the recommended model ------------------------------------------------------
ENTRY = {"method", "rule", "cv_mean", "runner_up", "p_value", "significant"}


def test_the_recommendation_is_stored_and_described(split, tiny, tmp_path):
    methods = ["baseline", "weighted-loss"]
    result = compare(split, methods=methods, output=tmp_path, **tiny)
    verdict = result.recommendation
    assert set(verdict) == {
        "balanced_accuracy",
        "average_precision",
        "roc_auc",
        "log_loss",
    }
    for metric, entry in verdict.items():
        assert ENTRY <= set(entry)
        assert entry["method"] in methods and entry["runner_up"] in methods
        assert entry["runner_up"] != entry["method"]
        assert 0 <= entry["p_value"] <= 1
        rows = result.rows
        cv = rows[(rows["fold"] != "test") & (rows["method"] == entry["method"])]
        rule = "trained" if entry["rule"] == "any" else entry["rule"]
        assert entry["cv_mean"] == pytest.approx(cv[cv["rule"] == rule][metric].mean())
    assert verdict["average_precision"]["rule"] == "any"
    saved = json.loads((tmp_path / "results.json").read_text())
    assert (
        saved["recommendation"]["log_loss"]["method"] == verdict["log_loss"]["method"]
    )
    assert saved["model"]["path"] == str(tmp_path / "model.skimb")
    # Ranked on AP by default (the threshold does not move it); digits has ten
    # classes, so the model decides under its better rule.
    pick = verdict["average_precision"]
    assert saved["model"]["method"] == pick["method"]
    assert (
        saved["model"]["rule"] == pick_for(verdict, result.rows, "average_precision")[1]
    )
    assert saved["model"]["operating_point"] == "balanced"
    text = format_verdict(result)
    assert f"best AP: {pick['method']}, CV mean {pick['cv_mean']:.3f}" in text
    balanced = verdict["balanced_accuracy"]
    words = " ".join(text.split())  # lines wrap within 100 characters
    assert f"best balanced accuracy: {balanced['method']} ({balanced['rule']})" in words
    assert f'model = skimb.load("{tmp_path / "model.skimb"}")' in text
    assert "model.predict(X_new)" in text


@pytest.mark.parametrize("method", ["baseline", "random-over", "hgb-balanced"])
def test_the_saved_model_predicts_as_the_one_in_memory(method, tiny, churn, tmp_path):
    path = tmp_path / "churn.csv"
    churn().to_csv(path, index=False)
    out = tmp_path / "res"
    result = compare(
        str(path),
        target="label",
        methods=[method],
        output=out,
        operating_point="balanced",  # a rule decides (thresholds: below)
        **tiny,
    )
    rule = result.model_info["rule"]
    assert result.model_info["method"] == method
    assert result.model_path == out / "model.skimb"
    loaded = skimb.load(result.model_path)
    # The held-out rows, as compare split them: string labels, categories.
    options = RunConfig(target="label", output=None, **tiny)
    split = plan_comparison(str(path), None, options).split
    X_test, y_test = split.X_test, split.y_test
    assert X_test["plan"].map(type).eq(str).any()  # categories as text
    expected = result.model.predict(X_test)
    np.testing.assert_array_equal(loaded.predict(X_test), expected)
    np.testing.assert_array_equal(
        loaded.predict_proba(X_test), result.model.predict_proba(X_test)
    )
    assert set(expected) <= {"churn", "stay"}
    # It is the fit the held-out row came from, under the recommended rule.
    rows = result.rows
    test = rows[(rows["fold"] == "test") & (rows["rule"] == rule)].iloc[0]
    assert test["balanced_accuracy"] == pytest.approx(
        balanced_accuracy_score(y_test, expected)
    )
    final = loaded[-1]
    if "prior" in final.get_params():
        assert final.prior == ("balanced" if rule == "balanced" else None)
    # New rows, with a category missing and values missing.
    new = churn(n=50, seed=3).drop(columns="label")
    np.testing.assert_array_equal(loaded.predict(new), result.model.predict(new))


@pytest.mark.parametrize("metric", ["average_precision", "log_loss"])
def test_recommend_for_picks_the_saved_model(split, tiny, metric, tmp_path):
    result = compare(
        split,
        methods=["baseline", "random-under"],
        output=tmp_path,
        recommend_for=metric,
        **tiny,
    )
    entry = result.recommendation[metric]
    assert result.model_info["method"] == entry["method"]
    assert result.model_info["recommended_for"] == metric
    # The leaderboard ranks on it and the verdict leads with it.
    name = {"average_precision": "AP", "log_loss": "log loss"}[metric]
    assert format_verdict(result).splitlines()[1].startswith(f"- best {name}: ")
    assert result.table()["method"].iloc[0] == entry["method"]
    if metric == "average_precision":  # the same under both rules: the better
        rows = result.rows  # balanced accuracy's rule predicts
        cv = rows[(rows["fold"] != "test") & (rows["method"] == entry["method"])]
        means = cv.groupby("rule")["balanced_accuracy"].mean()
        assert result.model_info["rule"] == means.idxmax() or means.nunique() == 1
    else:
        assert result.model_info["rule"] == entry["rule"]


def test_a_threshold_free_pick_uses_the_better_rule():
    rows = pd.DataFrame(
        [
            {
                "method": "a",
                "rule": r,
                "fold": f,
                "status": "ok",
                "balanced_accuracy": v,
            }
            for r, v in (("trained", 0.6), ("balanced", 0.8))
            for f in (0, 1, "test")
        ]
    )
    verdict = {"average_precision": {"method": "a", "rule": "any"}}
    assert pick_for(verdict, rows, "average_precision") == ("a", "balanced")
    assert pick_for(verdict, rows, "log_loss") is None


def test_resume_refits_the_recommended_model_once(split, tiny, tmp_path, monkeypatch):
    kwargs = dict(methods=["baseline", "weighted-loss"], output=tmp_path, **tiny)
    first = compare(split, fit_many=False, **kwargs)
    before = (tmp_path / "model.skimb").stat().st_mtime_ns

    def no_task(*args, **kwargs):
        raise AssertionError("a finished fold was run again")

    monkeypatch.setattr(run_module, "_run_task", no_task)
    monkeypatch.setattr(run_module, "run_group", no_task)
    fits = []
    real = BaseNetClassifier.fit

    def counted(self, *args, **kw):
        fits.append(self)
        return real(self, *args, **kw)

    monkeypatch.setattr(BaseNetClassifier, "fit", counted)
    resumed = compare(split, resume=True, **kwargs)
    assert len(fits) == 1  # the recommended model, refitted once
    assert resumed.model_info == first.model_info
    assert (tmp_path / "model.skimb").stat().st_mtime_ns >= before
    X = split.X_test
    np.testing.assert_allclose(
        skimb.load(tmp_path / "model.skimb").predict_proba(X),
        first.model.predict_proba(X),
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "point, methods",
    [
        ("alert-rate=0.1", ["weighted-loss", "random-over"]),
        ("recall=0.8", ["baseline", "logreg"]),
        ("cost=10", ["hgb", "weighted-sampler"]),
    ],
)
def test_the_saved_model_decides_as_the_table_says(
    point, methods, tiny, churn, tmp_path
):
    """At a threshold the saved model's decisions on the held-out part are the
    table's: the same alerts, precision and recall; its probabilities answer
    at the data's own class prior."""
    from sklearn.model_selection import FixedThresholdClassifier, train_test_split

    from skimb.datasets import DataSplit

    df = churn(400, seed=1)
    X, y = df.drop(columns="label"), df["label"].to_numpy()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    data = DataSplit(X_train, y_train, X_test, y_test, "churn")
    result = compare(
        data, methods=methods, operating_point=point, output=tmp_path, **tiny
    )
    info = result.model_info
    assert info["rule"] == "threshold" and info["operating_point"] == point
    loaded = skimb.load(tmp_path / "model.skimb")
    for model in (result.model, loaded):
        assert isinstance(model, FixedThresholdClassifier)
        assert model.threshold == info["threshold"] and model.pos_label == "churn"
        flagged = model.predict(X_test) == "churn"
        row = result.rows[
            (result.rows["method"] == info["method"])
            & (result.rows["fold"] == "test")
            & (result.rows["rule"] == "trained")
        ].iloc[0]
        positive = y_test == "churn"
        assert flagged.mean() == pytest.approx(row["alert_rate_at"])
        assert (flagged & positive).sum() / positive.sum() == pytest.approx(
            row["recall_at"]
        )
        if flagged.any():
            assert (flagged & positive).sum() / flagged.sum() == pytest.approx(
                row["precision_at"]
            )
    net = model.estimator[-1]
    if isinstance(net, BaseNetClassifier):
        # At the data's own prior: the training part's class frequencies.
        prior = net.get_params()["prior"]
        assert prior == pytest.approx(
            {"churn": np.mean(y_train == "churn"), "stay": np.mean(y_train == "stay")}
        )
    text = format_verdict(result)
    assert f"model.set_params(threshold={info['threshold']:.4g})" in text
    assert f"at {point} on the held-out part: precision" in text


def test_a_threshold_point_on_a_multiclass_problem_fails_before_any_fit(
    split, tiny, tmp_path
):
    with pytest.raises(ValueError, match="has 10 classes.*'balanced' or 'cost'"):
        compare(
            split,
            methods=["baseline"],
            operating_point="f1",
            output=tmp_path / "out",
            **tiny,
        )
    assert not (tmp_path / "out" / "results.csv").exists()


def test_a_multiclass_cost_scores_the_least_expected_cost_decisions(split, tiny):
    cost = np.ones((10, 10)) - np.eye(10)
    cost[1:, 0] = 20  # calling a minority digit a 0 is expensive
    result = compare(
        split, methods=["baseline", "logreg"], operating_point=cost, output=None, **tiny
    )
    test = result.rows[result.rows["fold"] == "test"]
    assert test["cost_at"].notna().all()
    # The same decisions under both rules: the cost is on calibrated probabilities.
    by_rule = test.set_index(["method", "rule"])["cost_at"]
    assert by_rule["baseline", "trained"] == by_rule["baseline", "balanced"]
    assert result.config["operating_point"] == "cost=<10x10 matrix>"
