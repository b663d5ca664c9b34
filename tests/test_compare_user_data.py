"""compare on the user's own data: CSV, DataFrame, X/y; no leakage; bad input."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import StandardScaler

import skimb
from skimb.cli import main

TINY = dict(cv=2, max_epochs=2, hidden_units=8, progress=False, device="cpu")


def _churn(n=240, seed=0):
    """A user-style table: numeric, categorical and missing values, string labels."""
    rng = np.random.default_rng(seed)
    churn = rng.random(n) < 0.12
    df = pd.DataFrame(
        {
            "tenure": np.where(churn, rng.normal(3, 2, n), rng.normal(20, 8, n)),
            "charges": rng.normal(70, 20, n),
            "plan": rng.choice(["basic", "plus", "pro"], n),
            "label": np.where(churn, "churn", "stay"),
        }
    )
    df.loc[rng.choice(n, 15, replace=False), "charges"] = np.nan
    df.loc[rng.choice(n, 10, replace=False), "plan"] = None
    return df


def test_csv_through_the_cli(tmp_path, capsys):
    path = tmp_path / "churn.csv"
    _churn().to_csv(path, index=False)
    out = tmp_path / "res"
    rc = main(
        [
            "compare",
            "--data",
            str(path),
            "--target",
            "label",
            "--cv",
            "2",
            "--max-epochs",
            "2",
            "--hidden-units",
            "8",
            "--device",
            "cpu",
            "--methods",
            "baseline,weighted-loss,random-over,hgb-balanced",
            "--output",
            str(out),
            "--quiet",
            "--no-plots",
        ]
    )
    assert rc == 0
    printed = capsys.readouterr().out
    assert "data set: churn" in printed and "positive class: 'churn'" in printed
    saved = json.loads((out / "results.json").read_text())
    assert saved["dataset"] == "churn"
    assert saved["class_counts"] == saved["config"]["class_counts"]
    assert set(saved["class_counts"]) == {"churn", "stay"}
    assert saved["config"]["imbalance"]["recipe"] == "none"
    assert saved["config"]["positive"] == "churn"
    rows = pd.DataFrame(saved["rows"])
    assert (rows["status"] == "ok").all(), rows["error"].unique()
    for metric in ("average_precision", "roc_auc", "log_loss", "brier", "ece"):
        assert rows[metric].between(0, 10).all()
    summary = pd.read_csv(out / "summary.csv")
    assert {"test_average_precision", "test_log_loss"} <= set(summary.columns)


@pytest.mark.parametrize("route", ["frame", "arrays", "split"])
def test_python_routes(route):
    df = _churn()
    if route == "frame":
        result = skimb.compare(
            df, target="label", methods=["baseline"], output=None, **TINY
        )
    elif route == "arrays":
        X = df[["tenure"]].to_numpy()
        result = skimb.compare(
            X,
            df["label"].to_numpy(),
            methods=["baseline"],
            output=None,
            name="mine",
            **TINY,
        )
    else:
        from skimb.user_data import split_target, user_split

        split = user_split(*split_target(df, "label"), test_size=0.3, name="mine")
        result = skimb.compare(split, methods=["baseline"], output=None, **TINY)
    assert (result.rows["status"] == "ok").all(), result.rows["error"].unique()
    assert result.classes == ["churn", "stay"]
    assert result.config["dataset"] == ("data" if route == "frame" else "mine")


def test_the_scaler_sees_the_training_fold_only(monkeypatch):
    seen = []
    real_fit = StandardScaler.fit

    def spy(self, X, y=None, sample_weight=None):
        seen.append(len(X))
        return real_fit(self, X, y, sample_weight)

    monkeypatch.setattr(StandardScaler, "fit", spy)
    df = _churn(n=200)
    result = skimb.compare(
        df, target="label", methods=["baseline"], output=None, test_size=0.25, **TINY
    )
    assert (result.rows["status"] == "ok").all()
    n_train = 150
    fold_sizes = {n_train // 2, n_train - n_train // 2}
    # One trial fit on the training part (the encodability check), then one
    # fit per fold (half of it) and one on the whole training part for
    # the held-out test: never anything that includes held-out rows.
    assert seen[0] == n_train
    assert set(seen[1:-1]) <= fold_sizes and seen[-1] == n_train
    assert max(seen) == n_train < len(df)


def test_sparse_one_hot_pipelines_end_to_end():
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    df = _churn().dropna()
    pipe = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["plan"]), remainder="drop"),
        skimb.WeightedLossClassifier(
            max_epochs=1, module__hidden_units=4, device="cpu"
        ),
    )
    assert set(pipe.fit(df, df["label"]).predict(df)) <= {"churn", "stay"}


def test_seed_recipe_on_user_data_takes_the_most_frequent_class():
    result = skimb.compare(
        _churn(),
        target="label",
        imbalance="seed",
        methods=["baseline"],
        output=None,
        **TINY,
    )
    assert result.config["imbalance"]["majority_class"] == "stay"


def test_positive_label_options():
    df = _churn()
    result = skimb.compare(
        df,
        target="label",
        positive_label="stay",
        methods=["baseline"],
        output=None,
        **TINY,
    )
    assert result.config["positive"] == "stay"
    with pytest.raises(ValueError, match=r"positive_label must be one of .*'fraud'"):
        skimb.compare(df, target="label", positive_label="fraud", output=None, **TINY)
    multi = df.assign(label=np.resize(["a", "b", "c"], len(df)))
    with pytest.raises(ValueError, match="binary problem; this one has 3 classes"):
        skimb.compare(multi, target="label", positive_label="a", output=None, **TINY)


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
]


@pytest.mark.parametrize("case, error, match", BAD)
def test_bad_input_fails_before_anything_is_written(tmp_path, case, error, match):
    out = tmp_path / "res"
    out.mkdir()
    (out / "results.json").write_text("earlier results")
    case = dict(case)
    df = case.pop("frame", lambda d: d)(_churn())
    kwargs = {**TINY, "output": out, "target": "label", **case}
    data = kwargs.pop("data", df)
    if isinstance(data, str) and data.endswith(".csv"):
        data = str(tmp_path / data)
    with pytest.raises(error, match=match):
        skimb.compare(data, **kwargs)
    assert (out / "results.json").read_text() == "earlier results"
    assert sorted(p.name for p in out.iterdir()) == ["results.json"]


def test_resume_keys_on_the_data_set(tmp_path):
    df = _churn()
    skimb.compare(
        df, target="label", name="a", methods=["baseline"], output=tmp_path, **TINY
    )
    with pytest.raises(ValueError, match=r"another data set .*differs in \['dataset'"):
        skimb.compare(
            df,
            target="label",
            name="b",
            methods=["baseline"],
            output=tmp_path,
            resume=True,
            **TINY,
        )


def test_cli_data_errors_exit_cleanly(tmp_path, capsys):
    assert (
        main(
            [
                "compare",
                "--data",
                str(tmp_path / "none.csv"),
                "--target",
                "y",
                "--quiet",
                "--output",
                str(tmp_path / "o"),
            ]
        )
        == 1
    )
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["compare", "--target", "y"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["compare", "--lr", "0"])
    assert exc.value.code == 2
    assert "lr must be" in capsys.readouterr().err


def test_vectorized_compare_equals_one_fit_at_a_time():
    methods = [
        "baseline",
        "weighted-sampler",
        "random-over",
        "ldam-drw",
        "logreg-balanced",
    ]
    kw = dict(methods=methods, output=None, seeds=[0, 1], **TINY)
    stacked = skimb.compare(_churn(), target="label", vectorize=True, **kw).rows
    alone = skimb.compare(_churn(), target="label", vectorize=False, **kw).rows
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
