"""Synthetic fraud-like tables for the scale benchmarks.

``fraud_table(n)`` is ``n`` rows of 30 numeric columns with a rare positive
class (0.5 % by default): scikit-learn's ``make_classification`` with eight
informative and four redundant columns, the positives in two clusters, and a
little label noise, so that neither the plain net nor a linear model solves it
outright. The label column is ``label`` with values ``'fraud'`` and ``'ok'``.
"""

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification


def fraud_table(n_rows, positive_rate=0.005, n_features=30, seed=0):
    """A DataFrame of ``n_rows`` rows: ``n_features`` numeric columns and
    ``label`` ('fraud' at ``positive_rate``, else 'ok')."""
    X, y = make_classification(
        n_samples=int(n_rows),
        n_features=n_features,
        n_informative=8,
        n_redundant=4,
        n_clusters_per_class=2,
        weights=[1 - positive_rate],
        flip_y=0.001,
        class_sep=0.8,
        random_state=seed,
    )
    frame = pd.DataFrame(
        X.astype(np.float32), columns=[f"v{i}" for i in range(n_features)]
    )
    frame["label"] = np.where(y == 1, "fraud", "ok")
    return frame
