"""Every method across many data sets, ranked as the literature ranks them.

:func:`benchmark` runs :func:`skimb.compare` on each data set (its files go to
``OUTPUT/<data set>/``), then ranks the methods per data set on their CV
means and summarises: mean ranks per metric (``ranks.csv``), the Friedman
test and the Nemenyi critical difference (Demšar, 2006), wins, ties and
losses against the plain net, and a critical-difference diagram
(``critical_difference.png``); everything in ``benchmark.json``.

Every method is scored under both decision rules from one fit, and ranked
once: at the rule with its higher mean CV balanced accuracy over the data
sets (:data:`RULE_METRIC`; the trained rule on a tie). The two rules of one
fit are not two methods: ranked as two, they would nearly double the count
of methods behind the Friedman test and the critical difference, and pit
each method against a copy of itself.
"""

import json
import re
import sys
import textwrap
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
from ..metrics._registry import METRICS, metric_words, ranked_metrics
from ._compare import compare
from ._methods import DEFAULT_METHODS
from ._options import RunConfig, net_record, options_doc, run_options
from ._report import aligned
from ._results import check_output_writable, jsonable
from ._run import parallel_backend, run_parallel, set_threads, worker_threads
from ._scoring import RULES
from ._verdict import rule_label

__all__ = ["RANKED_METRICS", "RULE_METRIC", "BenchmarkResult", "benchmark"]

#: Metric -> whether higher is better; each gets a mean rank per method: the
#: ``ranked`` metrics of :data:`skimb.metrics.METRICS`, which the benchmark
#: reads at each call.
RANKED_METRICS = {m.name: m.higher_is_better for m in ranked_metrics()}

#: The metric whose mean over the data sets picks the rule each method is
#: ranked at. Chosen once over all data sets, not per data set: per data set
#: the better of two noisy scores would be taken each time, flattering the
#: methods whose two rules differ most.
RULE_METRIC = "balanced_accuracy"

# The ranks the printed table shows, headed by the metrics' labels; ranks.csv
# holds every ranked metric's. Five ranks, the rule and the fit time keep the
# table within 100 characters for the longest method name.
_PRINTED = (
    "balanced_accuracy",
    "geometric_mean",
    "average_precision",
    "roc_auc",
    "log_loss",
)
_WIDTH = 100


