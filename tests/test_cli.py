"""The ``skimb`` command end to end, on tiny settings: compare (built-in data
and a CSV), benchmark and datasets, option errors, interrupts and resume."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import skimb
from skimb.cli import main

# Child processes import the skimb under test, not whichever one is installed.
_CHILD_ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(
        [str(Path(skimb.__file__).resolve().parent.parent)]
        + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    ),
}


@pytest.fixture(scope="session")
def tiny_flags(tiny):
    """The ``tiny`` options as the command line writes them."""
    flags = []
    for name, value in tiny.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            flags.append(flag if value else "--no-" + flag[2:])
        else:
            flags += [flag, str(value)]
    return flags


def test_compare_end_to_end(tmp_path, capsys, tiny_flags):
    out = tmp_path / "res"
    methods = "baseline,weighted-loss,weighted-sampler,random-under"
    rc = main(["compare", *tiny_flags, "--methods", methods, "--output", str(out)])
    assert rc == 0
    table = capsys.readouterr().out
    names = methods.split(",")
    saved = json.loads((out / "results.json").read_text())
    # The leaderboard: each method once, best CV AP first, within 100 columns.
    assert max(len(ln) for ln in table.splitlines()) <= 100
    board = [
        ln.split()
        for ln in table.splitlines()
        if ln[:1].isdigit() and ln.split()[1] in names
    ]
    assert sorted(row[1] for row in board) == sorted(names)
    ap = {
        m: np.mean(
            [
                r["average_precision"]
                for r in saved["rows"]
                if r["method"] == m and r["fold"] != "test" and r["rule"] == "trained"
            ]
        )
        for m in names
    }
    assert [row[1] for row in board] == sorted(names, key=lambda m: -ap[m])
    assert [row[0].rstrip("~") for row in board] == ["1", "2", "3", "4"]
    assert len(saved["rows"]) == 4 * 2 * 3  # methods x rules x (2 folds + test)
    assert all(0 <= r["balanced_accuracy"] <= 1 for r in saved["rows"])
    assert (out / "recall_by_class.png").exists()
    # The verdict, under the table and in results.json.
    best = saved["recommendation"]["average_precision"]
    assert best["method"] == board[0][1]
    assert {"cv_mean", "runner_up", "p_value"} <= set(best)
    assert f"best AP: {best['method']}, CV mean {best['cv_mean']:.3f}" in table
    words = " ".join(table.split())
    assert "best balanced accuracy: " in words and "best log loss: " in words
    # The saved model and the two lines that load and use it.
    model = out / "model.skimb"
    assert saved["model"]["path"] == str(model) and model.stat().st_size > 0
    assert f'model = skimb.load("{model}")' in table
    assert "model.predict(X_new)" in table


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dataset", "cifar"], "data must be a built-in data set"),
        (["--methods", "baseline,nope"], "unknown: ['nope']"),
        (["--ratio", "1", "--imbalance", "longtail"], "ratio must be"),
        (["--cv", "1"], "cv must be an integer >= 2"),
        (["--minority-keep", "0"], "minority_keep must be"),
        (["--majority-keep", "1.2"], "majority_keep must be"),
        (["--imbalance", "zipf"], "imbalance must be one of"),
        (["--lr", "0"], "lr must be"),
        (["--n-jobs", "0"], "n_jobs must be"),
        (["--device", "tpu"], "device must be"),
        (["--target", "y"], "--target names the label column of --data"),
        (["--dataset", "mnist"], "--data-dir is required"),
        (["--seeds", "a,b"], "comma-separated integers"),
        (["--recommend-for", "f1"], "recommend_for must be one of 'average_precision'"),
        (
            ["--operating-point", "alert-rate=2"],
            "alert-rate must be a number in (0, 1)",
        ),
        (["--operating-point", "recall=0"], "recall must be a number in (0, 1]"),
        (["--operating-point", "cost=-1"], "cost must be a number > 0"),
        (["--operating-point", "top"], "operating_point must be one of 'balanced'"),
        (["--methods", "posthoc-la"], "'posthoc-la' is no longer a method"),
    ],
)
def test_bad_options_exit_2_before_work(args, message, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["compare", "--output", str(tmp_path / "never"), *args])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "never").exists()


def test_missing_mnist_files_is_a_clear_error(tmp_path, capsys):
    rc = main(
        [
            "compare",
            "--dataset",
            "mnist",
            "--data-dir",
            str(tmp_path),
            "--output",
            str(tmp_path / "o"),
            "--quiet",
        ]
    )
    assert rc == 1
    err = capsys.readouterr().err
    assert "MNIST/raw" in err and "train-images-idx3-ubyte" in err


def test_console_script_help():
    proc = subprocess.run(
        [sys.executable, "-m", "skimb.cli", "compare", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env=_CHILD_ENV,
    )
    assert "--scheduler" in proc.stdout and "--resume" in proc.stdout
    assert "--no-fit-many" in proc.stdout and "--quiet" in proc.stdout


def test_unwritable_output_fails_before_work(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc = main(["compare", "--output", str(blocker / "sub"), "--quiet"])
    assert rc == 1
    assert "cannot write to the output folder" in capsys.readouterr().err


# Runs the CLI, but once the first method's results are on disk it says so
# through a marker file and waits for a signal: the SIGTERM then lands at a
# known point, however fast or slow the machine.
_PAUSE_AFTER_FIRST_METHOD = """
import pathlib, signal, sys
import skimb.evaluation._compare as comparison
from skimb.cli import main

