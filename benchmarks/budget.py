"""The training budget: fixed batch 64 against the data's rule, side by side.

For each data set, each candidate rule and each epochs cap, three nets are
fitted on a stratified 70 % training part (StandardScaler on it) and scored
on the other 30 %: the plain net (its decisions as trained and with
``prior='balanced'``, post-hoc logit adjustment, from the same fit) and the
weighted-loss net. Columns: the batch size and learning rate the fit used,
the epochs it trained, fit seconds (the balanced-prior row reuses the plain
net's fit), test
average precision of the rare class and test balanced accuracy.

Rules (``--rules``):

- ``fixed``: today's budget, batch 64, lr 1e-3, every epoch up to the cap;
- ``auto``: the estimators' defaults, ``batch_size='auto'`` (64 up to
  19,200 rows, then an epoch of 150 to 300 steps, at most 4096, lr scaled
  by ``sqrt(batch / 64)``) and ``early_stopping='auto'`` (a 10 % validation
  part above 10,000 training rows, patience 10, best epoch restored);
- ``auto-batch``: ``batch_size='auto'`` without early stopping;
- ``auto-stop``: ``batch_size='auto'`` with early stopping on every table;
- ``steps150`` / ``steps600``: the auto rule with at most 150 or 600 steps
  per epoch (``auto_batch_size(n, max_steps=...)``), early stopping 'auto'.

Data (``--data``): synthetic ``make_classification`` tables of 10^4 and 10^5
rows x 30 columns at 0.5 % positives (``synth:<rows>``), and KEEL sets
(``keel:<name>``, bundled with skimb).

    .venv/bin/python benchmarks/budget.py             # the full comparison
    .venv/bin/python benchmarks/budget.py --quick     # smoke run, seconds

Run it on an idle machine: the times are wall-clock.
"""

import argparse
import json
import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import average_precision_score, balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skimb import NetClassifier, WeightedLossClassifier
from skimb.datasets import load_benchmark_dataset
from skimb.estimators import auto_batch_size, auto_lr

DATA = [
    "synth:10000",
    "synth:100000",
    "keel:yeast4",
    "keel:abalone19",
    "keel:page-blocks0",
    "keel:segment0",
]
LR = 1e-3


def _steps_rule(max_steps):
    def rule(n_train):
        batch = auto_batch_size(n_train, max_steps=max_steps)
        return dict(batch_size=batch, lr=auto_lr(LR, batch))

    return rule


#: name -> function of the training rows -> estimator settings.
RULES = {
    "fixed": lambda n: dict(batch_size=64, lr=LR, early_stopping=False),
    "auto": lambda n: dict(batch_size="auto", lr=LR),
    "auto-batch": lambda n: dict(batch_size="auto", lr=LR, early_stopping=False),
    "auto-stop": lambda n: dict(batch_size="auto", lr=LR, early_stopping=True),
    "steps150": _steps_rule(150),
    "steps600": _steps_rule(600),
}


def _load(name, seed):
    if name.startswith("synth:"):
        X, y = make_classification(
            n_samples=int(name.split(":")[1]),
            n_features=30,
            n_informative=5,
            weights=[0.995],
            flip_y=0,
            class_sep=1.0,
            random_state=seed,
        )
    else:
        data = load_benchmark_dataset(name)
        X, y = data.X, data.y
    classes, y = np.unique(y, return_inverse=True)
    rare = int(np.argmin(np.bincount(y)))
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)
    f32 = np.float32
    return (
        scaler.transform(X_train).astype(f32),
        scaler.transform(X_test).astype(f32),
        y_train,
        y_test,
        rare,
    )


def _scores(clf, X_test, y_test, rare):
    proba = clf.predict_proba(X_test)[:, rare]
    ap = average_precision_score(y_test == rare, proba)
    return ap, balanced_accuracy_score(y_test, clf.predict(X_test))


def _run_one(data, rule, cap, seed, hidden):
    X_train, X_test, y_train, y_test, rare = data
    settings = dict(
        RULES[rule](len(y_train)),
        max_epochs=cap,
        module__hidden_units=hidden,
        random_state=seed,
    )
    rows = []
    for name, cls in (
        ("net", NetClassifier),
        ("weighted-loss", WeightedLossClassifier),
    ):
        clf = cls(**settings)
        start = time.perf_counter()
        clf.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        priors = [(name, None)]
        if name == "net":  # the same fit, decisions for equal priors
            priors.append(("net+balanced-prior", "balanced"))
        for label, prior in priors:
            ap, ba = _scores(clf.set_params(prior=prior), X_test, y_test, rare)
            rows.append(
                dict(
                    rule=rule,
                    cap=cap,
                    method=label,
                    batch=clf.batch_size_,
                    lr=clf.lr_,
                    epochs=clf.n_epochs_,
                    seconds=seconds,
                    ap=ap,
                    balanced_accuracy=ba,
                )
            )
    return rows


def _print(name, rows):
    print(f"\n## {name}\n")
    head = "| rule | cap | method | batch | lr | epochs | seconds | AP | bal. acc. |"
    print(head)
    print("|---" * 9 + "|")
    for r in rows:
        print(
            f"| {r['rule']} | {r['cap']} | {r['method']} | {r['batch']} | "
            f"{r['lr']:.2g} | {r['epochs']:.1f} | {r['seconds']:.1f} | "
            f"{r['ap']:.3f} | {r['balanced_accuracy']:.3f} |"
        )


def _mean_rows(runs):
    """Rows averaged over seeds (same rule, cap and method)."""
    out = []
    for group in zip(*runs, strict=True):
        first = dict(group[0])
        for key in ("epochs", "seconds", "ap", "balanced_accuracy"):
            first[key] = float(np.mean([r[key] for r in group]))
        out.append(first)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=",".join(DATA))
    parser.add_argument("--rules", default="fixed,auto,auto-batch,auto-stop")
    parser.add_argument("--caps", default="15,30,60", help="max_epochs caps")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--out", default=None, help="JSON of every row")
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    args = parser.parse_args(argv)
    names, rules = args.data.split(","), args.rules.split(",")
    caps = [int(c) for c in args.caps.split(",")]
    if args.quick:
        names, rules, caps, args.hidden = (
            ["synth:3000", "keel:ecoli1"],
            rules[:2],
            [2],
            8,
        )
    unknown = set(rules) - set(RULES)
    if unknown:
        parser.error(f"unknown rules {sorted(unknown)}; choose from {sorted(RULES)}")
    results = {}
    for name in names:
        runs = []
        for seed in range(args.seeds):
            data = _load(name, seed)
            runs.append(
                [
                    row
                    for rule in rules
                    for cap in caps
                    for row in _run_one(data, rule, cap, seed, args.hidden)
                ]
            )
        results[name] = _mean_rows(runs)
        _print(name, results[name])
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
