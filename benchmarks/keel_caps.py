"""Does the KEEL verdict move with ``--max-epochs``? The data's budget, checked.

Under ``budget='auto'`` the cap bounds the nets that stop early; a net whose
fold has too few rows of a class to stop on (fewer than
``MIN_STOPPING_ROWS`` in its validation part) trains the fixed budget's 30
epochs, or the cap when lower. So on a table where no fold stops early the
rows are the same at every cap from 30 up.

1. For each of the 68 KEEL binary sets of the README's benchmark (at most
   1,000 rows, at least 10 minority samples) the comparison is planned, with
   no fit, and the folds whose nets would stop early are counted.
2. ``skimb.benchmark`` runs on the first ``--sets`` of them at each cap of
   ``--caps`` (default methods, 5 folds), and the mean balanced-accuracy
   ranks, their top three and whether the scores are identical are printed.
3. With ``--fixed``, the same sets under ``budget='fixed'`` (batch 64, 30
   epochs, no early stopping): per method and rule, the mean over the sets
   of the cross-validated balanced accuracy and average precision, the
   data's budget (first cap) minus the fixed one ("small tables lose
   nothing": at least -0.005).

    .venv/bin/python benchmarks/keel_caps.py               # 8 sets, caps 30,60,100
    .venv/bin/python benchmarks/keel_caps.py --sets 68 --fixed --n-jobs 2
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from skimb.datasets import list_benchmark_datasets
from skimb.evaluation import benchmark
from skimb.evaluation._options import RunConfig
from skimb.evaluation._plan import plan_comparison

HERE = Path(__file__).resolve().parent


def readme_sets():
    table = list_benchmark_datasets("keel-binary")
    return sorted(table[(table["samples"] <= 1000) & (table["minority"] >= 10)].name)


def stopping_folds(names):
    """Data set -> the number of its folds (of cv + the held-out fit) whose
    nets stop early under the default options."""
    out = {}
    for name in names:
        plan = plan_comparison(name, None, RunConfig(output=None))
        out[name] = sum(
            stop is not None
            for data in plan.seeds.values()
            for _, stop in data.stopping.values()
        )
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", type=int, default=8)
    parser.add_argument("--caps", default="30,60,100")
    parser.add_argument("--fixed", action="store_true")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--out", default=str(HERE / "results" / "keel_caps.json"))
    args = parser.parse_args(argv)
    names = readme_sets()
    stops = stopping_folds(names)
    stopping = {n: k for n, k in stops.items() if k}
    print(
        f"{len(names)} sets planned: {len(stopping)} have folds that stop early"
        + (f" ({stopping})" if stopping else ""),
        flush=True,
    )
    chosen = names[: args.sets]
    runs = {}
    for cap in (int(c) for c in args.caps.split(",")):
        start = time.perf_counter()
        result = benchmark(
            chosen, max_epochs=cap, output=None, progress=False, n_jobs=args.n_jobs
        )
        seconds = time.perf_counter() - start
        ranks = result.ranks.set_index("method")["balanced_accuracy"].sort_values()
        runs[cap] = (result, ranks, seconds)
        print(
            f"cap {cap}: {seconds:.0f} s; balanced-accuracy ranks "
            + ", ".join(f"{m} {r:.2f}" for m, r in ranks.items()),
            flush=True,
        )
    first = next(iter(runs.values()))
    report = {"sets": chosen, "stopping_folds": stops, "caps": {}}
    for cap, (result, ranks, seconds) in runs.items():

        def numbers(scores):
            kept = scores.select_dtypes("number")
            return kept[[c for c in kept.columns if "time" not in c]]

        numeric, base = numbers(result.scores), numbers(first[0].scores)
        same = numeric.shape == base.shape and np.allclose(
            numeric.to_numpy(float), base.to_numpy(float), equal_nan=True
        )
        top3 = list(ranks.index[:3])
        print(f"cap {cap}: top three {top3}; scores identical to the first cap: {same}")
        report["caps"][cap] = {
            "seconds": seconds,
            "top3": top3,
            "ranks": ranks.to_dict(),
            "identical": bool(same),
        }
    if args.fixed:
        report["fixed"] = _against_fixed(chosen, first[0], args.n_jobs)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2))


def _against_fixed(names, auto, n_jobs):
    start = time.perf_counter()
    fixed = benchmark(names, budget="fixed", output=None, progress=False, n_jobs=n_jobs)
    print(f"fixed budget: {time.perf_counter() - start:.0f} s")
    columns = ["balanced_accuracy_mean", "average_precision_mean"]
    means = {
        name: result.scores.groupby("method")[columns].mean()
        for name, result in (("auto", auto), ("fixed", fixed))
    }
    diff = means["auto"] - means["fixed"]
    print("\n| method (rule) | bal. acc auto | fixed | diff | AP auto | fixed | diff |")
    print("|---" * 7 + "|")
    for method in diff.index:
        a, f, d = (
            means["auto"].loc[method],
            means["fixed"].loc[method],
            diff.loc[method],
        )
        print(
            f"| {method} | {a.iloc[0]:.4f} | {f.iloc[0]:.4f} | {d.iloc[0]:+.4f} | "
            f"{a.iloc[1]:.4f} | {f.iloc[1]:.4f} | {d.iloc[1]:+.4f} |"
        )
    print(f"worst difference: {diff.min().to_dict()}")
    return {
        "auto": means["auto"].to_dict(),
        "fixed": means["fixed"].to_dict(),
        "worst": diff.min().to_dict(),
    }


if __name__ == "__main__":
    main()
