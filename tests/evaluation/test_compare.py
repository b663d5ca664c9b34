"""The comparison: rows, files, failures, resume, parallel and Dask runs."""

import errno
import json
import os
import signal

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

import skimb
import skimb._utils.files as files
import skimb.evaluation._results as results
from skimb import NetClassifier, compare
from skimb.cli import main
from skimb.datasets import load_dataset
from skimb.evaluation import METHODS, Method

TINY = dict(
    cv=2, max_epochs=2, hidden_units=8, batch_size=64, progress=False, device="cpu"
)


@pytest.fixture(scope="module")
def split():
    return load_dataset("digits", random_state=0)


def test_rows_and_files(split, tmp_path):
    methods = ["baseline", "weighted-loss", "weighted-sampler", "random-over"]
    result = compare(split, methods=methods, output=tmp_path, **TINY)
    rows = result.rows
    assert len(rows) == len(methods) * (2 + 1)  # 2 folds + test, one seed
    assert (rows["status"] == "ok").all()
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
    summary = result.summary()
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
        "confusion_baseline.png",
    ):
        assert (tmp_path / name).stat().st_size > 0
    saved = json.loads((tmp_path / "results.json").read_text())
    assert len(saved["rows"]) == len(rows)
    assert len(pd.read_csv(tmp_path / "results.csv")) == len(rows)
    test_row = rows[(rows["fold"] == "test") & (rows["method"] == "baseline")].iloc[0]
    assert np.sum(test_row["confusion"]) == len(split.y_test)


class _Failing(LogisticRegression):
    """A reference-like method whose fit raises what the test asks."""

    error = RuntimeError("deliberate failure")
    failures = None  # None: always; an int: the first that many fits

    def fit(self, X, y):
        cls = type(self)
        if cls.failures is None or cls.failures > 0:
            if cls.failures is not None:
                cls.failures -= 1
            raise cls.error
        return super().fit(X, y)


def _failing_method(monkeypatch, name, error, failures=None):
    cls = type("Failing", (_Failing,), {"error": error, "failures": failures})
    monkeypatch.setitem(METHODS, name, Method(cls(), net=False))


def test_failing_method_becomes_error_row(split, tmp_path, monkeypatch):
    _failing_method(monkeypatch, "broken", RuntimeError("deliberate failure"))
    result = compare(split, methods=["broken", "baseline"], output=tmp_path, **TINY)
    rows = result.rows
    bad = rows[rows["method"] == "broken"]
    assert (bad["status"] == "error").all()
    assert bad["error"].str.contains("RuntimeError: deliberate failure").all()
    assert (rows[rows["method"] == "baseline"]["status"] == "ok").all()
    assert (
        result.summary()
        .set_index("method")
        .loc["broken", "error"]
        .startswith("RuntimeError")
    )


