"""This checkout against an earlier commit, side by side in one run.

Each measurement runs in a fresh process per version, alternating between
the two, with ``PYTHONPATH`` pointing at that version's source (a
``git worktree`` of ``--base`` made in a temporary folder):

- ``compare``: the default comparison on digits (``skimb.compare()`` with
  its defaults, no output), wall time, best of ``--repeats``;
- ``fit_many``: ``benchmarks/fit_many.py`` of each version (K = 1, 5, 15,
  50 nets stacked against one at a time);
- ``engine``: ``benchmarks/engine.py --only threads,overhead`` of each
  version (a single fit against the compute limit, idle and beside one
  CPU-bound process; a small fit against the raw loop);
- ``scale``: ``benchmarks/scale.py --sizes 2e5 --budgets auto`` of each
  version (the default comparison on the 200,000-row synthetic table: wall
  time and the best held-out AP).

    .venv/bin/python benchmarks/versions.py --base d1c13aa
    .venv/bin/python benchmarks/versions.py --base d1c13aa --only compare

Run it on an otherwise idle machine. Results are printed and written to
``benchmarks/results/versions.json``.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

_COMPARE = (
    "import time, skimb; t = time.perf_counter(); "
    "skimb.compare(output=None, progress=False, plots=False); "
    "print(time.perf_counter() - t)"
)


def _run(tree, args, **kwargs):
    env = {**os.environ, "PYTHONPATH": str(tree), "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, *args],
        cwd=tree,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        **kwargs,
    ).stdout


def bench_compare(trees, repeats):
    times = {name: [] for name in trees}
    for _ in range(repeats):
        for name, tree in trees.items():
            seconds = float(_run(tree, ["-c", _COMPARE]).strip().splitlines()[-1])
            times[name].append(seconds)
            print(f"compare digits [{name}]: {seconds:.2f} s", flush=True)
    return {name: {"best_s": min(t), "all_s": t} for name, t in times.items()}


def bench_script(trees, script, args, out=True):
    found = {}
    for name, tree in trees.items():
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "out.json"
            extra = ["--out", str(path)] if out else []
            text = _run(tree, [f"benchmarks/{script}", *args, *extra])
            print(f"---- {script} [{name}]\n{text}", flush=True)
            found[name] = json.loads(path.read_text()) if path.exists() else text
    return found


BENCHES = {
    "compare": lambda trees, a: bench_compare(trees, a.repeats),
    "fit_many": lambda trees, a: bench_script(
        trees, "fit_many.py", ["--ks", "1,5,15,50"], out=False
    ),
    "engine": lambda trees, a: bench_script(
        trees, "engine.py", ["--only", "threads,overhead"]
    ),
    "scale": lambda trees, a: bench_script(
        trees, "scale.py", ["--sizes", "2e5", "--budgets", "auto"]
    ),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the earlier commit")
    parser.add_argument("--only", default=",".join(BENCHES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(HERE / "results" / "versions.json"))
    args = parser.parse_args()
    base = subprocess.run(
        ["git", "rev-parse", "--short", args.base],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    results = {"base": base, "head": head, "started": time.ctime()}
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(old), base],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            trees = {f"base {base}": old, f"head {head}": ROOT}
            for name in args.only.split(","):
                results[name] = BENCHES[name](trees, args)
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(old)],
                cwd=ROOT,
                check=False,
            )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
