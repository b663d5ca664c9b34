"""Which kind of model wins where: the default comparison on the 68 KEEL sets.

The keel-binary sets with at most 1,000 rows and at least 10 minority
samples (68 of 118), the default methods of ``skimb.compare`` (the nets,
gradient boosting, a balanced random forest and logistic regression), 5-fold
CV, one seed. Prints the benchmark's ranks and, per data set, the kind of
model (net, tree ensemble, linear model) with the best CV average precision
and the best CV balanced accuracy, counted over the sets and split by the
sets' size and imbalance. Results go to ``benchmarks/results/keel_kinds/``
(``kinds.csv`` and ``kinds.json`` beside the benchmark's files).

    .venv/bin/python benchmarks/keel_kinds.py [--limit N]
"""

import argparse
import json
import time
from pathlib import Path

import pandas as pd

import skimb
from skimb.evaluation import METHODS

HERE = Path(__file__).resolve().parent


def keel_68():
    t = skimb.datasets.list_benchmark_datasets("keel-binary")
    return t[(t.samples <= 1000) & (t.minority >= 10)].sort_values("name")


def _best(scores, metric, higher=True):
    """Per data set: the best method by ``metric``'s CV mean and its kind."""
    rows = []
    for name, group in scores.groupby("dataset"):
        group = group.dropna(subset=[f"{metric}_mean"])
        if group.empty:
            continue
        best = group.sort_values(f"{metric}_mean", ascending=not higher).iloc[0]
        nets = group[group["method"].map(lambda m: METHODS[m].family == "net")]
        others = group[group["method"].map(lambda m: METHODS[m].family != "net")]
        rows.append(
            {
                "dataset": name,
                f"best_{metric}": best["method"],
                f"kind_{metric}": METHODS[best["method"]].family,
                f"best_net_{metric}": nets[f"{metric}_mean"].max(),
                f"best_other_{metric}": others[f"{metric}_mean"].max(),
            }
        )
    return pd.DataFrame(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--output", default=str(HERE / "results" / "keel_kinds"))
    args = parser.parse_args(argv)
    sets = keel_68()
    if args.limit:
        sets = sets.head(args.limit)
    start = time.perf_counter()
    result = skimb.benchmark(
        list(sets["name"]), cv=5, output=args.output, resume=True, progress=False
    )
    seconds = time.perf_counter() - start
    print(result.format_ranks())
    kinds = _best(result.scores, "average_precision").merge(
        _best(result.scores, "balanced_accuracy"), on="dataset"
    )
    info = sets.rename(columns={"name": "dataset"})[["dataset", "samples", "minority"]]
    kinds = kinds.merge(info, on="dataset", how="left")
    kinds["imbalance_ratio"] = (kinds["samples"] - kinds["minority"]) / kinds[
        "minority"
    ]
    out = Path(args.output)
    kinds.to_csv(out / "kinds.csv", index=False)
    summary = {
        "seconds": seconds,
        "n_datasets": int(len(kinds)),
        "ap_wins_by_kind": kinds["kind_average_precision"].value_counts().to_dict(),
        "bal_acc_wins_by_kind": kinds["kind_balanced_accuracy"]
        .value_counts()
        .to_dict(),
        "ap_best_method": kinds["best_average_precision"].value_counts().to_dict(),
    }
    for label, part in (
        ("samples <= 336", kinds[kinds["samples"] <= kinds["samples"].median()]),
        ("samples > 336", kinds[kinds["samples"] > kinds["samples"].median()]),
        ("ratio <= 9", kinds[kinds["imbalance_ratio"] <= 9]),
        ("ratio > 9", kinds[kinds["imbalance_ratio"] > 9]),
    ):
        summary[f"ap_wins_by_kind ({label})"] = (
            part["kind_average_precision"].value_counts().to_dict()
        )
    summary["median_samples"] = float(kinds["samples"].median())
    (out / "kinds.json").write_text(json.dumps(summary, indent=1, default=int))
    print(json.dumps(summary, indent=1, default=int))


if __name__ == "__main__":
    main()
