"""SimpleNet, the default network."""

import numpy as np
from sklearn.model_selection import GridSearchCV

from skimb import NetClassifier


def test_numpy_int_hidden_units_in_a_grid(gauss60):
    X = gauss60
    y = np.arange(60) % 2
    grid = GridSearchCV(
        NetClassifier(max_epochs=1, device="cpu"),
        {"module__hidden_units": np.array([4, 8])},
        cv=2,
    ).fit(X, y)
    assert grid.best_estimator_.module_.fc1.out_features in (4, 8)