marker = pathlib.Path(sys.argv[1])
real = comparison.save_result

def save_then_wait(result, output):
    real(result, output)
    marker.write_text("saved")
    while True:
        signal.pause()  # the run's SIGTERM handler raises out of here

comparison.save_result = save_then_wait
sys.exit(main(sys.argv[2:]))
"""


def test_sigterm_keeps_finished_methods_and_resume_finishes(tmp_path, tiny_flags):
    out = tmp_path / "res"
    marker = tmp_path / "first-method-saved"
    script = tmp_path / "pause.py"
    script.write_text(_PAUSE_AFTER_FIRST_METHOD)
    args = [
        "compare",
        *tiny_flags,
        "--no-plots",
        "--output",
        str(out),
        "--methods",
        "baseline,weighted-loss,random-over,smote,logreg-balanced",
    ]
    proc = subprocess.Popen(
        [sys.executable, str(script), str(marker), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_CHILD_ENV,
    )
    # Wait for the event (the marker), not for a time: the pause between
    # polls only saves CPU and bounds nothing.
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()[1]
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 130, err
    assert "--resume" in err
    # The nets train in one loop and are saved together, before the
    # reference method runs.
    saved = json.loads((out / "results.json").read_text())
    nets = {"baseline", "weighted-loss", "random-over", "smote"}
    assert {r["method"] for r in saved["rows"]} == nets
    assert len(saved["rows"]) == 4 * 3 * 2  # complete: 2 folds + test, two rules

    done = subprocess.run(
        [sys.executable, "-m", "skimb.cli", *args, "--resume"],
        capture_output=True,
        text=True,
        timeout=600,
        env=_CHILD_ENV,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads((out / "results.json").read_text())["rows"]
    assert len(rows) == 5 * 3 * 2
    assert all(r["status"] == "ok" for r in rows)
    assert "model = skimb.load(" in done.stdout


def test_no_fit_many_gives_the_same_rows(tmp_path, tiny_flags):
    common = ["compare", *tiny_flags, "--methods", "baseline,weighted-loss"]
    common.append("--no-plots")
    assert main([*common, "--output", str(tmp_path / "a")]) == 0
    assert main([*common, "--output", str(tmp_path / "b"), "--no-fit-many"]) == 0
    a, b = (
        json.loads((tmp_path / d / "results.json").read_text())["rows"] for d in "ab"
    )
    for ra, rb in zip(a, b, strict=True):
        assert ra["balanced_accuracy"] == pytest.approx(rb["balanced_accuracy"])
        assert ra["log_loss"] == pytest.approx(rb["log_loss"], rel=1e-4)


def test_csv_through_the_cli(tmp_path, capsys, tiny_flags, churn):
    path = tmp_path / "churn.csv"
    churn().to_csv(path, index=False)
    out = tmp_path / "res"
    methods = "baseline,weighted-loss,random-over,hgb-balanced"
    rc = main(
        [
            "compare",
            "--data",
            str(path),
            "--target",
            "label",
            *tiny_flags,
            "--methods",
            methods,
            "--output",
            str(out),
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


def test_a_missing_table_is_a_clear_error(tmp_path, capsys):
    missing = str(tmp_path / "none.csv")
    out = str(tmp_path / "o")
    rc = main(["compare", "--data", missing, "--target", "y", "--output", out])
    assert rc == 1
    assert "does not exist" in capsys.readouterr().err


def test_benchmark_and_datasets(tmp_path, capsys, tiny_flags):
    sets = "keel:ecoli1,keel:glass2"
    methods = "baseline,weighted-loss,random-over"
    rc = main(
        ["benchmark", "--datasets", sets, "--methods", methods, *tiny_flags]
        + ["--output", str(tmp_path)]
    )
    assert rc == 0
    printed = capsys.readouterr().out
    assert "bal. acc" in printed and "random-over" in printed
    assert (tmp_path / "ranks.csv").exists()
    assert main(["datasets", "--suite", "keel-binary"]) == 0
    listing = capsys.readouterr().out
    assert "keel:yeast4" in listing and "imbalance_ratio" in listing


@pytest.mark.parametrize(
    "args, message",
    [
        (["--suite", "nope"], "--suite must be one of"),
        (["--suite", "imblearn", "--reference", "nope"], "reference must be one of"),
        (["--datasets", "keel:ecoli1", "--cv", "1"], "cv must be an integer >= 2"),
    ],
)
def test_bad_benchmark_options_exit_2(args, message, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["benchmark", *args])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_a_closed_pipe_exits_1_without_a_traceback(monkeypatch):
    import io

    class ClosedPipe(io.StringIO):  # what `skimb datasets | head -1` leaves
        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    assert main(["datasets"]) == 1
