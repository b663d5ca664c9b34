"""How a table's numeric columns are scaled, measured: standard scaling, a
normal-output quantile transform, and robust scaling with smooth clipping
(all after median imputation with missing-value indicators).

Runs, each in a fresh process:

- the fraud example (``examples/fraud.py``, 60,000 rows, 1.1 % fraud) with
  the default methods at ``alert-rate=0.01``, once per scaling: the held-out
  and CV average precision of every method;
- ``skimb.benchmark`` on the first ``--keel`` of the 68 KEEL sets (default
  24), once per scaling: each method's mean CV AP and balanced accuracy
  over the sets.

Printed and written to ``benchmarks/results/scaling.json``.

    .venv/bin/python benchmarks/scaling.py [--keel 24] [--rows 60000]
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
SCALINGS = ("standard", "quantile", "smooth-clip")

_FRAUD = """
import json, sys, time, warnings
import skimb
warnings.simplefilter("ignore")
path, scaling = sys.argv[1], sys.argv[2]
start = time.perf_counter()
r = skimb.compare(path, target="label", positive_label="fraud", scaling=scaling,
                  operating_point="alert-rate=0.01", output=None, progress=False)
s = r.summary(rule="trained").set_index("method")
print("RESULT " + json.dumps({
    "seconds": time.perf_counter() - start,
    "test_ap": s["test_average_precision"].round(4).to_dict(),
    "cv_ap": s["average_precision_mean"].round(4).to_dict(),
    "recommended": r.model_info.get("method"),
}))
"""

_KEEL = """
import json, sys, time, warnings
import skimb
warnings.simplefilter("ignore")
sys.path.insert(0, sys.argv[3])
from keel_kinds import keel_68
scaling, n = sys.argv[1], int(sys.argv[2])
names = list(keel_68()["name"])[:n]
start = time.perf_counter()
r = skimb.benchmark(names, scaling=scaling, cv=5, output=None, progress=False)
s = r.scores
means = s[s["rule"] == "trained"].groupby("method")[
    ["average_precision_mean", "balanced_accuracy_mean"]].mean().round(4)
print("RESULT " + json.dumps({
    "seconds": time.perf_counter() - start,
    "cv_ap": means["average_precision_mean"].to_dict(),
    "cv_bal_acc": means["balanced_accuracy_mean"].to_dict(),
    "ap_rank": r.ranks.set_index("method")["average_precision"].round(2).to_dict(),
}))
"""


def _run(code, *args):
    out = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    if not line:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(line[0][7:])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--keel", type=int, default=24)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import runpy

    write = runpy.run_path(str(ROOT / "examples" / "fraud.py"))["write_payments"]
    path = write(Path(tempfile.mkdtemp()) / "payments.csv", rows=args.rows)
    report = {"fraud": {}, "keel": {}}
    for scaling in SCALINGS:
        start = time.perf_counter()
        report["fraud"][scaling] = _run(_FRAUD, path, scaling)
        print(scaling, "fraud", json.dumps(report["fraud"][scaling]), flush=True)
        if args.keel:
            report["keel"][scaling] = _run(_KEEL, scaling, args.keel, HERE)
            print(scaling, "keel", json.dumps(report["keel"][scaling]), flush=True)
        print(f"{scaling}: {time.perf_counter() - start:.0f} s", flush=True)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "scaling.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
