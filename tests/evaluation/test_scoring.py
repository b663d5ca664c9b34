"""A fit's rows under the two rules and the decisions at the operating point.

The balanced rows are the fitted net under ``prior='balanced'`` (a reference
model's probabilities divided by the training frequencies), no extra fit
runs for them, a model without probabilities gets n/a rows, and
imbalanced-learn's ensembles run as reference methods. Each fold's
threshold is chosen on the other folds' out-of-fold scores, never on its
own rows."""

import dataclasses

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import Perceptron
from sklearn.metrics import balanced_accuracy_score, f1_score, log_loss

import skimb.evaluation._run as run_module
from skimb import compare
from skimb.estimators import NetClassifier as BaseNetClassifier
from skimb.evaluation import METHODS, Method
from skimb.evaluation._methods import build
from skimb.evaluation._options import RunConfig
from skimb.evaluation._plan import plan_comparison
from skimb.evaluation._report import format_table
from skimb.evaluation._scoring import SCORES, STOP_SCORES, balanced_proba, decide_at
from skimb.metrics._operating_point import check_operating_point, choose_threshold


# ---- the two rules' rows --------------------------------------------------------
def _refit(task, data):
    """The task's fit redone here, one at a time, as compare builds it."""
    X_train, y_train = data.rows(task.train)
    model = build(
        task.method,
        net_settings=data.net_settings,
        seed=task.seed,
        y=y_train,
        preprocessor=data.preprocessor,
    )
    return model.fit(X_train, y_train)


def test_balanced_rows_are_the_same_net_with_a_balanced_prior(tiny, churn):
    df = churn()
    methods = ["baseline", "random-over", "weighted-loss"]
    # The fixed budget: the refit below trains on the task's rows, as
    # compare does without early stopping.
    kwargs = dict(target="label", output=None, budget="fixed", **tiny)
    result = compare(df, methods=methods, fit_many=False, **kwargs)
    rows = result.rows.set_index(["method", "rule", "seed", "fold"])
    options = RunConfig(**kwargs)
    plan = plan_comparison(df, None, options)
    for method in methods:
        for task in plan.tasks(method):
            data = plan.seeds[task.seed]
            model = _refit(task, data)
            if task.fold == "test":
                X, y = plan.split.X_test, plan.split.y_test
            else:
                X, y = data.rows(task.valid)
            trained = model.predict_proba(X)
            model[-1].set_params(prior="balanced")
            proba = model.predict_proba(X)
            y_pred = model[-1].classes_[proba.argmax(axis=1)]
            row = rows.loc[(method, "balanced", task.seed, task.fold)]
            assert row["balanced_accuracy"] == pytest.approx(
                balanced_accuracy_score(y, y_pred)
            )
            assert row["macro_f1"] == pytest.approx(
                f1_score(y, y_pred, average="macro")
            )
            assert row["log_loss"] == pytest.approx(
                log_loss(y, np.clip(proba, 1e-15, 1), labels=data.classes), rel=1e-6
            )
            # The same fit: the trained row is the net as it predicts, and
            # the threshold-free metrics are shared.
            first = rows.loc[(method, "trained", task.seed, task.fold)]
            y_trained = model[-1].classes_[trained.argmax(axis=1)]
            assert first["balanced_accuracy"] == pytest.approx(
                balanced_accuracy_score(y, y_trained)
            )
            assert row["average_precision"] == first["average_precision"]
            assert row["roc_auc"] == first["roc_auc"]
            assert row["fit_time"] == first["fit_time"]
    # The balanced rule moves the plain net: its rows differ from trained.
    base = result.rows[result.rows["method"] == "baseline"]
    by_rule = base.groupby("rule")["log_loss"].mean()
    assert by_rule["balanced"] != by_rule["trained"]
    # Only the trained rows carry the train-prior correction.
    corrected = result.rows.groupby("rule")["log_loss_corrected"].count()
    assert corrected.get("balanced", 0) == 0 and corrected["trained"] > 0


