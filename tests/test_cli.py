"""The ``skimb`` command end to end, on tiny settings."""

import json
import subprocess
import sys

import pytest

from skimb.cli import main


def test_compare_end_to_end(tmp_path, capsys):
    out = tmp_path / "res"
    rc = main(
        [
            "compare",
            "--cv",
            "2",
            "--max-epochs",
            "2",
            "--hidden-units",
            "8",
            "--methods",
            "baseline,weighted-loss,weighted-sampler,random-under",
            "--output",
            str(out),
            "--quiet",
            "--device",
            "cpu",
        ]
    )
    assert rc == 0
    table = capsys.readouterr().out
    lines = [ln for ln in table.splitlines() if ln.startswith("| ")]
    assert [ln.split(" | ")[0][2:] for ln in lines[1:]] == [
        "baseline",
        "weighted-loss",
        "weighted-sampler",
        "random-under",
    ]
    saved = json.loads((out / "results.json").read_text())
    assert len(saved["rows"]) == 4 * 3
    assert all(0 <= r["balanced_accuracy"] <= 1 for r in saved["rows"])
    assert (out / "recall_by_class.png").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--dataset", "cifar"], "dataset must be one of"),
        (["--methods", "baseline,nope"], "unknown: ['nope']"),
        (["--ratio", "1", "--imbalance", "longtail"], "ratio must be"),
        (["--cv", "1"], "cv must be an integer >= 2"),
        (["--minority-keep", "0"], "minority_keep must be"),
        (["--majority-keep", "1.2"], "majority_keep must be"),
        (["--imbalance", "zipf"], "recipe must be"),
        (["--dataset", "mnist"], "--data-dir is required"),
        (["--seeds", "a,b"], "comma-separated integers"),
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
    )
    assert "--scheduler" in proc.stdout and "--resume" in proc.stdout
