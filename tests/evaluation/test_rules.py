"""Two decision rules per method from the same fit: the balanced rows are the
fitted net under ``prior='balanced'``, no extra fit runs for them, a model
without probabilities gets n/a rows, and imbalanced-learn's ensembles run as
reference methods."""

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


def _take(X, index):
    return X.iloc[index] if hasattr(X, "iloc") else X[index]


def _refit(task, data):
    """The task's fit redone here, one at a time, as compare builds it."""
    y_train = data.y[task.train]
    model = build(
        task.method,
        net=data.net,
        seed=task.seed,
        y=y_train,
        preprocessor=data.preprocessor,
    )
    return model.fit(_take(data.X, task.train), y_train)


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
                X, y = _take(data.X, task.valid), data.y[task.valid]
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
    monkeypatch.setitem(METHODS, "perceptron", Method(Perceptron(), net=False))
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


def test_strong_references_are_defaults_and_posthoc_la_is_replaced():
    from skimb.evaluation import DEFAULT_METHODS

    assert "logit-adjusted" in DEFAULT_METHODS
    # A tree ensemble of each kind and a linear model: the default verdict
    # holds the models that win on tables.
    assert {"hgb", "balanced-random-forest", "logreg"} <= set(DEFAULT_METHODS)
    assert not {"easy-ensemble", "rusboost", "balanced-bagging"} & set(DEFAULT_METHODS)
    assert "posthoc-la" not in METHODS
    with pytest.raises(ValueError, match="'posthoc-la' is no longer a method"):
        compare(methods=["posthoc-la"], output=None, progress=False)