@dataclass
class BenchmarkResult:
    """Per data set means, mean ranks and the tests behind them.

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per data set, method and rule (``dataset``, ``method``,
        ``rule``): the CV mean and standard deviation of every metric and of
        ``fit_time``, the seconds per fit.
    ranks : pandas.DataFrame
        One row per method, best mean balanced-accuracy rank first: the
        ``rule`` it is ranked at, its mean rank per metric of
        :data:`RANKED_METRICS` (1 = best) over the data sets where every
        method has a score, and, not ranks, ``median_fit_time`` (the median
        over the data sets of its mean seconds per fit) and
        ``total_fit_time`` (their sum).
    stats : dict
        Per metric: ``n_datasets``, ``n_methods``, ``friedman_statistic``
        and ``friedman_p`` (with at least 3 methods and 2 data sets) and
        ``critical_difference`` (Nemenyi, alpha = 0.05).
    wins : dict
        Per metric: wins, ties and losses of each method against the
        reference method, each at its ranked rule.
    skipped : list of (name, reason)
        Data sets that could not be used, and why.
    rules : dict
        Per method: the ``rule`` it is ranked at, its mean CV balanced
        accuracy under each rule (``balanced_accuracy_trained``,
        ``balanced_accuracy_balanced``) over the ``n_datasets`` data sets
        where both rules were scored.
    """

    scores: pd.DataFrame
    ranks: pd.DataFrame
    stats: dict
    wins: dict
    skipped: list = field(default_factory=list)
    rules: dict = field(default_factory=dict)

    def format_ranks(self):
        """The mean ranks as a captioned Markdown table at most 100
        characters wide, with the Friedman test's p-value per metric and the
        critical difference under it.

        The table shows the ranks of balanced accuracy, G-mean, AP, ROC-AUC
        and log loss (every metric's are in :attr:`ranks`) and, apart from
        them, ``fit s``: the median over the data sets of the mean seconds
        per fit.

        Returns
        -------
        str
        """
        ranked = [m for m in _PRINTED if m in self.ranks]
        if not ranked:
            return "No data set could be ranked."
        n = max(self.stats[m]["n_datasets"] for m in ranked)
        k = max(self.stats[m]["n_methods"] for m in ranked)
        caption = (
            f"Mean rank over {n} data set{'s' if n != 1 else ''} (1 = best of {k} "
            "methods; lower is better), each method at one decision rule: the one "
            f"with its higher mean CV {metric_words(RULE_METRIC)} over the data "
            "sets. fit s: median seconds per fit over the data sets, not a rank. "
            "Every metric's ranks in ranks.csv."
        )
        table = self.ranks[["method", "rule", *ranked]].copy()
        if "median_fit_time" in self.ranks:
            table["fit s"] = self.ranks["median_fit_time"]
        table = table.rename(columns={m: METRICS[m].label for m in ranked})
        lines = [
            textwrap.fill(caption, _WIDTH),
            "",
            _markdown(table, {"fit s": _seconds}),
            "",
        ]
        p_values = []
        for metric in ranked:
            stat = self.stats[metric]
            p = stat.get("friedman_p")
            cell = "n/a" if p is None else f"{p:.3g}"
            if stat["n_datasets"] != n:
                cell += f" ({stat['n_datasets']} data sets)"
            p_values.append(f"{METRICS[metric].label} {cell}")
        why = "" if k >= 3 and n >= 2 else " (it needs 3 methods and 2 data sets)"
        lines.append(
            "Friedman test p-value per metric (small: the methods are not all "
            f"alike){why}:"
        )
        lines += _joined(p_values, _WIDTH, indent="  ")
        stat = self.stats[ranked[0]]
        if "critical_difference" in stat:
            lines.append(
                textwrap.fill(
                    "Critical difference (Nemenyi, alpha = 0.05): "
                    f"{stat['critical_difference']:.2f}; closer mean ranks are not "
                    "told apart.",
                    _WIDTH,
                )
            )
        return "\n".join(lines)


def _joined(items, width, indent=""):
    """``items`` joined by commas into lines at most ``width`` long, never
    breaking an item."""
    lines = [indent]
    for i, item in enumerate(items):
        item += "," if i < len(items) - 1 else ""
        if lines[-1].strip() and len(lines[-1]) + 1 + len(item) > width:
            lines.append(indent)
        lines[-1] += (" " if lines[-1].strip() else "") + item
    return lines


def _seconds(value):
    """Seconds: tenths from 1 s up, two significant digits below it (a small
    fit is not 0.00 s)."""
    return f"{value:.1f}" if value >= 1 else f"{value:.2g}"


def _markdown(table, formats=None):
    """``table`` as an aligned Markdown table: text to the left, numbers to
    the right (two decimals unless ``formats`` maps the column to another
    formatting function), one space either side of a cell."""
    formats = formats or {}
    numeric = [pd.api.types.is_numeric_dtype(table[c]) for c in table.columns]
    columns = [
        [
            ("n/a" if pd.isna(v) else formats.get(c, "{:.2f}".format)(v))
            if is_number
            else str(v)
            for v in table[c]
        ]
        for c, is_number in zip(table.columns, numeric, strict=True)
    ]
    rows = [list(map(str, table.columns)), *map(list, zip(*columns, strict=True))]
    return aligned(rows, numeric, "pipe")


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
    recipes="auto",
    cv=5,
    seeds=(0,),
    budget="auto",
    max_epochs=None,
    batch_size=None,
    scaling="smooth-clip",
    encoding="target",
    lr=1e-3,
    hidden_units=256,
    net="simple",
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
        "net": net_record(options.net_settings()),
        "test_size": options.test_size,
        "reference": reference,
    }
    threads = worker_threads(options)
    summaries, skipped = [], []
    bar = tqdm(total=len(names), desc="data sets", disable=not progress)
    result = None
    with parallel_backend(options):
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
            result = _summarise(summaries, skipped, methods, reference)
            if output is not None:
                _save(result, config, output)
    bar.close()
    return result


