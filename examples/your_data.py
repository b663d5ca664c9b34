"""Compare the methods on a table of your own: a fraud-like CSV, end to end.

Writes ``transactions.csv`` (numeric, categorical and missing values, string
labels, 3 % fraud), then runs the default comparison on it, as

    skimb compare --data transactions.csv --target label

and prints the leaderboard and the verdict.

python examples/your_data.py [--rows 4000] [--max-epochs N] [--output DIR]
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification

import skimb
from skimb.evaluation._report import format_leaderboard, format_verdict


def write_transactions(path, rows=4000, seed=0):
    """A transactions table in which 3 % of the rows are fraud."""
    rng = np.random.default_rng(seed)
    X, y = make_classification(
        rows,
        n_features=6,
        n_informative=4,
        weights=[0.97],
        flip_y=0.01,
        class_sep=0.8,
        random_state=seed,
    )
    frame = pd.DataFrame(X, columns=[f"v{i}" for i in range(6)])
    frame["amount"] = np.round(np.exp(3 + X[:, 0] + rng.normal(0, 0.5, rows)), 2)
    # A categorical column that carries some signal, and missing values.
    frame["channel"] = np.where(
        (y == 1) & (rng.random(rows) < 0.5),
        "web",
        rng.choice(["web", "store", "phone"], rows, p=[0.3, 0.5, 0.2]),
    )
    frame.loc[rng.random(rows) < 0.05, "amount"] = np.nan
    frame.loc[rng.random(rows) < 0.02, "channel"] = None
    frame["label"] = np.where(y == 1, "fraud", "ok")
    frame.to_csv(path, index=False)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--max-epochs", type=int, default=None)
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--output", default="skimb-results-transactions")
    args = parser.parse_args(argv)

    Path(args.output).mkdir(parents=True, exist_ok=True)
    path = write_transactions(Path(args.output) / "transactions.csv", args.rows)
    result = skimb.compare(
        str(path),
        target="label",
        cv=args.cv,
        max_epochs=args.max_epochs,
        output=args.output,
        progress=False,
    )
    print(format_leaderboard(result))
    print()
    print(format_verdict(result))
    return result


if __name__ == "__main__":
    main()
