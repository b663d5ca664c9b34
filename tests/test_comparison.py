"""The comparison: rows, files, failures, resume, parallel and Dask runs."""

import errno
import json
import os
import signal

import numpy as np
import pandas as pd
import pytest

import skimb.comparison as comparison
from skimb import NetClassifier, compare
from skimb.comparison import METHODS, run_comparison
from skimb.datasets import load_dataset

TINY = dict(
    cv=2, max_epochs=2, hidden_units=8, batch_size=64, progress=False, device="cpu"
)


@pytest.fixture(scope="module")
def split():
    return load_dataset("digits", random_state=0)


def test_rows_and_files(split, tmp_path):
    methods = ["baseline", "weighted-loss", "weighted-sampler", "random-over"]
    result = compare(data=split, methods=methods, output=tmp_path, **TINY)
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


def test_failing_method_becomes_error_row(split, tmp_path, monkeypatch):
    def broken(net, y, seed):
        raise RuntimeError("deliberate failure")

    monkeypatch.setitem(METHODS, "broken", broken)
    result = run_comparison(
        data=split, methods=["broken", "baseline"], output=tmp_path, **TINY
    )
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
    calls = []

    def interrupt(net, y, seed):
        calls.append(1)
        raise KeyboardInterrupt

    monkeypatch.setitem(METHODS, "weighted-loss", interrupt)
    with pytest.raises(KeyboardInterrupt):
        run_comparison(
            data=split, methods=["baseline", "weighted-loss"], output=tmp_path, **TINY
        )
    saved = json.loads((tmp_path / "results.json").read_text())
    assert {r["method"] for r in saved["rows"]} == {"baseline"}
    assert len(saved["rows"]) == 3
    assert not list(tmp_path.glob(".*.tmp"))  # no half-written files left

    monkeypatch.undo()
    resumed = run_comparison(
        data=split,
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
    run_comparison(data=split, methods=["baseline"], output=tmp_path, **TINY)
    with pytest.raises(ValueError, match="another configuration"):
        run_comparison(
            data=split,
            methods=["baseline"],
            output=tmp_path,
            resume=True,
            **{**TINY, "max_epochs": 3},
        )


def test_seeds_repeat_and_reproduce(split):
    a = run_comparison(
        data=split, methods=["weighted-sampler"], seeds=[0, 1], output=None, **TINY
    )
    b = run_comparison(
        data=split, methods=["weighted-sampler"], seeds=[0, 1], output=None, **TINY
    )
    assert len(a.rows) == 6
    pd.testing.assert_series_equal(
        a.rows["balanced_accuracy"], b.rows["balanced_accuracy"]
    )


def test_parallel_and_dask_match_serial(split):
    pytest.importorskip("distributed")
    kwargs = dict(data=split, methods=["baseline", "smote"], output=None, **TINY)
    serial = run_comparison(**kwargs)
    parallel = run_comparison(n_jobs=2, **kwargs)
    dask = run_comparison(n_jobs=2, dask=True, **kwargs)
    cols = ["method", "seed", "fold", "balanced_accuracy", "macro_f1"]
    pd.testing.assert_frame_equal(serial.rows[cols], parallel.rows[cols])
    pd.testing.assert_frame_equal(serial.rows[cols], dask.rows[cols])


def test_external_dask_scheduler(split):
    distributed = pytest.importorskip("distributed")
    kwargs = dict(data=split, methods=["weighted-sampler"], output=None, **TINY)
    serial = run_comparison(**kwargs)
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        remote = run_comparison(scheduler=cluster.scheduler_address, **kwargs)
    cols = ["method", "seed", "fold", "balanced_accuracy"]
    pd.testing.assert_frame_equal(serial.rows[cols], remote.rows[cols])


@pytest.mark.parametrize(
    "options, match",
    [
        (dict(dataset="cifar"), "dataset must be one of"),
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
        run_comparison(**{"output": None, "progress": False, **options})


def test_partial_failures_are_marked(split, monkeypatch):
    from skimb.comparison import NetClassifier
    from skimb.report import format_table

    calls = []

    def sometimes(net, y, seed):
        calls.append(1)
        if len(calls) == 1:  # the first fold fails, the rest work
            raise ValueError("flaky")
        return NetClassifier(**net)

    monkeypatch.setitem(METHODS, "flaky", sometimes)
    result = run_comparison(data=split, methods=["flaky"], output=None, **TINY)
    assert "| flaky (1/3 runs failed) | 0." in format_table(result)


@pytest.mark.parametrize(
    "options, match",
    [
        (dict(dataset="cifar"), r"dataset must be one of \['digits', 'synthetic', "),
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
        run_comparison(**{"output": None, "progress": False, **options})


def test_numpy_majority_class_in_compare():
    res = run_comparison(
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
    real = comparison._atomic_write
    calls = []

    def failing(path, text):
        calls.append(path)
        if len(calls) > 4:  # the write probe, then the first method's 3 files
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, text)

    monkeypatch.setattr(comparison, "_atomic_write", failing)
    with pytest.raises(
        OSError,
        match="could not write results to .*No space left "
        "on device.*written before are intact",
    ):
        run_comparison(
            data=split, methods=["baseline", "weighted-loss"], output=tmp_path, **TINY
        )
    saved = json.loads((tmp_path / "results.json").read_text())
    assert {r["method"] for r in saved["rows"]} == {"baseline"}
    assert len(saved["rows"]) == 3 and all(r["status"] == "ok" for r in saved["rows"])


def test_failed_write_leaves_target_intact(tmp_path, monkeypatch):
    target = tmp_path / "results.json"
    target.write_text("old")

    def broken_fsync(fd):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(comparison.os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        comparison._atomic_write(target, "new")
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
            run_comparison(data=split, methods=["baseline"], output=tmp_path, **TINY)
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
        result = run_comparison(
            data=split, methods=["baseline"], output=tmp_path, **TINY
        )
        assert (result.rows["status"] == "ok").all()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN

        _interrupt_third_epoch(monkeypatch, signal.SIGTERM)
        with pytest.raises(KeyboardInterrupt, match="signal"):
            run_comparison(data=split, methods=["baseline"], output=None, **TINY)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
