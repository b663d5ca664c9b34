"""How a table is preprocessed, measured: ``--what scaling`` compares the
scalings of the numeric columns (standard scaling, a normal-output quantile
transform, and robust scaling with smooth clipping, all after median
imputation with missing-value indicators); ``--what encoding`` the
encodings of a many-level categorical column (one-hot on its 32 most
frequent levels, or a cross-fitted target encoding).

Runs, each in a fresh process:

- the fraud example (``examples/fraud.py``, 60,000 rows, 1.1 % fraud, a
  1,500-level merchant column; ``--merchant-risk S`` gives each merchant a
  fraud log-odds of standard deviation S) with the default methods at
  ``alert-rate=0.01``, once per value: the held-out and CV average
  precision of every method;
- ``skimb.benchmark`` on the first ``--keel`` of the 68 KEEL sets (default
  24; 0 skips them), once per value: each method's mean CV AP and balanced
  accuracy over the sets.

Printed and written to ``benchmarks/results/<what>.json``.

    .venv/bin/python benchmarks/preprocessing.py [--what scaling|encoding]
        [--keel 24] [--rows 60000] [--merchant-risk 0]
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
VALUES = {
    "scaling": ("standard", "quantile", "smooth-clip"),
    "encoding": ("one-hot", "target"),
}

_FRAUD = """
import json, sys, time, warnings
import skimb
warnings.simplefilter("ignore")
path, what, value = sys.argv[1], sys.argv[2], sys.argv[3]
start = time.perf_counter()
r = skimb.compare(path, target="label", positive_label="fraud", **{what: value},
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
sys.path.insert(0, sys.argv[3])  # benchmarks/
from keel_kinds import keel_68
what, value, n = sys.argv[1], sys.argv[2], int(sys.argv[4])
names = list(keel_68()["name"])[:n]
start = time.perf_counter()
r = skimb.benchmark(names, **{what: value}, cv=5, output=None, progress=False)
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
    parser.add_argument("--what", choices=sorted(VALUES), default="scaling")
    parser.add_argument("--merchant-risk", type=float, default=0.0)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import runpy

    write = runpy.run_path(str(ROOT / "examples" / "fraud.py"))["write_payments"]
    path = write(
        Path(tempfile.mkdtemp()) / "payments.csv",
        rows=args.rows,
        merchant_risk=args.merchant_risk,
    )
    report = {"merchant_risk": args.merchant_risk, "fraud": {}, "keel": {}}
    for value in VALUES[args.what]:
        start = time.perf_counter()
        report["fraud"][value] = _run(_FRAUD, path, args.what, value)
        print(value, "fraud", json.dumps(report["fraud"][value]), flush=True)
        if args.keel:
            report["keel"][value] = _run(_KEEL, args.what, value, HERE, args.keel)
            print(value, "keel", json.dumps(report["keel"][value]), flush=True)
        print(f"{value}: {time.perf_counter() - start:.0f} s", flush=True)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / f"{args.what}.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
