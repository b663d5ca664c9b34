"""Regularising the nets, measured: logit adjustment and the weighted loss
as they are and with AdamW's weight decay (0.01, 0.1, 1.0; ``--what
decay``), and the plain net and the weighted loss with label smoothing
(0.05, 0.1, 0.2; ``--what smoothing``), on the
fraud example and on the first 24 of the 68 KEEL sets.

The variants are added to the comparison's methods for the run only.

    .venv/bin/python benchmarks/regularisation.py [--what decay|smoothing] [--keel 24]
"""

import argparse
import runpy
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch

import skimb
from skimb import NetClassifier, WeightedLossClassifier
from skimb.evaluation import METHODS, Method
from skimb.nn import LogitAdjustedLoss

HERE = Path(__file__).resolve().parent
DECAYS = (0.01, 0.1, 1.0)


SMOOTHINGS = (0.05, 0.1, 0.2)


def _variants(what):
    """The methods to run: for weight decay, logit adjustment and the
    weighted loss; for label smoothing (which LogitAdjustedLoss does not
    take), the plain net and the weighted loss."""
    if what == "decay":
        names = ["logit-adjusted", "weighted-loss"]
        for v in DECAYS:
            extra = {"optimizer": torch.optim.AdamW, "optimizer__weight_decay": v}
            la = WeightedLossClassifier(
                criterion=LogitAdjustedLoss, class_weight=None, **extra
            )
            METHODS[f"logit-adjusted-wd{v:g}"] = Method(la)
            METHODS[f"weighted-loss-wd{v:g}"] = Method(WeightedLossClassifier(**extra))
            names += [f"logit-adjusted-wd{v:g}", f"weighted-loss-wd{v:g}"]
        return names
    names = ["baseline", "weighted-loss"]
    for v in SMOOTHINGS:
        extra = {"criterion__label_smoothing": v}
        METHODS[f"baseline-ls{v:g}"] = Method(NetClassifier(**extra))
        METHODS[f"weighted-loss-ls{v:g}"] = Method(WeightedLossClassifier(**extra))
        names += [f"baseline-ls{v:g}", f"weighted-loss-ls{v:g}"]
    return names


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--keel", type=int, default=24)
    parser.add_argument("--what", choices=["decay", "smoothing"], default="decay")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    names = _variants(args.what)
    write = runpy.run_path(str(HERE.parent / "examples" / "fraud.py"))["write_payments"]
    path = write(Path(tempfile.mkdtemp()) / "payments.csv", rows=args.rows)
    start = time.perf_counter()
    result = skimb.compare(
        str(path),
        target="label",
        methods=names,
        output=None,
        progress=False,
        n_jobs=1,  # the variants live in this process only
    )
    s = result.summary(rule="trained").set_index("method")
    print(f"fraud ({time.perf_counter() - start:.0f} s): CV AP / held-out AP")
    for m in names:
        print(
            f"  {m:24s} {s.loc[m, 'average_precision_mean']:.3f} / "
            f"{s.loc[m, 'test_average_precision']:.3f}"
        )
    if args.keel:
        sys.path.insert(0, str(HERE))
        from keel_kinds import keel_68

        start = time.perf_counter()
        bench = skimb.benchmark(
            list(keel_68()["name"])[: args.keel],
            methods=names,
            cv=5,
            output=None,
            progress=False,
        )
        scores = bench.scores[bench.scores["rule"] == "trained"]
        means = scores.groupby("method")["average_precision_mean"].mean()
        ranks = bench.ranks.set_index("method")["average_precision"]
        print(
            f"KEEL-{args.keel} ({time.perf_counter() - start:.0f} s): "
            "mean CV AP, AP rank"
        )
        for m in names:
            print(f"  {m:24s} {means[m]:.4f}  {ranks[m]:.2f}")


if __name__ == "__main__":
    main()
