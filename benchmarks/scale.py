"""The default comparison on tables of 10^4 to 10^6 rows, with the data's
training budget and with the fixed one, side by side in one run.

Each (size, budget) pair runs ``skimb.compare`` on a synthetic fraud-like
table (``tables.fraud_table``: 30 numeric columns, 0.5 % positives) with the
default methods, in a fresh process, and records its wall time, its peak
resident memory (the table included), the best held-out average precision and
balanced accuracy of any method and rule, the recommended model's, and the
mean epochs the nets trained. Memory is the peak resident memory of the
process and of all its worker processes together (RSS sampled every 0.2
s, PSS every second):
summed resident sets (RSS), which count the pages the processes share (the
torch libraries every worker maps) once per process, and summed
proportional sets (PSS), which count a shared page once in all: the memory
the machine gives the run.

    .venv/bin/python benchmarks/scale.py                       # 1e4, 1e5, 1e6
    .venv/bin/python benchmarks/scale.py --sizes 2e5 --budgets auto,fixed
    .venv/bin/python benchmarks/scale.py --sizes 2e5 --budgets auto --n-jobs 1,auto

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
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


class _TreeMemory(threading.Thread):
    """The peak memory of this process and its children together: summed
    RSS and summed PSS."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak = self.peak_pss = 0
        self.done = threading.Event()

    def run(self):
        import psutil

        me = psutil.Process()
        tick = 0
        while not self.done.wait(0.2):
            # PSS walks every page of a process: read it once a second only,
            # so that the sampling does not slow the run it measures.
            tick += 1
            rss = pss = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    rss += p.memory_info().rss
                    pss += p.memory_full_info().pss if tick % 5 == 0 else 0
                except psutil.Error:
                    pass
            self.peak = max(self.peak, rss)
            self.peak_pss = max(self.peak_pss, pss)


def run_one(n_rows, budget, positive_rate, n_jobs="auto"):
    sys.path.insert(0, str(HERE))
    from tables import fraud_table

    import skimb

    frame = fraud_table(n_rows, positive_rate=positive_rate)
    memory = _TreeMemory()
    memory.start()
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
            n_jobs=n_jobs,
        )
    wall = time.perf_counter() - start
    memory.done.set()
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    from skimb.evaluation._report import format_leaderboard

    summary = result.summary()
    rec = dict(result.model_info)  # the saved model: the verdict's pick
    pick = summary[
        (summary["method"] == rec.get("method")) & (summary["rule"] == "trained")
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
        "n_jobs": n_jobs,
        "wall_s": wall,
        "peak_rss_gib": peak_gib,
        "peak_tree_gib": memory.peak / 2**30,
        "peak_tree_pss_gib": memory.peak_pss / 2**30,
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
        "recommended_test_at_point": None
        if chosen is None
        else {
            k: float(chosen[f"test_{k}"])
            for k in ("precision_at", "recall_at", "alert_rate_at", "fbeta_at")
        },
        "leaderboard": format_leaderboard(result),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e4,1e5,1e6")
    parser.add_argument("--budgets", default="auto,fixed")
    parser.add_argument("--fixed-max-rows", type=float, default=2e5)
    parser.add_argument("--positive-rate", type=float, default=0.005)
    parser.add_argument("--n-jobs", default="auto", help="comma-separated")
    parser.add_argument("--out", default=str(HERE / "results" / "scale.json"))
    parser.add_argument(
        "--one", nargs=3, metavar=("ROWS", "BUDGET", "JOBS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.one:
        print(
            json.dumps(
                run_one(
                    int(float(args.one[0])),
                    args.one[1],
                    args.positive_rate,
                    _jobs(args.one[2]),
                )
            )
        )
        return
    runs = []
    for size in (int(float(s)) for s in args.sizes.split(",")):
        for budget in args.budgets.split(","):
            for jobs in args.n_jobs.split(","):
                runs.append(_run(size, budget, jobs, args))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(runs, indent=2))


def _jobs(text):
    return text if text == "auto" else int(text)


def _run(size, budget, jobs, args):
    if budget == "fixed" and size > args.fixed_max_rows:
        return {"rows": size, "budget": budget, "skipped": "above --fixed-max-rows"}
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--one",
            str(size),
            budget,
            jobs,
            "--positive-rate",
            str(args.positive_rate),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    r = json.loads(out.stdout.strip().splitlines()[-1])
    rec = r["recommended"]
    print(r.get("leaderboard", ""))
    print(
        f"{size:>9,} rows, budget {budget}, n_jobs {jobs}: {r['wall_s']:.0f} s, "
        f"peak {r['peak_rss_gib']:.2f} GiB (with workers {r['peak_tree_gib']:.2f}, "
        f"PSS {r['peak_tree_pss_gib']:.2f}), "
        f"best test AP {r['best_test_ap']:.3f}, "
        f"best test bal. acc {r['best_test_bal_acc']:.3f}, "
        f"recommended {rec.get('method')} ({rec.get('operating_point')}): "
        f"test AP {r['recommended_test_ap']:.3f}, "
        f"bal. acc {r['recommended_test_bal_acc']:.3f}; "
        f"mean epochs {r['mean_epochs']}",
        flush=True,
    )
    return r


if __name__ == "__main__":
    main()
