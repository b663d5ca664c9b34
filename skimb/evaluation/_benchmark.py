"""Every method across many data sets, ranked as the literature ranks them.

:func:`benchmark` runs :func:`skimb.compare` on each data set (its files go to
``OUTPUT/<data set>/``), then ranks the methods per data set on their CV
means and summarises: mean ranks per metric (``ranks.csv``), the Friedman
test and the Nemenyi critical difference (Demšar, 2006), wins, ties and
losses against the plain net, and a critical-difference diagram
(``critical_difference.png``); everything in ``benchmark.json``. Each method
is ranked under both decision rules, as ``'baseline (trained)'`` and
``'baseline (balanced)'``.
"""

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import pandas as pd
from tqdm.auto import tqdm

from .._utils.docstring import Substitution
from .._utils.files import atomic_write
from ..datasets._benchmark_sets import SUITES
from ..metrics._ranking import (
    friedman_test,
    mean_ranks,
    nemenyi_critical_difference,
    win_tie_loss,
)
from ._compare import compare
from ._execution import parallel_backend, run_parallel, set_threads, worker_threads
from ._methods import DEFAULT_METHODS
from ._options import RunConfig, options_doc, run_options
from ._results import _jsonable, check_output_writable
from ._verdict import RULES, rule_label

__all__ = ["RANKED_METRICS", "BenchmarkResult", "benchmark"]

#: Metric -> whether higher is better; each gets a mean rank per method.
RANKED_METRICS = {
    "balanced_accuracy": True,
    "average_precision": True,
    "roc_auc": True,
    "macro_f1": True,
    "geometric_mean": True,
    "log_loss": False,
    "brier": False,
}


@dataclass
class BenchmarkResult:
    """Per data set means, mean ranks and the tests behind them.

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per data set, method and rule (``method`` names both:
        ``'baseline (balanced)'``): the CV mean of every metric, and the
        summed ``fit_time``.
    ranks : pandas.DataFrame
        One row per method and rule: its mean rank per metric (1 = best),
        over the data sets where every entry has a score.
    stats : dict
        Per metric: ``friedman_p``, ``critical_difference`` and
        ``n_datasets``.
    wins : dict
        Per metric: wins, ties and losses of each method against the
        reference as trained (``'baseline (trained)'`` when it ran).
    skipped : list of (name, reason)
        Data sets that could not be used, and why.
    """

    scores: pd.DataFrame
    ranks: pd.DataFrame
    stats: dict
    wins: dict
    skipped: list = field(default_factory=list)


def _folder(name):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _resolve_datasets(datasets, suite):
    if (datasets is None) == (suite is None):
        raise ValueError(
            "give exactly one of datasets (a list of names such as 'keel:yeast4') "
            f"and suite ({', '.join(SUITES)}); got datasets={datasets!r}, "
            f"suite={suite!r}."
        )
    if suite is not None:
        if suite not in SUITES:
            raise ValueError(f"suite must be one of {list(SUITES)}; got {suite!r}.")
        return list(SUITES[suite])
    if isinstance(datasets, str):
        datasets = [d.strip() for d in datasets.split(",") if d.strip()]
    if not datasets:
        raise ValueError("datasets must name at least one data set; got none.")
    return list(datasets)


def _run_one(name, options, output, resume, threads):
    """compare() on one data set; a data set that cannot be used is skipped."""
    set_threads(threads)
    folder = None if output is None else Path(output) / _folder(name)
    again = resume and folder is not None and (folder / "results.json").exists()
    try:
        result = compare(name, output=folder, resume=again, **options)
    except (ValueError, FileNotFoundError, ImportError) as exc:
        return name, None, f"{type(exc).__name__}: {exc}"
    summary = result.summary()
    # Each method under each rule is ranked as an entry of its own.
    summary["method"] = [
        rule_label(m, r)
        for m, r in zip(summary["method"], summary["rule"], strict=True)
    ]
    summary.insert(0, "dataset", name)
    return name, summary, None


# The options the benchmark keeps for itself; each comparison gets the rest.
_BENCHMARK_LEVEL = ("reference", "n_jobs", "scheduler", "dask", "output", "resume")


