"""skimb benchmark: files, ranks across data sets (each method under each
decision rule), resume and skipping."""

import json

import pandas as pd
import pytest

import skimb.evaluation._run as run_module
from skimb.evaluation import benchmark

SETS = ["keel:ecoli1", "keel:glass2", "keel:nope", "keel:lymphography"]
METHODS = ["baseline", "weighted-loss", "logreg-balanced"]
ENTRIES = [f"{m} ({r})" for m in METHODS for r in ("trained", "balanced")]


@pytest.fixture(scope="module")
def run(tmp_path_factory, tiny):
    out = tmp_path_factory.mktemp("bench")
    result = benchmark(SETS, methods=METHODS, output=out, **{**tiny, "cv": 5})
    return out, result


def test_writes_per_dataset_files_and_summaries(run):
    out, result = run
    for name in ("keel_ecoli1", "keel_glass2"):
        assert {"results.csv", "summary.csv", "results.json"} <= {
            p.name for p in (out / name).iterdir()
        }
    ranks = pd.read_csv(out / "ranks.csv")
    assert list(ranks["method"]) == list(result.ranks["method"])
    assert set(ranks["method"]) == set(ENTRIES)
    # Mean ranks over the data sets: each data set's ranks sum to 1 + ... + 6.
    assert ranks["balanced_accuracy"].sum() == pytest.approx(21.0)
    saved = json.loads((out / "benchmark.json").read_text())
    assert saved["stats"]["balanced_accuracy"]["n_datasets"] == 2
    assert 0 <= saved["stats"]["balanced_accuracy"]["friedman_p"] <= 1
    assert saved["stats"]["balanced_accuracy"]["critical_difference"] > 0
    wins = saved["wins_vs_reference"]["balanced_accuracy"]
    assert {w["method"] for w in wins} == set(ENTRIES) - {"baseline (trained)"}
    assert all(w["wins"] + w["ties"] + w["losses"] == 2 for w in wins)
    assert (out / "critical_difference.png").stat().st_size > 1000


def test_unusable_data_sets_are_skipped_with_a_reason(run):
    _, result = run
    reasons = dict(result.skipped)
    assert set(reasons) == {"keel:nope", "keel:lymphography"}
    assert "Unknown keel data set 'nope'" in reasons["keel:nope"]
    # lymphography's minority class has 4 samples: too few for cv=5.
    assert "fewer than the cv=5 stratified folds" in reasons["keel:lymphography"]


def test_ranks_follow_the_per_dataset_means(run):
    _, result = run
    table = result.scores.pivot(
        index="dataset", columns="method", values="balanced_accuracy_mean"
    )
    expected = table.rank(axis=1, ascending=False).mean()
    got = result.ranks.set_index("method")["balanced_accuracy"]
    pd.testing.assert_series_equal(
        got.sort_index(), expected.sort_index(), check_names=False
    )


def test_resume_keeps_finished_data_sets(tmp_path, monkeypatch, tiny):
    benchmark(["keel:ecoli1"], methods=["baseline"], output=tmp_path, **tiny)
    first = (tmp_path / "keel_ecoli1" / "results.json").read_text()

    def no_fit(*args, **kwargs):
        raise AssertionError("a finished fold was run again")

    monkeypatch.setattr(run_module, "_run_task", no_fit)
    monkeypatch.setattr(run_module, "run_group", no_fit)
    result = benchmark(
        ["keel:ecoli1"], methods=["baseline"], output=tmp_path, resume=True, **tiny
    )
    assert len(result.scores) == 2  # the method under its two rules
    assert (
        json.loads(first)["rows"]
        == json.loads((tmp_path / "keel_ecoli1" / "results.json").read_text())["rows"]
    )


def test_bad_options():
    with pytest.raises(ValueError, match="exactly one of datasets .* and suite"):
        benchmark(None)
    with pytest.raises(ValueError, match="suite must be one of"):
        benchmark(suite="kaggle")
    with pytest.raises(ValueError, match="methods must be a non-empty subset"):
        benchmark(["keel:ecoli1"], methods=["magic"])


def test_parallel_and_dask_benchmarks_match_serial(tiny):
    """Whole data sets per worker, each comparison's nets in one loop there."""
    pytest.importorskip("distributed")
    kwargs = dict(methods=["baseline", "random-over"], output=None, **tiny)
    sets = ["keel:ecoli1", "keel:glass2"]
    serial = benchmark(sets, **kwargs).scores
    cols = ["dataset", "method", "balanced_accuracy_mean", "log_loss_mean"]
    expected = serial[cols].sort_values(["dataset", "method"], ignore_index=True)
    for extra in (dict(n_jobs=2), dict(n_jobs=2, dask=True)):
        scores = benchmark(sets, **kwargs, **extra).scores
        got = scores[cols].sort_values(["dataset", "method"], ignore_index=True)
        pd.testing.assert_frame_equal(got, expected)
