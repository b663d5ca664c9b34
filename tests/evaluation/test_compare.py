"""The comparison: its rows and files, the plan's tasks, failing methods and
folds, seeds, the user's data, and the stacked loop against one fit at a time."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import skimb
from skimb import compare
from skimb.evaluation._options import RunConfig
from skimb.evaluation._plan import plan_comparison


def test_rows_and_files(split, tmp_path, tiny):
    methods = ["baseline", "weighted-loss", "weighted-sampler", "random-over"]
    result = compare(split, methods=methods, output=tmp_path, **tiny)
    rows = result.rows
    assert len(rows) == len(methods) * 2 * (2 + 1)  # 2 rules, 2 folds + test
    assert (rows["status"] == "ok").all()
    assert rows.groupby(["method", "rule"]).size().eq(3).all()
    for metric in (
        "balanced_accuracy",
        "macro_f1",
        "geometric_mean",
        "minority_recall",
        "majority_recall",
    ):
        assert rows[metric].between(0, 1).all()
    assert (rows["fit_time"] > 0).all()
    assert {f"recall_{c}" for c in range(10)} <= set(rows.columns)
    summary = result.summary(rule="trained")
    assert list(summary["method"]) == methods
    # oversampling shows in the samples seen per epoch
    spe = summary.set_index("method")["samples_per_epoch_mean"]
    assert spe["random-over"] > 3 * spe["baseline"]
    assert spe["weighted-sampler"] == spe["baseline"]
    for name in (
        "results.csv",
        "summary.csv",
        "results.json",
        "recall_by_class.png",
        "accuracy_vs_time.png",
        "confusion_baseline_trained.png",
        "confusion_baseline_balanced.png",
    ):
        assert (tmp_path / name).stat().st_size > 0
    saved = json.loads((tmp_path / "results.json").read_text())
    assert len(saved["rows"]) == len(rows)
    assert len(pd.read_csv(tmp_path / "results.csv")) == len(rows)
    for _, test_row in rows[rows["fold"] == "test"].iterrows():
        assert np.sum(test_row["confusion"]) == len(split.y_test)


@pytest.mark.usefixtures("stop_on_any_split")
def test_the_plan_names_every_task_and_skips_the_done_ones(split):
    options_kw = dict(cv=3, seeds=[0, 1], output=None, progress=False)
    plan = plan_comparison(split, None, RunConfig(**options_kw))
    tasks = plan.tasks("smote")
    assert [t.key for t in tasks[:4]] == [
        ("smote", 0, "0"),
        ("smote", 0, "1"),
        ("smote", 0, "2"),
        ("smote", 0, "test"),
    ]
    assert len(tasks) == 2 * (3 + 1)
    n_train = len(plan.seeds[0].y)
    test = tasks[3]
    assert test.valid is None
    assert sorted([*test.train, *test.stop]) == list(range(n_train))
    folds = tasks[:3]
    assert sorted(np.concatenate([t.valid for t in folds])) == list(range(n_train))
    for t in tasks:
        # Early stopping's rows are cut from the fold's training rows: apart
        # from them and from the scored rows, stratified, every class kept.
        y = plan.seeds[t.seed].y
        assert not set(t.train) & set(t.stop)
        assert t.valid is None or not set(t.train) & set(t.valid)
        assert t.valid is None or not set(t.stop) & set(t.valid)
        assert set(y[t.stop]) == set(y[t.train]) == set(y)
        assert len(t.stop) == pytest.approx(0.1 * (len(t.train) + len(t.stop)), abs=10)
    fixed = plan_comparison(split, None, RunConfig(budget="fixed", **options_kw))
    assert all(t.stop is None for t in fixed.tasks("smote"))
    assert all(t.stop is None for t in plan.tasks("logreg-balanced"))
    assert len(plan.tasks("logreg-balanced")[3].train) == n_train
    done = [{"method": "smote", "seed": 1, "fold": "test"}]
    again = type(plan)(plan.split, plan.config, plan.seeds, done)
    assert ("smote", 1, "test") not in {t.key for t in again.tasks("smote")}
    assert len(again.tasks("smote")) == len(tasks) - 1


def test_failing_method_becomes_error_row(split, tmp_path, tiny, failing_method):
    failing_method("broken", RuntimeError("deliberate failure"))
    result = compare(split, methods=["broken", "baseline"], output=tmp_path, **tiny)
    rows = result.rows
    bad = rows[rows["method"] == "broken"]
    assert (bad["status"] == "error").all()
    assert bad["error"].str.contains("RuntimeError: deliberate failure").all()
    assert (rows[rows["method"] == "baseline"]["status"] == "ok").all()
    summary = result.summary().set_index(["method", "rule"])
    assert summary.loc[("broken", "trained"), "error"].startswith("RuntimeError")
    assert summary.loc[("broken", "balanced"), "error"].startswith("RuntimeError")


# The flaky reference may be recommended under the balanced rule, which a
# saved logistic regression cannot hold: the warning says so.
@pytest.mark.filterwarnings("ignore:the balanced rule of a Failing")
def test_partial_failures_are_marked(split, tiny, failing_method):
    from skimb.evaluation._report import format_table

    # The first fold fails, the rest work.
    failing_method("flaky", ValueError("flaky"), failures=1)
    result = compare(split, methods=["flaky"], output=None, **tiny)
    table = format_table(result)
    assert "| flaky (1/3 runs failed) | trained | 0." in table
    assert "| flaky (1/3 runs failed) | balanced | 0." in table


def test_seeds_repeat_and_reproduce(split, tiny):
    a = compare(split, methods=["weighted-sampler"], seeds=[0, 1], output=None, **tiny)
    b = compare(split, methods=["weighted-sampler"], seeds=[0, 1], output=None, **tiny)
    assert len(a.rows) == 12
    pd.testing.assert_series_equal(
        a.rows["balanced_accuracy"], b.rows["balanced_accuracy"]
    )


def test_numpy_majority_class_and_seeds(tiny):
    res = compare(
        methods=["baseline"],
        majority_class=np.int64(0),
        seeds=np.array([0]),
        output=None,
        **{**tiny, "max_epochs": 1},
    )
    assert (res.rows["status"] == "ok").all()
    assert res.config["imbalance"]["majority_class"] == 0
    assert type(res.config["seeds"][0]) is int


# ---- the user's own data ------------------------------------------------------
@pytest.mark.parametrize("route", ["frame", "arrays", "split"])
def test_python_routes(route, tiny, churn):
    df = churn()
    if route == "frame":
        result = skimb.compare(
            df, target="label", methods=["baseline"], output=None, **tiny
        )
    elif route == "arrays":
        X = df[["tenure"]].to_numpy()
        result = skimb.compare(
            X,
            df["label"].to_numpy(),
            methods=["baseline"],
            output=None,
            name="mine",
            **tiny,
        )
    else:
        from skimb.datasets._user import split_target, user_split

        split = user_split(*split_target(df, "label"), test_size=0.3, name="mine")
        result = skimb.compare(split, methods=["baseline"], output=None, **tiny)
    assert (result.rows["status"] == "ok").all(), result.rows["error"].unique()
    assert result.classes == ["churn", "stay"]
    assert result.config["dataset"] == ("data" if route == "frame" else "mine")


# The recipe leaves a class a single row in some folds: no early stopping there.
@pytest.mark.filterwarnings("ignore:seed 0. early stopping is off")
def test_seed_recipe_on_user_data_takes_the_most_frequent_class(tiny, churn):
    result = skimb.compare(
        churn(),
        target="label",
        imbalance="seed",
        methods=["baseline"],
        output=None,
        **tiny,
    )
    assert result.config["imbalance"]["majority_class"] == "stay"


def test_positive_label_options(tiny, churn):
    df = churn()
    result = skimb.compare(
        df,
        target="label",
        positive_label="stay",
        methods=["baseline"],
        output=None,
        **tiny,
    )
    assert result.config["positive"] == "stay"
    with pytest.raises(ValueError, match=r"positive_label must be one of .*'fraud'"):
        skimb.compare(df, target="label", positive_label="fraud", output=None, **tiny)
    multi = df.assign(label=np.resize(["a", "b", "c"], len(df)))
    with pytest.raises(ValueError, match="binary problem; this one has 3 classes"):
        skimb.compare(multi, target="label", positive_label="a", output=None, **tiny)


BAD = [
    (
        dict(data="digitz"),
        ValueError,
        r"'digitz', which is none .*Did you mean 'digits'",
    ),
    (dict(data="missing.csv", target="label"), FileNotFoundError, "does not exist"),
    (dict(target="lable"), ValueError, r"'lable' is not in the table; .*'label'\]"),
    (dict(frame=lambda d: d.assign(label="stay")), ValueError, "at least 2 classes"),
    (dict(cv=50), ValueError, r"class 'churn' has \d+ samples .* cv=50 .* --cv \d+"),
    (
        dict(frame=lambda d: d.assign(plan=["a", 1] * (len(d) // 2))),
        ValueError,
        "column 'plan' mixes text",
    ),
    (dict(imbalance="seed", majority_class="gone"), ValueError, "majority_class"),
]


@pytest.mark.parametrize("case, error, match", BAD)
def test_bad_input_fails_before_anything_is_written(
    tmp_path, case, error, match, tiny, churn
):
    out = tmp_path / "res"
    out.mkdir()
    (out / "results.json").write_text("earlier results")
    case = dict(case)
    df = case.pop("frame", lambda d: d)(churn())
    kwargs = {**tiny, "output": out, "target": "label", **case}
    data = kwargs.pop("data", df)
    if isinstance(data, str) and data.endswith(".csv"):
        data = str(tmp_path / data)
    with pytest.raises(error, match=match):
        skimb.compare(data, **kwargs)
    assert (out / "results.json").read_text() == "earlier results"
    assert sorted(p.name for p in out.iterdir()) == ["results.json"]


# ---- many nets in one loop ----------------------------------------------------
METHODS_MIX = [
    "baseline",
    "weighted-sampler",
    "random-over",
    "ldam-drw",
    "logreg-balanced",
]


@pytest.fixture
def loops(monkeypatch):
    """The estimators of each fit_many call of the run."""
    import skimb.evaluation._run as run_module

    calls, real = [], run_module.fit_many

    def spy(estimators, *args, **kwargs):
        calls.append(list(estimators))
        return real(estimators, *args, **kwargs)

    monkeypatch.setattr(run_module, "fit_many", spy)
    return calls


@pytest.mark.parametrize("bounded", [False, True])
def test_fit_many_compare_equals_one_fit_at_a_time(
    tiny, churn, loops, monkeypatch, bounded
):
    """All of the nets train in one loop, or, when their sets would fill a
    quarter of the memory, in several split by method and fold; the rows
    are those of one fit at a time."""
    import skimb.evaluation._plan as planning

    methods = METHODS_MIX
    kw = dict(methods=methods, output=None, seeds=[0, 1], **tiny)
    alone = skimb.compare(churn(), target="label", fit_many=False, **kw).rows
    assert loops == []
    if bounded:  # room for the sets of about three oversampled fits
        plan = plan_comparison(churn(), None, RunConfig(target="label", **kw))
        features = planning.n_features(plan.seeds[0])
        biggest = max(
            planning.task_bytes(t, plan.seeds[t.seed], features)
            for t in plan.tasks("random-over")
        )
        memory = 3 * biggest / planning.MEMORY_FRACTION
        monkeypatch.setattr(planning, "available_memory", lambda: memory)
    stacked = skimb.compare(churn(), target="label", fit_many=True, **kw).rows
    n_nets = 4 * 2 * (2 + 1)  # net methods x seeds x (folds + test)
    assert sum(map(len, loops)) == n_nets
    if bounded:
        assert 4 < len(loops) < n_nets / 2
    else:
        assert len(loops) == 1  # every net method, fold and seed at once
    assert (stacked["status"] == "ok").all() and (alone["status"] == "ok").all()
    numeric = [
        c
        for c in stacked.columns
        if c not in ("fit_time", "method", "seed", "fold", "status", "error")
        and stacked[c].dtype.kind == "f"
    ]
    assert len(numeric) > 10
    np.testing.assert_allclose(
        stacked[numeric].to_numpy(float),
        alone[numeric].to_numpy(float),
        rtol=1e-4,
        atol=1e-5,
    )
    assert (
        stacked["confusion"].dropna().tolist() == alone["confusion"].dropna().tolist()
    )


def test_a_failing_fold_does_not_fail_the_stacked_group(monkeypatch, tiny):
    """One fold's net that cannot be fitted becomes one error row, as one at a
    time; the other folds of the method are still stacked and scored."""
    from skimb.estimators import NetClassifier as Net

    real = Net._prepare_fit

    def picky(self, X, y, *args, **kwargs):
        # The held-out fit trains on all 236 rows of the training part, the
        # folds on about 157: refuse the former only, whenever it is tried.
        if len(y) > 200:
            raise ValueError("deliberate: this fold's data is refused")
        return real(self, X, y, *args, **kwargs)

    monkeypatch.setattr(Net, "_prepare_fit", picky)
    rows = skimb.compare(
        "digits", methods=["baseline"], output=None, **{**tiny, "cv": 3}
    ).rows
    assert (rows["status"] == "error").sum() == 2  # the fit's two rules
    assert rows.loc[rows["status"] == "error", "error"].str.contains("deliberate").all()
    assert rows.loc[rows["status"] == "error", "fold"].tolist() == ["test", "test"]
    assert (rows["status"] == "ok").sum() == 3 * 2


# ---- the training budget ------------------------------------------------------
# The rows of this run at commit 0b20759, before the budget option (saved by
# running the same call there; fit_time, curves and errors left out).
FIXED_ROWS = Path(__file__).parent.parent / "data" / "fixed_budget_rows_0b20759.csv"


def _budget_run(budget, **kwargs):
    from sklearn.datasets import make_classification

    X, y = make_classification(400, n_features=6, weights=[0.85], random_state=0)
    # The nets of the default comparison before the references joined it.
    nets = [
        "baseline",
        "weighted-loss",
        "weighted-sampler",
        "random-over",
        "smote",
        "random-under",
        "logit-adjusted",
    ]
    # Standard scaling, as then (no column has missing values to flag).
    kw = dict(
        cv=2,
        max_epochs=4,
        hidden_units=16,
        lr=0.01,
        device="cpu",
        methods=nets,
        scaling="standard",
    )
    kw.update(kwargs)
    return compare(X, y, budget=budget, output=None, progress=False, **kw)


@pytest.mark.parametrize("fit_many", [True, False])
def test_the_fixed_budget_gives_the_rows_of_before(fit_many):
    before = pd.read_csv(FIXED_ROWS)
    rows = _budget_run("fixed", fit_many=fit_many).rows
    keys = ["method", "rule", "seed", "fold"]
    assert rows[keys].astype(str).values.tolist() == (
        before[keys].astype(str).values.tolist()
    )
    numeric = [c for c in before.columns if before[c].dtype.kind == "f"]
    assert len(numeric) > 10
    np.testing.assert_allclose(
        rows[numeric].to_numpy(float), before[numeric].to_numpy(float), atol=1e-6
    )
    assert (rows["epochs"].dropna() == 4).all()


@pytest.mark.usefixtures("stop_on_any_split")
def test_the_data_budget_stops_each_net_early_under_the_cap():
    result = _budget_run("auto", max_epochs=60)
    rows = result.rows
    assert (rows["status"] == "ok").all()
    epochs = rows["epochs"]
    assert epochs.between(1, 60).all() and epochs.nunique() > 1
    assert (epochs < 60).mean() > 0.5  # most stop before the cap
    summary = result.summary(rule="trained").set_index("method")
    assert summary["epochs_mean"].between(1, 60).all()
    assert result.config["budget"] == "auto"
    assert result.config["net"]["batch_size"] == "auto"


@pytest.mark.usefixtures("stop_on_any_split")
def test_methods_with_an_epoch_schedule_train_the_fixed_epochs_under_the_data_budget():
    """Deferred re-weighting from 80 % of the epochs and progressive draws
    need a known length: under the data's budget they train the fixed
    budget's epochs (the cap, when lower) without early stopping, while the
    other nets stop early."""
    result = _budget_run(
        "auto",
        max_epochs=12,
        methods=["weighted-loss", "ldam-drw", "progressive-sampler"],
    )
    assert (result.rows["status"] == "ok").all()  # a fold's two row sets apart
    rows = result.rows[result.rows["rule"] == "trained"].set_index("method")
    assert (rows.loc[["ldam-drw", "progressive-sampler"], "epochs"] == 12).all()
    assert (rows.loc["weighted-loss", "epochs"] < 12).any()
