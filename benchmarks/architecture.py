"""The nets' shape, measured: width (64, 256, 1,024 hidden units), depth (two
hidden layers) and dropout (0.2), for the two smoothed nets of the default
methods (``weighted-loss+smooth``, ``logit-adjusted+smooth``), on the
fraud example and on the first 24 of the 68 KEEL sets: mean CV average
precision and balanced accuracy, held-out AP on the fraud table, and the
time. The seed's ``SimpleNet`` (one hidden layer of 256) is the reference.

    .venv/bin/python benchmarks/architecture.py [--keel 24] [--rows 60000]
"""

import argparse
import runpy
import sys
import tempfile
import time
import warnings
from pathlib import Path

from torch import nn

import skimb
from skimb.nn import SimpleNet

HERE = Path(__file__).resolve().parent
METHODS = ["weighted-loss+smooth", "logit-adjusted+smooth"]


class MLP(nn.Module):
    """``depth`` hidden layers of ``hidden_units`` ReLUs, dropout after each."""

    def __init__(self, n_features, n_classes, hidden_units=256, depth=1, dropout=0.0):
        super().__init__()
        layers, width = [], n_features
        for _ in range(depth):
            layers += [nn.Linear(width, hidden_units), nn.ReLU(), nn.Dropout(dropout)]
            width = hidden_units
        self.layers = nn.Sequential(*layers, nn.Linear(width, n_classes))

    def forward(self, X):
        return self.layers(X)


class Deep(MLP):
    def __init__(self, n_features, n_classes):
        super().__init__(n_features, n_classes, depth=2)


class Dropout(MLP):
    def __init__(self, n_features, n_classes):
        super().__init__(n_features, n_classes, dropout=0.2)


VARIANTS = {
    "SimpleNet, 256 (seed)": dict(net=SimpleNet, hidden_units=256),
    "SimpleNet, 64": dict(net=SimpleNet, hidden_units=64),
    "SimpleNet, 1024": dict(net=SimpleNet, hidden_units=1024),
    "two layers of 256": dict(net=Deep),
    "dropout 0.2": dict(net=Dropout),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--keel", type=int, default=24)
    parser.add_argument("--only", default=None, help="variant numbers, 0-based")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    sys.path.insert(0, str(HERE))
    from keel_kinds import keel_68

    keel = list(keel_68()["name"])[: args.keel]
    write = runpy.run_path(str(HERE.parent / "examples" / "fraud.py"))["write_payments"]
    path = write(Path(tempfile.mkdtemp()) / "payments.csv", rows=args.rows)
    print(
        "variant: fraud CV AP / held-out AP per net (s); KEEL mean CV AP, "
        "balanced accuracy per net (s)"
    )
    chosen = list(VARIANTS.items())
    if args.only:
        chosen = [chosen[int(i)] for i in args.only.split(",")]
    for label, options in chosen:
        start = time.perf_counter()
        fraud = skimb.compare(
            str(path),
            target="label",
            methods=METHODS,
            output=None,
            progress=False,
            n_jobs=1,  # its modules live in __main__: one process anyway
            **options,
        ).summary(rule="trained")
        fraud = fraud.set_index("method")
        fraud_s = time.perf_counter() - start
        start = time.perf_counter()
        bench = skimb.benchmark(
            keel, methods=METHODS, cv=5, output=None, progress=False, **options
        )
        keel_s = time.perf_counter() - start
        scores = bench.scores[bench.scores["rule"] == "trained"]
        means = scores.groupby("method")[
            ["average_precision_mean", "balanced_accuracy_mean"]
        ].mean()
        parts = []
        for m in METHODS:
            parts.append(
                f"{m}: {fraud.loc[m, 'average_precision_mean']:.3f} / "
                f"{fraud.loc[m, 'test_average_precision']:.3f}; "
                f"{means.loc[m, 'average_precision_mean']:.4f}, "
                f"{means.loc[m, 'balanced_accuracy_mean']:.4f}"
            )
        print(
            f"{label} (fraud {fraud_s:.0f} s, KEEL {keel_s:.0f} s)\n  "
            + "\n  ".join(parts),
            flush=True,
        )


if __name__ == "__main__":
    main()