@pytest.mark.parametrize("fit_many", [True, False])
def test_no_fit_runs_for_the_balanced_rule(split, tiny, monkeypatch, fit_many):
    run_module._warm_up()  # its tiny fit is not the comparison's
    fits, in_loop = [], []
    real_fit, real_many = BaseNetClassifier.fit, run_module.fit_many

    def counted_fit(self, *args, **kwargs):
        fits.append(self)
        return real_fit(self, *args, **kwargs)

    def counted_many(estimators, *args, **kwargs):
        in_loop.extend(estimators)
        return real_many(estimators, *args, **kwargs)

    monkeypatch.setattr(BaseNetClassifier, "fit", counted_fit)
    monkeypatch.setattr(run_module, "fit_many", counted_many)
    result = compare(
        split,
        methods=["baseline", "random-over"],
        output=None,
        fit_many=fit_many,
        **tiny,
    )
    # One fit per method x fold (2 folds + the test part): no more.
    assert len(fits) + len(in_loop) == 2 * 3
    assert len(fits if not fit_many else in_loop) == 6
    assert len(result.rows) == 2 * 2 * 3
    assert result.model is not None  # the kept fit, not a new one


def test_a_model_without_probabilities_gets_n_a_rows(
    split, tiny, monkeypatch, tmp_path
):
    monkeypatch.setitem(METHODS, "perceptron", Method(Perceptron(), is_net=False))
    result = compare(split, methods=["perceptron", "baseline"], output=tmp_path, **tiny)
    rows = result.rows[result.rows["method"] == "perceptron"]
    trained, balanced = (
        rows[rows["rule"] == "trained"],
        rows[rows["rule"] == "balanced"],
    )
    assert (trained["status"] == "ok").all() and trained[
        "balanced_accuracy"
    ].notna().all()
    assert (balanced["status"] == "n/a").all() and len(balanced) == 3
    assert balanced["balanced_accuracy"].isna().all()
    assert balanced["error"].str.contains("no predict_proba").all()
    table = format_table(result)
    assert "| perceptron | balanced |" + " n/a |" * 15 in table
    # The recommendation and the plots go on without it.
    assert result.recommendation["balanced_accuracy"]["method"] in (
        "perceptron",
        "baseline",
    )
    assert (tmp_path / "confusion_perceptron_trained.png").exists()
    assert not (tmp_path / "confusion_perceptron_balanced.png").exists()


ENSEMBLES = ["balanced-random-forest", "easy-ensemble", "rusboost", "balanced-bagging"]


def test_imblearn_ensembles_run_with_both_rules(tiny, churn, monkeypatch):
    for name in ENSEMBLES:  # tiny sizes
        small = clone(METHODS[name].estimator).set_params(n_estimators=3)
        monkeypatch.setitem(
            METHODS, name, dataclasses.replace(METHODS[name], estimator=small)
        )
    result = compare(
        churn(), target="label", methods=ENSEMBLES, output=None, seeds=[0, 1], **tiny
    )
    rows = result.rows
    assert (rows["status"] == "ok").all(), rows["error"].unique()
    assert rows.groupby(["method", "rule"]).size().eq(2 * 3).all()
    assert set(rows["method"]) == set(ENSEMBLES)
    # Balanced by construction: the balanced rule keeps them as trained.
    key = ["method", "seed", "fold"]
    trained = rows[rows["rule"] == "trained"].set_index(key)
    balanced = rows[rows["rule"] == "balanced"].set_index(key)
    for metric in ("balanced_accuracy", "log_loss", "average_precision"):
        np.testing.assert_array_equal(balanced[metric], trained[metric])
    # Seeded: the same seeds give the same rows.
    again = compare(
        churn(), target="label", methods=ENSEMBLES[:1], output=None, **tiny
    ).rows
    first = rows[(rows["method"] == ENSEMBLES[0]) & (rows["seed"] == 0)]
    np.testing.assert_array_equal(
        again["balanced_accuracy"].to_numpy(), first["balanced_accuracy"].to_numpy()
    )