@Substitution(options=options_doc("benchmark"))
def benchmark(
    datasets=None,
    *,
    suite=None,
    methods=DEFAULT_METHODS,
    cv=5,
    seeds=(0,),
    budget="auto",
    max_epochs=None,
    batch_size=None,
    lr=1e-3,
    hidden_units=256,
    device="auto",
    test_size=0.25,
    reference="baseline",
    n_jobs=1,
    scheduler=None,
    dask=False,
    output="skimb-benchmark",
    resume=False,
    progress=True,
    plots=False,
    fit_many=True,
):
    """Compare the methods on many data sets and rank them.

    Every comparison runs as :func:`skimb.compare` does, with the same
    options for every data set; ``n_jobs``, ``scheduler`` and ``dask``
    spread the data sets (each runs serially, its nets in one loop).

    Parameters
    ----------
    datasets : list of str or str, default=None
        Names such as ``'keel:yeast4'``, ``'imblearn:ecoli'`` or
        ``'openml:31'`` (a comma-separated string works too).
    suite : {'keel-binary', 'keel-multiclass', 'imblearn'} or None
        A whole suite of :data:`skimb.datasets.SUITES` instead.
    {options}

    Returns
    -------
    BenchmarkResult
    """
    # The keyword arguments are the options of the table: check them at once.
    options = RunConfig.from_call("benchmark", locals())
    names = _resolve_datasets(datasets, suite)
    if output is not None:
        check_output_writable(output)
    per_dataset = {
        f.name: getattr(options, f.name)
        for f in run_options("benchmark")
        if f.name not in _BENCHMARK_LEVEL
    }
    # Data sets in parallel run serially each; a serial benchmark lets each
    # data set's comparison choose its workers.
    per_dataset.update(
        download=False, progress=False, n_jobs=1 if options.parallel else "auto"
    )
    methods = list(options.methods)
    config = {
        "datasets": names,
        "methods": methods,
        "cv": options.cv,
        "seeds": list(options.seeds),
        "budget": options.budget,
        "net": options.net_settings(),
        "test_size": options.test_size,
        "reference": reference,
    }
    threads = worker_threads(options)
    summaries, skipped = [], []
    bar = tqdm(total=len(names), desc="data sets", disable=not progress)
    result = None
    with parallel_backend(n_jobs, scheduler, dask):
        for name, summary, reason in run_parallel(
            options, return_as="generator_unordered"
        )(
            joblib.delayed(_run_one)(n, per_dataset, output, resume, threads)
            for n in names
        ):
            bar.update(1)
            if reason is not None:
                skipped.append((name, reason))
                if progress:
                    print(f"skipped {name}: {reason}", file=sys.stderr)
            else:
                summaries.append(summary)
            entries = [rule_label(m, r) for m in methods for r in RULES]
            result = _summarise(
                summaries, skipped, entries, rule_label(reference, RULES[0])
            )
            if output is not None:
                _save(result, config, output)
    bar.close()
    return result


def _summarise(summaries, skipped, methods, reference):
    scores = pd.concat(summaries, ignore_index=True) if summaries else pd.DataFrame()
    ranks = pd.DataFrame(index=pd.Index(methods, name="method"))
    stats, wins = {}, {}
    for metric, higher in RANKED_METRICS.items():
        column = f"{metric}_mean"
        if scores.empty or column not in scores:
            continue
        table = scores.pivot_table(
            index="dataset", columns="method", values=column, dropna=False
        ).reindex(columns=methods)
        # An entry never scored (the balanced rule of a model without
        # probabilities) is left out rather than emptying the table.
        complete = table.dropna(axis=1, how="all").dropna()
        if complete.empty:
            continue
        ranks[metric] = mean_ranks(complete, higher_is_better=higher)
        k = complete.shape[1]
        entry = {"n_datasets": int(len(complete))}
        if k >= 3 and len(complete) >= 2:
            entry["friedman_statistic"], entry["friedman_p"] = friedman_test(complete)
        if k >= 2:
            entry["critical_difference"] = nemenyi_critical_difference(k, len(complete))
        stats[metric] = entry
        if reference in complete and k >= 2:
            wins[metric] = (
                win_tie_loss(complete, reference, higher_is_better=higher)
                .reset_index(names="method")
                .to_dict(orient="records")
            )
    if not scores.empty and "fit_time_mean" in scores:
        ranks["total_fit_time"] = scores.groupby("method")["fit_time_mean"].sum()
    sort = "balanced_accuracy" if "balanced_accuracy" in ranks else None
    if sort:
        ranks = ranks.sort_values(sort)
    return BenchmarkResult(scores, ranks.reset_index(), stats, wins, skipped)


def _save(result, config, output):
    output = Path(output)
    atomic_write(output / "ranks.csv", result.ranks.to_csv(index=False))
    keep = [c for c in result.scores.columns if c.endswith("_mean")]
    per_dataset = (
        result.scores[["dataset", "method", *keep]].to_dict(orient="records")
        if not result.scores.empty
        else []
    )
    payload = {
        "config": config,
        "ranks": result.ranks.to_dict(orient="records"),
        "stats": result.stats,
        "wins_vs_reference": result.wins,
        "skipped": [{"dataset": n, "reason": r} for n, r in result.skipped],
        "per_dataset": per_dataset,
    }
    atomic_write(output / "benchmark.json", json.dumps(_jsonable(payload), indent=1))
    stat = result.stats.get("balanced_accuracy", {})
    if "critical_difference" in stat and "balanced_accuracy" in result.ranks:
        from ..plotting import plot_critical_difference  # figures sit above

        ranks = result.ranks.set_index("method")["balanced_accuracy"]
        plot_critical_difference(
            ranks,
            stat["critical_difference"],
            output / "critical_difference.png",
            title=f"Balanced accuracy: mean rank over {stat['n_datasets']} data sets",
        )
