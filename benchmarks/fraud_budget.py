"""Do the nets stop too early on the fraud example? The data's budget (early
stopping on each fold's validation part, 10 epochs of patience at this
minority size) against the fixed budget (30 epochs at batch 64, no
stopping), for the plain net, the weighted loss and logit adjustment.

    .venv/bin/python benchmarks/fraud_budget.py [--rows 60000]

Prints, per budget: the seconds, and per method the mean epochs trained,
the CV AP and the held-out AP.
"""

import argparse
import runpy
import tempfile
import time
import warnings
from pathlib import Path

import skimb

HERE = Path(__file__).resolve().parent
METHODS = ["baseline", "weighted-loss", "logit-adjusted"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    args = parser.parse_args(argv)
    write = runpy.run_path(str(HERE.parent / "examples" / "fraud.py"))["write_payments"]
    path = write(Path(tempfile.mkdtemp()) / "payments.csv", rows=args.rows)
    warnings.simplefilter("ignore")
    for budget in ("auto", "fixed"):
        start = time.perf_counter()
        result = skimb.compare(
            str(path),
            target="label",
            methods=METHODS,
            budget=budget,
            output=None,
            progress=False,
        )
        seconds = time.perf_counter() - start
        s = result.summary(rule="trained").set_index("method")
        print(f"budget {budget}: {seconds:.0f} s")
        for m in METHODS:
            print(
                f"  {m:16s} epochs {s.loc[m, 'epochs_mean']:5.1f}  CV AP "
                f"{s.loc[m, 'average_precision_mean']:.3f}  held-out AP "
                f"{s.loc[m, 'test_average_precision']:.3f}"
            )


if __name__ == "__main__":
    main()