def test_balanced_proba_of_a_net_is_its_balanced_prior(rng):
    from skimb import NetClassifier

    X = rng.normal(size=(80, 3)).astype(np.float32)
    y = np.r_[np.zeros(70, int), np.ones(10, int)]
    net = NetClassifier(max_epochs=2, module__hidden_units=4, device="cpu").fit(X, y)
    got = balanced_proba(net, X, net.predict_proba(X), [0.875, 0.125])
    expected = net.set_params(prior="balanced").predict_proba(X)
    np.testing.assert_array_equal(got, expected)
    assert net.set_params(prior=None).prior is None  # restored by the call


def test_balanced_proba_of_reference_models():
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    X = np.zeros((10, 1))
    y = np.r_[np.zeros(8, int), np.ones(2, int)]
    prior = DummyClassifier(strategy="prior").fit(X, y)
    proba = prior.predict_proba(X)
    # Dividing the training frequencies out leaves equal posteriors.
    np.testing.assert_allclose(balanced_proba(prior, X, proba, [0.8, 0.2]), 0.5)
    weighted = LogisticRegression(class_weight="balanced").fit(X, y)
    proba = weighted.predict_proba(X)
    assert balanced_proba(weighted, X, proba, [0.8, 0.2]) is proba


# ---- the decisions at the operating point ---------------------------------------
def _rows(scores):
    """Both rules' rows of one method and seed, the trained one holding the
    fold's (is_positive, scores)."""
    rows = []
    for fold, pair in scores.items():
        rows.append(
            {
                "method": "m",
                "seed": 0,
                "fold": fold,
                "rule": "trained",
                "status": "ok",
                SCORES: pair,
            }
        )
        rows.append(
            {"method": "m", "seed": 0, "fold": fold, "rule": "balanced", "status": "ok"}
        )
    return rows


def _folds(rng, n=200):
    out = {}
    for fold in [0, 1, 2, "test"]:
        y = rng.random(n) < 0.1
        out[fold] = (y, rng.random(n) + 0.5 * y)
    return out


@pytest.mark.parametrize("text", ["alert-rate=0.05", "recall=0.8", "f1", "cost=20"])
def test_a_folds_threshold_comes_from_the_other_folds_only(text):
    point = check_operating_point(text)
    scores = _folds(np.random.default_rng(0))
    rows = _rows(scores)
    thresholds = decide_at(rows, point, n_folds=3)
    by_fold = {(r["fold"], r["rule"]): r for r in rows}
    for fold in (0, 1, 2):
        others = [scores[f] for f in (0, 1, 2) if f != fold]
        expected = choose_threshold(
            point,
            np.concatenate([o[0] for o in others]),
            np.concatenate([o[1] for o in others]),
        )
        assert by_fold[fold, "trained"]["threshold"] == expected
        # Both rules decide alike: the same threshold and decisions.
        assert (
            by_fold[fold, "balanced"]["recall_at"]
            == (by_fold[fold, "trained"]["recall_at"])
        )
    everything = [scores[f] for f in (0, 1, 2)]
    expected = choose_threshold(
        point,
        np.concatenate([o[0] for o in everything]),
        np.concatenate([o[1] for o in everything]),
    )
    assert thresholds == {("m", 0): expected}
    assert by_fold["test", "trained"]["threshold"] == expected


