"""The default comparison on tables of 10^4 to 10^6 rows, with the data's
training budget and with the fixed one, side by side in one run.

Each (size, budget) pair runs ``skimb.compare`` on a synthetic fraud-like
table (``tables.fraud_table``: 30 numeric columns, 0.5 % positives) with the
default methods, in a fresh process, and records its wall time, its peak
resident memory (the table included), the best held-out average precision and
balanced accuracy of any method and rule, the recommended model's, and the
mean epochs the nets trained.

    .venv/bin/python benchmarks/scale.py                       # 1e4, 1e5, 1e6
    .venv/bin/python benchmarks/scale.py --sizes 2e5 --budgets auto,fixed

The fixed budget (30 epochs at batch 64) is skipped above ``--fixed-max-rows``
(it takes over an hour at 10^6 rows on 2 cores). Results are printed and
written to ``benchmarks/results/scale.json``.
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_one(n_rows, budget, positive_rate):
    sys.path.insert(0, str(HERE))
    from tables import fraud_table

    import skimb

    frame = fraud_table(n_rows, positive_rate=positive_rate)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        result = skimb.compare(
            frame,
            target="label",
            name=f"fraud-{n_rows}",
            output=out,
            plots=False,
            progress=False,
            budget=budget,
        )
    wall = time.perf_counter() - start
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    summary = result.summary()
    rec = result.recommendation.get("balanced_accuracy", {})
    pick = summary[
        (summary["method"] == rec.get("method")) & (summary["rule"] == rec.get("rule"))
    ]
    chosen = pick.iloc[0] if len(pick) else None
    trained = summary[summary["rule"] == "trained"]
    epochs = (
        dict(zip(trained["method"], trained["epochs_mean"].astype(float), strict=True))
        if "epochs_mean" in trained
        else None
    )
    test = summary
    return {
        "rows": n_rows,
        "budget": budget,
        "wall_s": wall,
        "peak_rss_gib": peak_gib,
        "best_test_ap": float(test["test_average_precision"].max()),
        "best_test_bal_acc": float(test["test_balanced_accuracy"].max()),
        "recommended": rec,
        "recommended_test_ap": None
        if chosen is None
        else float(chosen["test_average_precision"]),
        "recommended_test_bal_acc": None
        if chosen is None
        else float(chosen["test_balanced_accuracy"]),
        "mean_epochs": epochs,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e4,1e5,1e6")
    parser.add_argument("--budgets", default="auto,fixed")
    parser.add_argument("--fixed-max-rows", type=float, default=2e5)
    parser.add_argument("--positive-rate", type=float, default=0.005)
    parser.add_argument("--out", default=str(HERE / "results" / "scale.json"))
    parser.add_argument(
        "--one", nargs=2, metavar=("ROWS", "BUDGET"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.one:
        print(
            json.dumps(
                run_one(int(float(args.one[0])), args.one[1], args.positive_rate)
            )
        )
        return
    runs = []
    for size in (int(float(s)) for s in args.sizes.split(",")):
        for budget in args.budgets.split(","):
            if budget == "fixed" and size > args.fixed_max_rows:
                runs.append(
                    {
                        "rows": size,
                        "budget": budget,
                        "skipped": "above --fixed-max-rows",
                    }
                )
                continue
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--one",
                    str(size),
                    budget,
                    "--positive-rate",
                    str(args.positive_rate),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            r = runs[-1]
            rec = r["recommended"]
            print(
                f"{size:>9,} rows, budget {budget}: {r['wall_s']:.0f} s, "
                f"peak {r['peak_rss_gib']:.2f} GiB, "
                f"best test AP {r['best_test_ap']:.3f}, "
                f"best test bal. acc {r['best_test_bal_acc']:.3f}, "
                f"recommended {rec.get('method')} ({rec.get('rule')}): "
                f"test AP {r['recommended_test_ap']:.3f}, "
                f"bal. acc {r['recommended_test_bal_acc']:.3f}",
                flush=True,
            )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(runs, indent=2))


if __name__ == "__main__":
    main()
