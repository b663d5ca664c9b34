"""skimb benchmark: files, ranks across data sets (each method once, at the
decision rule it does better under), the printed table, resume and skipping."""

import json
import re

import numpy as np
import pandas as pd
import pytest

import skimb.evaluation._run as run_module
from skimb.evaluation import benchmark
from skimb.evaluation._benchmark import RANKED_METRICS, _summarise
from skimb.metrics import nemenyi_critical_difference

SETS = ["keel:ecoli1", "keel:glass2", "keel:nope", "keel:lymphography"]
METHODS = ["baseline", "weighted-loss", "logreg-balanced"]


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
    assert sorted(ranks["method"]) == sorted(METHODS)  # each method once
    assert set(ranks["rule"]) <= {"trained", "balanced"}
    assert {*RANKED_METRICS, "median_fit_time", "total_fit_time"} <= set(ranks)
    # Mean ranks over the data sets: each data set's ranks sum to 1 + 2 + 3.
    assert ranks["balanced_accuracy"].sum() == pytest.approx(6.0)
    saved = json.loads((out / "benchmark.json").read_text())
    stat = saved["stats"]["balanced_accuracy"]
    assert stat["n_datasets"] == 2 and stat["n_methods"] == 3
    assert 0 <= stat["friedman_p"] <= 1
    # Over the 3 methods, not the 6 (method, rule) pairs.
    assert stat["critical_difference"] == pytest.approx(
        nemenyi_critical_difference(3, 2)
    )
    assert saved["rules"] == {
        m: {k: pytest.approx(v) for k, v in e.items()} for m, e in result.rules.items()
    }
    # Both rules' scores stay in the per data set records.
    assert {(r["method"], r["rule"]) for r in saved["per_dataset"]} == {
        (m, r) for m in METHODS for r in ("trained", "balanced")
    }
    wins = saved["wins_vs_reference"]["balanced_accuracy"]
    assert {w["method"] for w in wins} == set(METHODS) - {"baseline"}
    assert all(w["wins"] + w["ties"] + w["losses"] == 2 for w in wins)
    assert (out / "critical_difference.png").stat().st_size > 1000


def test_unusable_data_sets_are_skipped_with_a_reason(run):
    _, result = run
    reasons = dict(result.skipped)
    assert set(reasons) == {"keel:nope", "keel:lymphography"}
    assert "Unknown keel data set 'nope'" in reasons["keel:nope"]
    # lymphography's minority class has 4 samples: too few for cv=5.
    assert "fewer than the cv=5 stratified folds" in reasons["keel:lymphography"]


def test_each_method_is_ranked_at_its_better_rule_over_all_data_sets(run):
    _, result = run
    means = result.scores.groupby(["method", "rule"])["balanced_accuracy_mean"].mean()
    ranked = result.ranks.set_index("method")
    for method in METHODS:
        better = (
            "balanced"
            if means.get((method, "balanced"), -np.inf) > means[method, "trained"]
            else "trained"
        )
        assert ranked.loc[method, "rule"] == better == result.rules[method]["rule"]


def test_ranks_follow_the_per_dataset_means(run):
    _, result = run
    rule = result.ranks.set_index("method")["rule"]
    at_rule = result.scores[result.scores["rule"] == result.scores["method"].map(rule)]
    for metric, higher in RANKED_METRICS.items():
        table = at_rule.pivot(
            index="dataset", columns="method", values=f"{metric}_mean"
        )
        expected = table.rank(axis=1, ascending=not higher).mean()
        got = result.ranks.set_index("method")[metric]
        pd.testing.assert_series_equal(
            got.sort_index(), expected.sort_index(), check_names=False
        )
    seconds = at_rule.groupby("method")["fit_time_mean"].median()
    pd.testing.assert_series_equal(
        result.ranks.set_index("method")["median_fit_time"].sort_index(),
        seconds.sort_index(),
        check_names=False,
    )


def _printed_table(text):
    rows = [line for line in text.splitlines() if line.startswith("|")]
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    return cells[0], cells[2:]  # the heading, the rows under the rule line


def test_printed_ranks_one_entry_per_method_with_caption_and_tests(run):
    _, result = run
    text = result.format_ranks()
    assert max(map(len, text.splitlines())) <= 100
    assert text.startswith("Mean rank over 2 data sets (1 = best of 3 methods;")
    assert "higher mean CV balanced accuracy" in text
    heading, rows = _printed_table(text)
    assert heading == [
        "method",
        "rule",
        "bal. acc",
        "G-mean",
        "AP",
        "ROC-AUC",
        "log loss",
        "fit s",
    ]
    assert sorted(row[0] for row in rows) == sorted(METHODS)
    ranked = result.ranks.set_index("method")
    for method, rule, *ranks, seconds in rows:
        assert rule == ranked.loc[method, "rule"]
        # The rank columns hold ranks, the time its own column.
        expected = ranked.loc[method, ["balanced_accuracy", "geometric_mean"]]
        assert [float(r) for r in ranks[:2]] == pytest.approx(expected, abs=0.005)
        assert all(1 <= float(r) <= 3 for r in ranks)
        # Two significant digits below a second, tenths above.
        assert float(seconds) == pytest.approx(
            ranked.loc[method, "median_fit_time"], rel=0.06, abs=0.05
        )
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Friedman test"))
    p_values = re.findall(r"([A-Za-z.\- ]+?) (\d[\d.e-]*)(?:,|$)", lines[at + 1])
    assert [name.strip() for name, _ in p_values] == heading[2:-1]
    assert all(0 <= float(p) <= 1 for _, p in p_values)
    cd = result.stats["balanced_accuracy"]["critical_difference"]
    assert f"Critical difference (Nemenyi, alpha = 0.05): {cd:.2f}" in text