def test_interrupt_keeps_finished_methods_and_resume_finishes(
    split, tmp_path, monkeypatch
):
    _failing_method(monkeypatch, "weighted-loss", KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        compare(split, methods=["baseline", "weighted-loss"], output=tmp_path, **TINY)
    saved = json.loads((tmp_path / "results.json").read_text())
    assert {r["method"] for r in saved["rows"]} == {"baseline"}
    assert len(saved["rows"]) == 3
    assert not list(tmp_path.glob(".*.tmp"))  # no half-written files left

    monkeypatch.undo()
    resumed = compare(
        split,
        methods=["baseline", "weighted-loss"],
        output=tmp_path,
        resume=True,
        **TINY,
    )
    rows = resumed.rows
    assert len(rows) == 6 and (rows["status"] == "ok").all()
    # the baseline rows were taken from disk, not recomputed
    before = [r["fit_time"] for r in saved["rows"]]
    after = rows[rows["method"] == "baseline"]["fit_time"].tolist()
    assert before == after


def test_resume_refuses_other_configuration(split, tmp_path):
    compare(split, methods=["baseline"], output=tmp_path, **TINY)
    with pytest.raises(ValueError, match="another data set or configuration"):
        compare(
            split,
            methods=["baseline"],
            output=tmp_path,
            resume=True,
            **{**TINY, "max_epochs": 3},
        )


def test_seeds_repeat_and_reproduce(split):
    a = compare(split, methods=["weighted-sampler"], seeds=[0, 1], output=None, **TINY)
    b = compare(split, methods=["weighted-sampler"], seeds=[0, 1], output=None, **TINY)
    assert len(a.rows) == 6
    pd.testing.assert_series_equal(
        a.rows["balanced_accuracy"], b.rows["balanced_accuracy"]
    )


def test_parallel_and_dask_match_serial(split):
    pytest.importorskip("distributed")
    kwargs = dict(data=split, methods=["baseline", "smote"], output=None, **TINY)
    serial = compare(**kwargs)
    parallel = compare(n_jobs=2, **kwargs)
    dask = compare(n_jobs=2, dask=True, **kwargs)
    cols = ["method", "seed", "fold", "balanced_accuracy", "macro_f1"]
    pd.testing.assert_frame_equal(serial.rows[cols], parallel.rows[cols])
    pd.testing.assert_frame_equal(serial.rows[cols], dask.rows[cols])


def test_external_dask_scheduler(split):
    distributed = pytest.importorskip("distributed")
    kwargs = dict(data=split, methods=["weighted-sampler"], output=None, **TINY)
    serial = compare(**kwargs)
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        remote = compare(scheduler=cluster.scheduler_address, **kwargs)
    cols = ["method", "seed", "fold", "balanced_accuracy"]
    pd.testing.assert_frame_equal(serial.rows[cols], remote.rows[cols])


@pytest.mark.parametrize(
    "options, match",
    [
        (dict(data="cifar"), "data must be a built-in data set .*got 'cifar'"),
        (dict(methods=["magic"]), r"unknown: \['magic'\]"),
        (dict(cv=1), "cv must be an integer >= 2; got 1"),
        (dict(ratio=1.0, imbalance="step"), "ratio must be"),
        (dict(minority_keep=0.0), "minority_keep must be"),
        (dict(majority_keep=1.5), "majority_keep must be"),
        (dict(seeds=[]), "seeds must be"),
    ],
)
def test_bad_options(options, match):
    with pytest.raises(ValueError, match=match):
        compare(**{"output": None, "progress": False, **options})


def test_partial_failures_are_marked(split, monkeypatch):
    from skimb.evaluation._report import format_table

    # The first fold fails, the rest work.
    _failing_method(monkeypatch, "flaky", ValueError("flaky"), failures=1)
    result = compare(split, methods=["flaky"], output=None, **TINY)
    assert "| flaky (1/3 runs failed) | 0." in format_table(result)


@pytest.mark.parametrize(
    "options, match",
    [
        (dict(data="cifar"), r"data must be a built-in data set \(digits, synthetic, "),
        (dict(methods=["magic"]), r"methods must be a non-empty subset .*magic"),
        (dict(methods=[]), r"methods must be a non-empty subset"),
        (dict(cv=1), r"cv must be an integer >= 2; got 1"),
        (dict(seeds=[-1]), r"seeds must be non-negative integers; got \[-1\]"),
        (dict(imbalance="zipf"), r"recipe must be"),
        (dict(imbalance="step", ratio=0.5), r"ratio must be"),
        (dict(majority_keep=0), r"majority_keep must be"),
        (dict(minority_keep=2), r"minority_keep must be"),
        (dict(resume=True, output=None), r"resume=True needs an output folder"),
    ],
)
def test_bad_compare_options(options, match):
    """Each is refused before any work (the CLI turns them into exit status 2)."""
    with pytest.raises(ValueError, match=match):
        compare(**{"output": None, "progress": False, **options})


def test_numpy_majority_class_in_compare():
    res = compare(
        methods=["baseline"],
        majority_class=np.int64(0),
        cv=2,
        max_epochs=1,
        output=None,
        progress=False,
        device="cpu",
    )
    assert (res.rows["status"] == "ok").all()


# ---- faults: failed writes and interrupts ------------------------------------
def test_full_disk_mid_run_keeps_earlier_files(split, tmp_path, monkeypatch):
    real = results.atomic_write
    calls = []

    def failing(path, *args, **kwargs):
        calls.append(path)
        if len(calls) > 4:  # the write probe, then the first method's 3 files
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(results, "atomic_write", failing)
    with pytest.raises(
        OSError,
        match="could not write results to .*No space left "
        "on device.*written before are intact",
    ):
        compare(split, methods=["baseline", "weighted-loss"], output=tmp_path, **TINY)
    saved = json.loads((tmp_path / "results.json").read_text())
    assert {r["method"] for r in saved["rows"]} == {"baseline"}
    assert len(saved["rows"]) == 3 and all(r["status"] == "ok" for r in saved["rows"])


def test_failed_write_leaves_target_intact(tmp_path, monkeypatch):
    target = tmp_path / "results.json"
    target.write_text("old")

    def broken_fsync(fd):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(files.os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        files.atomic_write(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["results.json"]  # no temporary left behind


def _interrupt_third_epoch(monkeypatch, signum):
    real = NetClassifier.run_single_epoch
    seen = []

    def interrupting(self, *args, **kwargs):
        seen.append(1)
        if len(seen) == 3:
            signal.raise_signal(signum)  # its Python handler runs right here
        return real(self, *args, **kwargs)

    monkeypatch.setattr(NetClassifier, "run_single_epoch", interrupting)


def test_interrupt_inside_a_fit_stops_the_run(split, tmp_path, monkeypatch):
    """skorch swallows KeyboardInterrupt in fit; the run must still stop and must
    not record the half-trained net."""
    # Whatever disposition the test runner inherited, this test needs Python's
    # default handler, as an interactive session has.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _interrupt_third_epoch(monkeypatch, signal.SIGINT)
        with pytest.raises(KeyboardInterrupt, match="signal"):
            compare(
                split, methods=["baseline"], output=tmp_path, vectorize=False, **TINY
            )
        assert not (tmp_path / "results.json").exists()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)


def test_ignored_sigint_stays_ignored_and_sigterm_still_stops(
    split, tmp_path, monkeypatch
):
    """A background job inherits SIGINT ignored: the run leaves that in place
    (a stray Ctrl-C in the terminal must not stop it) but stops on SIGTERM."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _interrupt_third_epoch(monkeypatch, signal.SIGINT)
        result = compare(
            split, methods=["baseline"], output=tmp_path, vectorize=False, **TINY
        )
        assert (result.rows["status"] == "ok").all()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN

        _interrupt_third_epoch(monkeypatch, signal.SIGTERM)
        with pytest.raises(KeyboardInterrupt, match="signal"):
            compare(split, methods=["baseline"], output=None, vectorize=False, **TINY)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


# ---- the user's own data ------------------------------------------------------
SMALL = dict(cv=2, max_epochs=2, hidden_units=8, progress=False, device="cpu")


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
            df, target="label", methods=["baseline"], output=None, **SMALL
        )
    elif route == "arrays":
        X = df[["tenure"]].to_numpy()
        result = skimb.compare(
            X,
            df["label"].to_numpy(),
            methods=["baseline"],
            output=None,
            name="mine",
            **SMALL,
        )
    else:
        from skimb.datasets._user import split_target, user_split

        split = user_split(*split_target(df, "label"), test_size=0.3, name="mine")
        result = skimb.compare(split, methods=["baseline"], output=None, **SMALL)
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
        df,
        target="label",
        methods=["baseline"],
        output=None,
        test_size=0.25,
        **SMALL,
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
        **SMALL,
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
        **SMALL,
    )
    assert result.config["positive"] == "stay"
    with pytest.raises(ValueError, match=r"positive_label must be one of .*'fraud'"):
        skimb.compare(df, target="label", positive_label="fraud", output=None, **SMALL)
    multi = df.assign(label=np.resize(["a", "b", "c"], len(df)))
    with pytest.raises(ValueError, match="binary problem; this one has 3 classes"):
        skimb.compare(multi, target="label", positive_label="a", output=None, **SMALL)


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
    kwargs = {**SMALL, "output": out, "target": "label", **case}
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
        df, target="label", name="a", methods=["baseline"], output=tmp_path, **SMALL
    )
    with pytest.raises(ValueError, match=r"another data set .*differs in \['dataset'"):
        skimb.compare(
            df,
            target="label",
            name="b",
            methods=["baseline"],
            output=tmp_path,
            resume=True,
            **SMALL,
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
    kw = dict(methods=methods, output=None, seeds=[0, 1], **SMALL)
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


def test_a_failing_fold_does_not_fail_the_stacked_group(monkeypatch):
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
        "digits", methods=["baseline"], output=None, **{**TINY, "cv": 3}
    ).rows
    assert (rows["status"] == "error").sum() == 1
    assert rows.loc[rows["status"] == "error", "error"].str.contains("deliberate").all()
    assert rows.loc[rows["status"] == "error", "fold"].tolist() == ["test"]
    assert (rows["status"] == "ok").sum() == 3
