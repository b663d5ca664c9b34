"""How long to wait: patience, tolerance, learning-rate scaling and the batch
cap of the data's budget, measured epoch by epoch on large tables.

Each net is fitted once with a long patience (``--trace-patience``, 10 by
default, the cap ``--max-epochs``) on a synthetic fraud-like table
(``tables.fraud_table``: 75/25 split, a 10 % stratified validation part cut
from the training part before any resampling and passed as ``X_val``), and
after every epoch its held-out scores are recorded beside the validation
score early stopping watches. A shorter patience ``p`` or a tolerance ``tol``
(an epoch counts as better only when it beats the best by more than ``tol``)
stops no later than the traced fit, so each (p, tol) rule is replayed
exactly on the trace: the epochs it trains, the epoch it restores and that
epoch's held-out average precision and balanced accuracy (as trained, and
under the balanced rule).

Variants (``--variants``) set the batch and learning rate:

- ``sqrt``: the estimators' ``batch_size='auto'``: batch from the rows (at
  most 300 steps an epoch, at most 4096), ``lr * sqrt(batch / 64)``;
- ``linear``: the same batch, ``lr * batch / 64`` (at most 10x);
- ``cap1024``: the batch capped at 1024 (more steps per epoch on the
  largest tables), lr linear.

    .venv/bin/python benchmarks/patience.py --sizes 2e5
    .venv/bin/python benchmarks/patience.py --sizes 1e6 --variants sqrt,cap1024

Results: a table per size on stdout, the traces in
``benchmarks/results/patience.json``. Run it on an idle machine.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.under_sampling import RandomUnderSampler
from sklearn.metrics import average_precision_score, balanced_accuracy_score
from skorch.callbacks import Callback

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from stopping import _data  # noqa: E402

from skimb import NetClassifier, WeightedLossClassifier  # noqa: E402
from skimb.estimators import auto_batch_size  # noqa: E402
from skimb.estimators._early_stopping import validation_split  # noqa: E402
from skimb.nn import LogitAdjustedLoss  # noqa: E402

LR = 1e-3
METHODS = {
    "baseline": (NetClassifier, {}, None),
    "weighted-loss": (WeightedLossClassifier, {}, None),
    "logit-adjusted": (
        WeightedLossClassifier,
        {"criterion": LogitAdjustedLoss, "class_weight": None},
        None,
    ),
    "random-over": (NetClassifier, {}, RandomOverSampler),
    "smote": (NetClassifier, {}, SMOTE),
    "random-under": (NetClassifier, {}, RandomUnderSampler),
}


def _linear(batch):
    return LR * min(batch / 64, 10.0)


VARIANTS = {
    "sqrt": lambda n: {"batch_size": "auto"},
    "linear": lambda n: {
        "batch_size": auto_batch_size(n),
        "lr": _linear(auto_batch_size(n)),
    },
    "cap1024": lambda n: {
        "batch_size": min(auto_batch_size(n), 1024),
        "lr": _linear(min(auto_batch_size(n), 1024)),
    },
}
RULES = [(p, tol) for p in (3, 5, 10) for tol in (0.0, 1e-3, 3e-3)]


class _HeldOut(Callback):
    """After every epoch: held-out AP and balanced accuracy, as trained and
    under the balanced rule."""

    def __init__(self, X, y):
        self.X, self.y, self.trace = X, y, []

    def on_epoch_end(self, net, **kwargs):
        proba = net.predict_proba(self.X)
        log_prior = np.log(np.asarray(net.training_prior_))
        balanced = np.argmax(np.log(np.clip(proba, 1e-30, None)) - log_prior, 1)
        self.trace.append(
            dict(
                valid=float(net.history[-1]["valid_average_precision"]),
                ap=float(average_precision_score(self.y, proba[:, 1])),
                trained=float(balanced_accuracy_score(self.y, proba.argmax(1))),
                balanced=float(balanced_accuracy_score(self.y, balanced)),
            )
        )


def replay(valid, patience, tol):
    """``(epochs trained, restored epoch index)`` of the rule on the
    validation scores ``valid`` (higher is better)."""
    best, best_i, since = -np.inf, None, 0
    for i, score in enumerate(valid):
        if score > best + tol or best_i is None:
            best, best_i, since = score, i, 0
        else:
            since += 1
            if since >= patience:
                return i + 1, best_i
    return len(valid), best_i


def trace_one(method, variant, X_fit, y_fit, X_val, y_val, X_test, y_test, args):
    cls, params, sampler = METHODS[method]
    if sampler is not None:
        X_fit, y_fit = sampler(random_state=0).fit_resample(X_fit, y_fit)
    held = _HeldOut(X_test, y_test)
    clf = cls(
        **params,
        **VARIANTS[variant](len(y_fit)),
        max_epochs=args.max_epochs,
        early_stopping=True,
        n_iter_no_change=args.trace_patience,
        callbacks=[("held_out", held)],
        random_state=0,
        verbose=0,
    )
    start = time.perf_counter()
    clf.fit(X_fit, y_fit, X_val=X_val, y_val=y_val)
    seconds = time.perf_counter() - start
    return dict(
        method=method,
        variant=variant,
        batch=clf.batch_size_,
        lr=clf.lr_,
        seconds=seconds,
        trace=held.trace,
    )


def summarise(run):
    trace = run["trace"]
    valid = [t["valid"] for t in trace]
    per_epoch = run["seconds"] / len(trace)
    out = []
    for patience, tol in RULES:
        if patience > run["patience"]:
            continue
        epochs, best = replay(valid, patience, tol)
        t = trace[best]
        out.append(
            dict(
                patience=patience,
                tol=tol,
                epochs=epochs,
                best_epoch=best + 1,
                seconds=epochs * per_epoch,
                ap=t["ap"],
                trained=t["trained"],
                balanced=t["balanced"],
            )
        )
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2e5")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--trace-patience", type=int, default=10)
    parser.add_argument("--out", default=str(HERE / "results" / "patience.json"))
    args = parser.parse_args(argv)
    runs = []
    for size in (int(float(s)) for s in args.sizes.split(",")):
        X_train, X_test, y_train, y_test = _data(size, 0)
        fit, val = validation_split(y_train, 0.1, seed=0)
        parts = (X_train[fit], y_train[fit], X_train[val], y_train[val])
        for variant in args.variants.split(","):
            for method in args.methods.split(","):
                run = trace_one(method, variant, *parts, X_test, y_test, args)
                run.update(rows=size, patience=args.trace_patience)
                run["rules"] = summarise(run)
                runs.append(run)
                r10 = run["rules"][-3] if run["rules"] else {}
                print(
                    f"{size:>8} {variant:>8} {method:>15}: batch {run['batch']}, "
                    f"lr {run['lr']:.4f}, {len(run['trace'])} epochs in "
                    f"{run['seconds']:.1f} s; restored AP {r10.get('ap', 0):.3f}",
                    flush=True,
                )
    print(
        "\n| rows | variant | patience | tol | mean epochs | seconds (all nets) "
        "| mean AP | mean bal. acc trained | balanced |"
    )
    print("|---" * 9 + "|")
    keys = sorted({(r["rows"], r["variant"]) for r in runs})
    for rows, variant in keys:
        sel = [r for r in runs if (r["rows"], r["variant"]) == (rows, variant)]
        for patience, tol in RULES:
            got = [
                s
                for r in sel
                for s in r["rules"]
                if (s["patience"], s["tol"]) == (patience, tol)
            ]
            if not got:
                continue
            m = {
                k: float(np.mean([g[k] for g in got]))
                for k in ("epochs", "ap", "trained", "balanced")
            }
            secs = sum(g["seconds"] for g in got)
            print(
                f"| {rows:,} | {variant} | {patience} | {tol:g} | {m['epochs']:.1f} | "
                f"{secs:.0f} | {m['ap']:.3f} | {m['trained']:.3f} | "
                f"{m['balanced']:.3f} |"
            )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(runs, indent=2))


if __name__ == "__main__":
    main()
