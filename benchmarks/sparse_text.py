"""Sparse text: a net on TF-IDF rows against balanced logistic regression.

15,000 synthetic documents (Zipf-distributed words; 2 % positives, which
use a few of 40 signal words more often, as negatives do now and then),
TF-IDF of unigrams (5,000 columns) and of unigrams and bigrams (several
hundred thousand columns; the nets there have 32 hidden units), a
stratified quarter held out. Each matrix
stays sparse: ``WeightedLossClassifier`` with its defaults (early stopping
on tables this size, the data's batch size) and with L2 weight decay
(``optimizer__weight_decay=1e-2``), and logistic regression with balanced
class weights. Reported: held-out AP, fit time, and the peak
resident memory the fit added.

    .venv/bin/python benchmarks/sparse_text.py
    .venv/bin/python benchmarks/sparse_text.py --only unigrams

Run it on an otherwise idle machine. Results are printed and written to
``benchmarks/results/sparse_text.json``.
"""

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score
from sklearn.model_selection import train_test_split

from skimb import WeightedLossClassifier

HERE = Path(__file__).resolve().parent


def documents(n=15_000, vocabulary=5_000, positive_rate=0.02, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < positive_rate).astype(int)
    ranks = np.arange(1, vocabulary + 1)
    p = 1.0 / ranks**1.1
    p /= p.sum()
    signal = rng.choice(np.arange(200, vocabulary), size=40, replace=False)
    docs = []
    for label in y:
        words = rng.choice(vocabulary, size=rng.poisson(80) + 5, p=p)
        k = rng.poisson(3.0 if label else 0.3)
        if k:
            words = np.concatenate([words, rng.choice(signal, size=k)])
            rng.shuffle(words)
        docs.append(" ".join(f"w{w}" for w in words))
    return docs, y


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_case(name, ngrams, net, docs, y):
    X = TfidfVectorizer(ngram_range=ngrams, sublinear_tf=True).fit_transform(docs)
    X = X.astype(np.float32)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    print(f"{name}: {X.shape[0]} x {X.shape[1]}, {X.nnz} non-zeros", flush=True)
    models = {
        "logreg (balanced)": LogisticRegression(class_weight="balanced", max_iter=2000),
        "weighted-loss net": WeightedLossClassifier(random_state=0, **net),
        # L2 on the weights, as logistic regression has: the words a batch
        # does not hold get no data gradient, only the decay.
        "weighted-loss net, L2 1e-2": WeightedLossClassifier(
            random_state=0, optimizer__weight_decay=1e-2, **net
        ),
        # The same, tuned for time: 32 hidden units, batches of 1,024 at a
        # learning rate of 1e-2 (fewer, larger steps over the dense first
        # layer's 5,000 x 32 weights).
        "weighted-loss net, L2, fast": WeightedLossClassifier(
            random_state=0,
            optimizer__weight_decay=1e-2,
            **{
                **net,
                "module__hidden_units": 32,
                "batch_size": 1024,
                "lr": 1e-2,
            },
        ),
    }
    rows = {}
    for label, model in models.items():
        before = _peak_mb()
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        ap = average_precision_score(y_test, model.predict_proba(X_test)[:, 1])
        rows[label] = {"ap": ap, "fit_s": seconds, "added_mib": _peak_mb() - before}
        print(
            f"  {label:18} held-out AP {ap:.3f}  fit {seconds:.1f} s  peak memory "
            f"+{rows[label]['added_mib']:.0f} MiB",
            flush=True,
        )
    lin = rows["logreg (balanced)"]
    for label in (
        "weighted-loss net",
        "weighted-loss net, L2 1e-2",
        "weighted-loss net, L2, fast",
    ):
        net = rows[label]
        print(
            f"  {label}: AP {net['ap'] - lin['ap']:+.3f} against logistic "
            f"regression (goal >= -0.05) in {net['fit_s'] / lin['fit_s']:.0f}x its "
            "time (goal <= 10x)",
            flush=True,
        )
    return {"shape": list(X.shape), "nnz": int(X.nnz), "models": rows}


# The n-grams, and the net's settings: on the bigrams' hundreds of
# thousands of columns a hidden layer of 256 would hold 10^8 weights, each
# updated densely by Adam at every step; 32 keeps an epoch in seconds.
CASES = {
    "unigrams": ((1, 1), {}),
    "bigrams": ((1, 2), {"module__hidden_units": 32}),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(CASES))
    parser.add_argument("--out", default=str(HERE / "results" / "sparse_text.json"))
    args = parser.parse_args()
    docs, y = documents()
    results = {"started": time.ctime(), "positives": int(y.sum())}
    for name in args.only.split(","):
        results[name] = run_case(name, *CASES[name], docs, y)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
