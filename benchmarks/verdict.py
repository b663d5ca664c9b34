"""The verdict on the fraud example, side by side with the comparison of before.

Writes ``examples/fraud.py``'s payments table (60,000 rows, 1 % fraud, a
payment id, 1,500 merchants) and runs, each in a fresh process:

- ``new``: today's default comparison on the table with its id column, at
  ``--operating-point alert-rate=0.01``;
- ``before`` (with ``--before REV``): the default comparison of an earlier
  revision (``git worktree`` of REV, same virtual environment) on the same
  table without the id column, which that revision would one-hot encode.

For each it records the wall time, the recommended method, its held-out
average precision against the best held-out AP of any method, and (new
only) the saved model's alert rate, precision and recall on the held-out
part against the table's. Results are printed and written to
``benchmarks/results/verdict.json``.

    .venv/bin/python benchmarks/verdict.py --before 6128483
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

_RUN = """
import json, sys, time, warnings
import numpy as np
import skimb
warnings.simplefilter("ignore")
path, output, point = sys.argv[1], sys.argv[2], sys.argv[3]
kw = {} if point == "none" else {"operating_point": point}
start = time.perf_counter()
result = skimb.compare(path, target="label", positive_label="fraud", output=output,
                       progress=False, plots=False, **kw)
seconds = time.perf_counter() - start
rows = result.rows
test = rows[(rows["fold"].astype(str) == "test") & (rows["status"] == "ok")]
best = test.groupby("method")["average_precision"].max()
info = result.model_info
out = {
    "seconds": seconds,
    "recommended": info.get("method"),
    "rule": info.get("rule"),
    "recommended_test_ap": float(best.get(info.get("method"), np.nan)),
    "best_test_ap": float(best.max()),
    "best_test_ap_method": best.idxmax(),
    "test_ap": {m: round(float(v), 4) for m, v in best.items()},
}
if "alert_rate_at" in test:
    row = test[(test["method"] == info["method"]) & (test["rule"] == "trained")]
    point_cols = ["alert_rate_at", "precision_at", "recall_at"]
    out["table_at_point"] = row[point_cols].iloc[0].to_dict()
    try:
        from skimb.evaluation._report import format_leaderboard
        out["leaderboard"] = format_leaderboard(result)
    except ImportError:
        pass
print("RESULT " + json.dumps(out, default=float))
"""


def _run(code_root, path, output, point):
    env = {**os.environ, "PYTHONPATH": str(code_root)}
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _RUN, str(path), str(output), point],
        capture_output=True,
        text=True,
        env=env,
        cwd=code_root,
    )
    wall = time.perf_counter() - start
    line = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    if not line:
        raise RuntimeError(done.stderr[-3000:])
    result = json.loads(line[0][7:])
    result["wall_seconds"] = wall
    return result


def _held_out_check(output, path):
    """The saved model on the held-out part, split as compare splits it."""
    import numpy as np
    import pandas as pd

    import skimb
    from skimb.evaluation._options import RunConfig
    from skimb.evaluation._plan import plan_comparison

    options = RunConfig(target="label", positive_label="fraud", output=None)
    split = plan_comparison(str(path), None, options).split
    model = skimb.load(Path(output) / "model.skimb")
    flagged = model.predict(split.X_test) == "fraud"
    positive = np.asarray(split.y_test) == "fraud"
    return {
        "alert_rate": float(flagged.mean()),
        "precision": float((flagged & positive).sum() / max(flagged.sum(), 1)),
        "recall": float((flagged & positive).sum() / positive.sum()),
        "n_test": int(len(positive)),
        "n_test_fraud": int(positive.sum()),
        "proba_mean": float(pd.Series(model.predict_proba(split.X_test)[:, 0]).mean()),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--before", default=None, help="a git revision")
    parser.add_argument("--point", default="alert-rate=0.01")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import runpy

    import pandas as pd

    write = runpy.run_path(str(ROOT / "examples" / "fraud.py"))["write_payments"]
    work = Path(tempfile.mkdtemp(prefix="skimb-verdict-"))
    path = write(work / "payments.csv", rows=args.rows)
    no_id = work / "payments_noid.csv"
    pd.read_csv(path).drop(columns="payment_id").to_csv(no_id, index=False)
    report = {"rows": args.rows, "point": args.point}
    new = _run(ROOT, path, work / "new", args.point)
    new["held_out"] = _held_out_check(work / "new", path)
    report["new"] = new
    print(new.pop("leaderboard", ""))
    print(json.dumps(new, indent=1, default=float))
    if args.before:
        old_root = work / "before"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(old_root), args.before],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        try:
            before = _run(old_root, no_id, work / "old", "none")
        finally:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(old_root)], cwd=ROOT
            )
        report["before"] = {**before, "revision": args.before}
        print(json.dumps(report["before"], indent=1, default=float))
        report["time_ratio"] = new["seconds"] / before["seconds"]
        print(f"time ratio new / before: {report['time_ratio']:.2f}")
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "verdict.json").write_text(json.dumps(report, indent=1, default=float))


if __name__ == "__main__":
    main()
