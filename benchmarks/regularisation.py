"""Regularising the nets, measured: logit adjustment and the weighted loss
as they are and with AdamW's weight decay (0.01, 0.1, 1.0; ``--what
decay``), and the plain net, the weighted loss, the weighted sampler and
logit adjustment with label smoothing (``--smoothings 0.1,0.2``; ``--what
smoothing``), and the two smoothed nets with a learning-rate schedule
(halved every 10 epochs, or when the training loss stalls for 3; ``--what
schedule``), on the fraud example and on the first 24 of the 68 KEEL
sets: average precision, balanced accuracy and log loss.

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
from sklearn.base import clone
from skorch.callbacks import LRScheduler

import skimb
from skimb import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier
from skimb.evaluation import METHODS, Method
from skimb.nn import LogitAdjustedLoss

HERE = Path(__file__).resolve().parent
DECAYS = (0.01, 0.1, 1.0)


def _variants(what, smoothings=(0.1, 0.2)):
    """The methods to run: for weight decay, logit adjustment and the
    weighted loss; for label smoothing, the four nets with a
    cross-entropy."""
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
    if what == "schedule":
        names = ["weighted-loss+smooth", "logit-adjusted+smooth"]
        schedules = {
            "step": LRScheduler(policy="StepLR", step_size=10, gamma=0.5),
            "plateau": LRScheduler(
                policy="ReduceLROnPlateau", monitor="train_loss", patience=3, factor=0.5
            ),
        }
        for base in list(names):
            for label, schedule in schedules.items():
                estimator = clone(METHODS[base].estimator)
                estimator.set_params(callbacks=[("lr", schedule)])
                METHODS[f"{base}-{label}"] = Method(estimator)
                names.append(f"{base}-{label}")
        return names
    names = ["baseline", "weighted-loss", "weighted-sampler", "logit-adjusted"]
    for v in smoothings:
        extra = {"criterion__label_smoothing": v}
        variants = {
            "baseline": NetClassifier(**extra),
            "weighted-loss": WeightedLossClassifier(**extra),
            "weighted-sampler": WeightedSamplerClassifier(**extra),
            "logit-adjusted": WeightedLossClassifier(
                criterion=LogitAdjustedLoss, class_weight=None, **extra
            ),
        }
        for name, estimator in variants.items():
            METHODS[f"{name}-ls{v:g}"] = Method(estimator)
            names.append(f"{name}-ls{v:g}")
    return names


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--keel", type=int, default=24)
    parser.add_argument(
        "--what", choices=["decay", "smoothing", "schedule"], default="decay"
    )
    parser.add_argument("--smoothings", default="0.1,0.2")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    names = _variants(args.what, [float(v) for v in args.smoothings.split(",")])
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
    print(
        f"fraud ({time.perf_counter() - start:.0f} s): CV AP / held-out AP, "
        "held-out balanced accuracy, log loss (at the training prior)"
    )
    for m in names:
        print(
            f"  {m:24s} {s.loc[m, 'average_precision_mean']:.3f} / "
            f"{s.loc[m, 'test_average_precision']:.3f}  "
            f"{s.loc[m, 'test_balanced_accuracy']:.3f}  "
            f"{s.loc[m, 'test_log_loss_corrected']:.4f}"
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
        columns = ["average_precision", "balanced_accuracy", "log_loss_corrected"]
        means = scores.groupby("method")[[f"{c}_mean" for c in columns]].mean()
        ranks = bench.ranks.set_index("method")
        print(
            f"KEEL-{args.keel} ({time.perf_counter() - start:.0f} s): mean CV AP "
            "(rank), balanced accuracy (rank), log loss (at the training prior)"
        )
        for m in names:
            ap, ba, ll = means.loc[m]
            print(
                f"  {m:24s} {ap:.4f} ({ranks.loc[m, 'average_precision']:.2f})  "
                f"{ba:.4f} ({ranks.loc[m, 'balanced_accuracy']:.2f})  {ll:.4f}"
            )


if __name__ == "__main__":
    main()