def test_the_scored_rows_never_move_their_own_threshold():
    point = check_operating_point("alert-rate=0.1")
    scores = _folds(np.random.default_rng(1))
    rows = _rows(scores)
    decide_at(rows, point, n_folds=3)
    before = {r["fold"]: r["threshold"] for r in rows if r["rule"] == "trained"}
    # Fold 0 and the held-out part scored very differently: their own
    # thresholds stay; the other folds' (chosen on fold 0's scores) move.
    changed = dict(scores)
    changed[0] = (scores[0][0], scores[0][1] * 100)
    changed["test"] = (scores["test"][0], scores["test"][1] * 100)
    rows = _rows(changed)
    decide_at(rows, point, n_folds=3)
    after = {r["fold"]: r["threshold"] for r in rows if r["rule"] == "trained"}
    assert after[0] == before[0] and after[1] != before[1]
    # The held-out part's threshold is chosen on the folds, not on itself.
    assert after["test"] != before["test"]
    rows = _rows({**scores, "test": changed["test"]})
    decide_at(rows, point, n_folds=3)
    again = {r["fold"]: r["threshold"] for r in rows if r["rule"] == "trained"}
    assert again["test"] == before["test"]


def test_an_unfinished_method_or_another_point_decides_nothing():
    scores = _folds(np.random.default_rng(2))
    del scores[2]  # a fold still to run
    rows = _rows(scores)
    assert decide_at(rows, check_operating_point("f1"), n_folds=3) == {}
    assert not any("threshold" in r for r in rows)
    rows = _rows(_folds(np.random.default_rng(2)))
    assert decide_at(rows, check_operating_point("balanced"), n_folds=3) == {}
    assert decide_at(rows, None, n_folds=3) == {}


def test_a_net_that_stopped_early_decides_on_its_own_stopping_rows():
    point = check_operating_point("alert-rate=0.1")
    rng = np.random.default_rng(3)
    scores = _folds(rng)
    rows = _rows(scores)
    own = {}
    for row in rows:
        if row["rule"] == "trained" and row["fold"] in (0, "test"):
            y = rng.random(300) < 0.1
            own[row["fold"]] = (y, rng.random(300) * 10)  # another scale
            row[STOP_SCORES] = own[row["fold"]]
    decide_at(rows, point, n_folds=3)
    by_fold = {(r["fold"], r["rule"]): r for r in rows}
    for fold in (0, "test"):
        assert by_fold[fold, "trained"]["threshold"] == choose_threshold(
            point, *own[fold]
        )
        assert (
            by_fold[fold, "balanced"]["threshold"]
            == (by_fold[fold, "trained"]["threshold"])
        )
    # The others still come from the out-of-fold scores.
    pooled = [scores[0], scores[2]]
    assert by_fold[1, "trained"]["threshold"] == choose_threshold(
        point,
        np.concatenate([p[0] for p in pooled]),
        np.concatenate([p[1] for p in pooled]),
    )


@pytest.mark.usefixtures("stop_on_any_split")
def test_in_a_comparison_each_stopping_net_has_its_own_threshold(monkeypatch, churn):
    import skimb.evaluation._compare as compare_module

    seen = []
    real = compare_module.decide_at

    def spy(rows, point, n_folds):
        thresholds = real(rows, point, n_folds)
        seen.extend(dict(r) for r in rows)
        return thresholds

    monkeypatch.setattr(compare_module, "decide_at", spy)
    result = compare(
        churn(400, seed=2),
        target="label",
        methods=["weighted-loss", "logreg"],
        operating_point="alert-rate=0.1",
        cv=2,
        max_epochs=3,
        hidden_units=8,
        output=None,
        progress=False,
        device="cpu",
    )
    trained = [r for r in seen if r["rule"] == "trained"]
    nets = [r for r in trained if r["method"] == "weighted-loss"]
    assert nets and all(r.get(STOP_SCORES) is not None for r in nets)
    assert not any(
        r.get(STOP_SCORES) is not None for r in trained if r["method"] == "logreg"
    )
    point = check_operating_point("alert-rate=0.1")
    for r in nets:  # chosen on its own stopping rows, not on the scored ones
        assert r["threshold"] == choose_threshold(point, *r[STOP_SCORES])
        assert len(r[STOP_SCORES][0]) != len(r[SCORES][0])
    assert "_stop_scores" not in result.rows and "_scores" not in result.rows
