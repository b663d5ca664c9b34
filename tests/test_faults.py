"""Faults: failed writes, interrupts, data too large for the device."""

import errno
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import skimb._device as _device
import skimb.comparison as comparison
from skimb import NetClassifier
from skimb.cli import main
from skimb.comparison import run_comparison
from skimb.datasets import load_dataset

TINY = dict(cv=2, max_epochs=2, hidden_units=8, progress=False, device="cpu")


@pytest.fixture(scope="module")
def split():
    return load_dataset("digits")


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


def test_unwritable_output_fails_before_work(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc = main(["compare", "--output", str(blocker / "sub"), "--quiet"])
    assert rc == 1
    assert "cannot write to the output folder" in capsys.readouterr().err


# Runs the CLI, but once the first method's results are on disk it says so
# through a marker file and waits: the SIGTERM then lands at a known point.
_PAUSE_AFTER_FIRST_METHOD = """
import pathlib, sys, time
import skimb.comparison as comparison
from skimb.cli import main

marker = pathlib.Path(sys.argv[1])
real = comparison.save_result

def save_then_wait(result, output):
    real(result, output)
    marker.write_text("saved")
    while True:
        time.sleep(0.05)

comparison.save_result = save_then_wait
sys.exit(main(sys.argv[2:]))
"""


def test_sigterm_keeps_finished_methods_and_resume_finishes(tmp_path):
    out = tmp_path / "res"
    marker = tmp_path / "first-method-saved"
    script = tmp_path / "pause.py"
    script.write_text(_PAUSE_AFTER_FIRST_METHOD)
    args = [
        "compare",
        "--quiet",
        "--no-plots",
        "--cv",
        "2",
        "--max-epochs",
        "3",
        "--device",
        "cpu",
        "--output",
        str(out),
        "--methods",
        "baseline,weighted-loss,random-over,smote,weighted-sampler",
    ]
    proc = subprocess.Popen(
        [sys.executable, str(script), str(marker), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()[1]
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 130, err
    assert "--resume" in err
    saved = json.loads((out / "results.json").read_text())
    assert {r["method"] for r in saved["rows"]} == {"baseline"}
    assert len(saved["rows"]) == 3  # complete: 2 folds + test

    done = subprocess.run(
        [sys.executable, "-m", "skimb.cli", *args, "--resume"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads((out / "results.json").read_text())["rows"]
    assert len(rows) == 5 * 3
    assert all(r["status"] == "ok" for r in rows)


def test_data_too_large_for_device_is_refused_before_training(monkeypatch):
    monkeypatch.setattr(_device, "_available_host_memory", lambda: 1024)
    clf = NetClassifier(max_epochs=1, device="cpu")
    X = np.zeros((100, 10))  # float64: needs a float32 copy of 4000 bytes
    with pytest.raises(
        ValueError, match="needs 0.00 GiB as float32 but host memory .* cannot hold it"
    ):
        clf.fit(X, np.arange(100) % 2)
    assert not hasattr(clf, "module_")


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


def _interrupt_third_epoch(monkeypatch, signum):
    real = NetClassifier.run_single_epoch
    seen = []

    def interrupting(self, *args, **kwargs):
        seen.append(1)
        if len(seen) == 3:
            signal.raise_signal(signum)  # its Python handler runs right here
        return real(self, *args, **kwargs)

    monkeypatch.setattr(NetClassifier, "run_single_epoch", interrupting)


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
