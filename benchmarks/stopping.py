"""What early stopping should watch: the monitored score, measured.

On synthetic fraud-like tables (``tables.fraud_table``, 30 columns, 0.5 %
positives) each net is fitted on a stratified 75 % training part and scored
on the other 25 %: held-out average precision of the rare class, and
balanced accuracy as trained and with ``prior='balanced'`` (the comparison's
balanced rule, from the same fit). Variants:

- ``fixed``: the earlier budget, batch 64, 30 epochs, no early stopping;
- ``batch-30``: ``batch_size='auto'``, 30 epochs, no early stopping (the
  batch rule alone);
- ``bll``: early stopping on the balanced log loss, patience 10, cap 100;
- ``bll-p20``: the same with patience 20;
- ``bacc``: early stopping on the balanced accuracy of the balanced-prior
  decisions (its negative: lower is better), patience 10;
- ``ap``: the estimators' default, early stopping on the validation average
  precision (the rarer class's on a binary table), patience 10, cap 100.

Each variant is the estimators' own ``early_stopping_score``.

    .venv/bin/python benchmarks/stopping.py                 # 1e5 and 2e5 rows
    .venv/bin/python benchmarks/stopping.py --sizes 3e4 --seeds 1   # quick

Run it on an idle machine: the seconds are wall-clock.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score, balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skimb import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from tables import fraud_table  # noqa: E402

METHODS = {
    "net": NetClassifier,
    "weighted-loss": WeightedLossClassifier,
    "weighted-sampler": WeightedSamplerClassifier,
}
_STOP = dict(early_stopping=True, max_epochs=100)
VARIANTS = {
    "fixed": dict(batch_size=64, early_stopping=False, max_epochs=30),
    "batch-30": dict(early_stopping=False, max_epochs=30),
    "bll": dict(_STOP, early_stopping_score="balanced_log_loss"),
    "bll-p20": dict(
        _STOP, early_stopping_score="balanced_log_loss", n_iter_no_change=20
    ),
    "bacc": dict(_STOP, early_stopping_score="balanced_accuracy"),
    "ap": dict(_STOP, early_stopping_score="average_precision"),
}


def _data(n_rows, seed):
    frame = fraud_table(n_rows, seed=seed)
    y = (frame.pop("label") == "fraud").to_numpy().astype(int)
    X_train, X_test, y_train, y_test = train_test_split(
        frame.to_numpy(), y, test_size=0.25, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)
    f32 = np.float32
    return (
        scaler.transform(X_train).astype(f32),
        scaler.transform(X_test).astype(f32),
        y_train,
        y_test,
    )


def run(n_rows, seed, variants, methods):
    X_train, X_test, y_train, y_test = _data(n_rows, seed)
    rows = []
    for variant in variants:
        settings = VARIANTS[variant]
        for method in methods:
            clf = METHODS[method](random_state=seed, verbose=0, **settings)
            start = time.perf_counter()
            clf.fit(X_train, y_train)
            seconds = time.perf_counter() - start
            ap = average_precision_score(y_test, clf.predict_proba(X_test)[:, 1])
            trained = balanced_accuracy_score(y_test, clf.predict(X_test))
            balanced = balanced_accuracy_score(
                y_test, clf.set_params(prior="balanced").predict(X_test)
            )
            rows.append(
                dict(
                    rows=n_rows,
                    seed=seed,
                    variant=variant,
                    method=method,
                    batch=clf.batch_size_,
                    epochs=clf.n_epochs_,
                    best_epoch=clf.best_epoch_,
                    seconds=seconds,
                    ap=ap,
                    bal_acc_trained=trained,
                    bal_acc_balanced=balanced,
                )
            )
            r = rows[-1]
            print(
                f"{n_rows:>7} s{seed} {variant:>8} {method:>16}: batch {r['batch']}, "
                f"{r['epochs']} epochs (best {r['best_epoch']}), {seconds:5.1f} s, "
                f"AP {ap:.3f}, bal. acc {trained:.3f} / balanced {balanced:.3f}",
                flush=True,
            )
    return rows


def _summary(rows):
    print(
        "\n| variant | method | epochs | seconds | AP | bal. acc (trained) | "
        "bal. acc (balanced) |"
    )
    print("|---" * 7 + "|")
    keys = sorted(
        {(r["variant"], r["method"]) for r in rows},
        key=lambda k: (list(VARIANTS).index(k[0]), list(METHODS).index(k[1])),
    )
    for variant, method in keys:
        sel = [r for r in rows if r["variant"] == variant and r["method"] == method]

        def mean(key, sel=sel):
            return float(np.mean([r[key] for r in sel]))

        print(
            f"| {variant} | {method} | {mean('epochs'):.1f} | {mean('seconds'):.1f} | "
            f"{mean('ap'):.3f} | {mean('bal_acc_trained'):.3f} | "
            f"{mean('bal_acc_balanced'):.3f} |"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e5,2e5")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--out", default=str(HERE / "results" / "stopping.json"))
    args = parser.parse_args(argv)
    rows = []
    for size in (int(float(s)) for s in args.sizes.split(",")):
        for seed in range(args.seeds):
            rows += run(size, seed, args.variants.split(","), args.methods.split(","))
    _summary(rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