def _choose_rules(scores, methods):
    """Per method, the rule it is ranked at: the one with the higher mean of
    :data:`RULE_METRIC` over the data sets where both rules were scored."""
    column = f"{RULE_METRIC}_mean"
    table = (
        scores.pivot_table(index="dataset", columns=["method", "rule"], values=column)
        if not scores.empty and column in scores
        else pd.DataFrame()
    )
    sign = 1 if METRICS[RULE_METRIC].higher_is_better else -1
    rules = {}
    for method in methods:
        keys = [(method, rule) for rule in RULES]
        both = table[keys].dropna() if all(k in table for k in keys) else None
        entry = {"rule": RULES[0], "n_datasets": 0}
        if both is not None and len(both):
            means = {rule: float(both[method, rule].mean()) for rule in RULES}
            # A tie keeps the model as it predicts.
            if sign * means[RULES[1]] > sign * means[RULES[0]]:
                entry["rule"] = RULES[1]
            entry.update(
                {f"{RULE_METRIC}_{rule}": mean for rule, mean in means.items()},
                n_datasets=len(both),
            )
        rules[method] = entry
    return rules


def _summarise(summaries, skipped, methods, reference):
    scores = pd.concat(summaries, ignore_index=True) if summaries else pd.DataFrame()
    rules = _choose_rules(scores, methods)
    ranks = pd.DataFrame(index=pd.Index(methods, name="method"))
    ranks["rule"] = [rules[m]["rule"] for m in methods]
    at_rule = (
        scores[scores["rule"] == scores["method"].map(ranks["rule"])]
        if not scores.empty
        else scores
    )
    stats, wins = {}, {}
    for m in ranked_metrics():
        metric, higher = m.name, m.higher_is_better
        column = f"{metric}_mean"
        if at_rule.empty or column not in at_rule:
            continue
        table = at_rule.pivot_table(
            index="dataset", columns="method", values=column, dropna=False
        ).reindex(columns=methods)
        # A method never scored (no probabilities for a probability metric)
        # is left out rather than emptying the table.
        complete = table.dropna(axis=1, how="all").dropna()
        if complete.empty:
            continue
        ranks[metric] = mean_ranks(complete, higher_is_better=higher)
        k = complete.shape[1]
        entry = {"n_datasets": int(len(complete)), "n_methods": int(k)}
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
    if not at_rule.empty and "fit_time_mean" in at_rule:
        per_fit = at_rule.groupby("method")["fit_time_mean"]
        ranks["median_fit_time"] = per_fit.median()
        ranks["total_fit_time"] = per_fit.sum()
    if RULE_METRIC in ranks:
        ranks = ranks.sort_values(RULE_METRIC, kind="stable")
    return BenchmarkResult(scores, ranks.reset_index(), stats, wins, skipped, rules)


def _save(result, config, output):
    output = Path(output)
    atomic_write(output / "ranks.csv", result.ranks.to_csv(index=False))
    keep = [c for c in result.scores.columns if c.endswith("_mean")]
    per_dataset = (
        result.scores[["dataset", "method", "rule", *keep]].to_dict(orient="records")
        if not result.scores.empty
        else []
    )
    payload = {
        "config": config,
        "rule_choice": (
            "each method is ranked at one rule: the one with its higher mean CV "
            f"{RULE_METRIC} over the data sets, the trained rule on a tie "
            "(per_dataset holds both rules)"
        ),
        "rules": result.rules,
        "ranks": result.ranks.to_dict(orient="records"),
        "stats": result.stats,
        "wins_vs_reference": result.wins,
        "skipped": [{"dataset": n, "reason": r} for n, r in result.skipped],
        "per_dataset": per_dataset,
    }
    atomic_write(output / "benchmark.json", json.dumps(jsonable(payload), indent=1))
    stat = result.stats.get("balanced_accuracy", {})
    if "critical_difference" in stat and "balanced_accuracy" in result.ranks:
        from ..plotting import plot_critical_difference  # figures sit above

        ranks = result.ranks.set_index("method")["balanced_accuracy"].dropna()
        # Each method once, named with the rule it is ranked at.
        ranks.index = [rule_label(m, result.rules[m]["rule"]) for m in ranks.index]
        plot_critical_difference(
            ranks,
            stat["critical_difference"],
            output / "critical_difference.png",
            title=f"Balanced accuracy: mean rank over {stat['n_datasets']} data sets",
        )