def _scores(rows):
    """Per data set CV means of every ranked metric from
    ``(dataset, method, rule, balanced accuracy)`` rows; the other metrics
    follow balanced accuracy, fit_time is 1 s."""
    out = []
    for dataset, method, rule, value in rows:
        row = {"dataset": dataset, "method": method, "rule": rule}
        for metric, higher in RANKED_METRICS.items():
            row[f"{metric}_mean"] = value if higher else 1 - value
        out.append({**row, "fit_time_mean": 1.0})
    return pd.DataFrame(out)


def test_rule_choice_ties_and_missing_balanced_rule_keep_trained():
    scores = _scores(
        [
            ("d1", "a", "trained", 0.6),
            ("d1", "a", "balanced", 0.8),  # a: balanced better on the mean
            ("d2", "a", "trained", 0.7),
            ("d2", "a", "balanced", 0.6),
            ("d1", "b", "trained", 0.7),
            ("d1", "b", "balanced", 0.7),  # b: a tie
            ("d2", "b", "trained", 0.5),
            ("d2", "b", "balanced", 0.5),
            ("d1", "c", "trained", 0.9),
            ("d1", "c", "balanced", np.nan),  # c: no probabilities to move
            ("d2", "c", "trained", 0.4),
            ("d2", "c", "balanced", np.nan),
        ]
    )
    result = _summarise([scores], [], ["a", "b", "c"], "b")
    assert {m: e["rule"] for m, e in result.rules.items()} == {
        "a": "balanced",
        "b": "trained",
        "c": "trained",
    }
    assert result.rules["a"]["balanced_accuracy_balanced"] == pytest.approx(0.7)
    assert result.rules["c"]["n_datasets"] == 0
    # d1: a 0.8, c 0.9, b 0.7; d2: b 0.5, a 0.6, c 0.4 -> a 1.5, b 2.5, c 2.
    ranks = result.ranks.set_index("method")["balanced_accuracy"]
    assert ranks.to_dict() == {"a": 1.5, "c": 2.0, "b": 2.5}
    assert list(result.ranks["method"]) == ["a", "c", "b"]
    assert result.stats["log_loss"]["n_methods"] == 3
    wins = {w["method"]: w["wins"] for w in result.wins["balanced_accuracy"]}
    assert wins == {"a": 2, "c": 1}


def test_printed_table_fits_100_characters_with_the_longest_names():
    names = ["balanced-random-forest", "progressive-sampler", "baseline"]
    rng = np.random.default_rng(0)
    rows = [
        (f"d{i}", m, r, rng.uniform())
        for i in range(12)
        for m in names
        for r in ("trained", "balanced")
    ]
    text = _summarise([_scores(rows)], [], names, "baseline").format_ranks()
    assert max(map(len, text.splitlines())) <= 100
    assert len(_printed_table(text)[1]) == 3


def test_two_methods_print_no_friedman_p_value_and_say_why():
    rows = [(d, m, "trained", v) for d, m, v in [("d1", "a", 0.6), ("d1", "b", 0.7)]]
    text = _summarise([_scores(rows)], [], ["a", "b"], "a").format_ranks()
    assert "(it needs 3 methods and 2 data sets):" in text
    assert "bal. acc n/a" in text


def test_nothing_ranked_says_so():
    result = _summarise([], [("keel:nope", "unknown")], ["a"], "a")
    assert result.format_ranks() == "No data set could be ranked."


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
    assert list(result.ranks["method"]) == ["baseline"]
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


def test_the_ranks_markdown_as_written_by_hand_before():
    # tabulate writes it now: the same text, no wider than the cells (its
    # own headers would take two spaces more, past 100 characters).
    from skimb.evaluation._benchmark import _markdown, _seconds

    table = pd.DataFrame(
        {
            "method": ["balanced-random-forest", "a"],
            "rule": ["balanced", "trained"],
            "bal. acc": [1.5, np.nan],
            "AP": [2.25, 1.0],
            "fit s": [0.01234, 12.3],
        }
    )
    assert _markdown(table, {"fit s": _seconds}) == (
        "| method                 | rule     | bal. acc |   AP | fit s |\n"
        "|:-----------------------|:---------|---------:|-----:|------:|\n"
        "| balanced-random-forest | balanced |     1.50 | 2.25 | 0.012 |\n"
        "| a                      | trained  |      n/a | 1.00 |  12.3 |"
    )
