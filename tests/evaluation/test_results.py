"""A comparison's files: written after each batch (the nets, then each
other method), intact after a failed write, and read back by ``resume``
only for the same configuration."""

import errno
import json

import pytest

import skimb.evaluation._results as results
from skimb import compare


def test_full_disk_mid_run_keeps_earlier_files(split, tmp_path, monkeypatch, tiny):
    real = results.atomic_write
    calls = []

    def failing(path, *args, **kwargs):
        calls.append(path)
        if len(calls) > 4:  # the write probe, then the nets' 3 files
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(results, "atomic_write", failing)
    with pytest.raises(
        OSError,
        match="could not write results to .*No space left "
        "on device.*written before are intact",
    ):
        compare(split, methods=["baseline", "logreg-balanced"], output=tmp_path, **tiny)
    saved = json.loads((tmp_path / "results.json").read_text())
    assert {r["method"] for r in saved["rows"]} == {"baseline"}
    assert len(saved["rows"]) == 3 * 2  # 2 folds + test, two rules
    assert all(r["status"] == "ok" for r in saved["rows"])


def test_resume_refuses_other_configuration(split, tmp_path, tiny):
    compare(split, methods=["baseline"], output=tmp_path, **tiny)
    with pytest.raises(ValueError, match="another data set or configuration"):
        compare(
            split,
            methods=["baseline"],
            output=tmp_path,
            resume=True,
            **{**tiny, "max_epochs": 3},
        )


def test_resume_keys_on_the_data_set(tmp_path, tiny, churn):
    df = churn()
    compare(df, target="label", name="a", methods=["baseline"], output=tmp_path, **tiny)
    with pytest.raises(ValueError, match=r"another data set .*differs in \['dataset'"):
        compare(
            df,
            target="label",
            name="b",
            methods=["baseline"],
            output=tmp_path,
            resume=True,
            **tiny,
        )


def test_unreadable_results_are_a_clear_resume_error(tmp_path):
    (tmp_path / "results.json").write_text("{not json")
    with pytest.raises(ValueError, match="resume: cannot read .*results.json"):
        results.load_previous(tmp_path, {})
    assert results.load_previous(tmp_path / "empty", {}) == []
