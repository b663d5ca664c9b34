"""Tune ``class_weight`` and ``lr`` of the weighted-loss net for balanced accuracy.

python examples/grid_search.py
"""

import argparse

from sklearn.model_selection import GridSearchCV, StratifiedKFold

from skimb import WeightedLossClassifier
from skimb.datasets import load_dataset, make_imbalanced


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-epochs", type=int, default=20)
    parser.add_argument("--cv", type=int, default=3)
    args = parser.parse_args(argv)

    data = load_dataset("digits")
    X, y = make_imbalanced(data.X_train, data.y_train, recipe="seed", random_state=0)
    grid = GridSearchCV(
        WeightedLossClassifier(max_epochs=args.max_epochs, random_state=0),
        {"class_weight": [None, "balanced"], "lr": [1e-3, 3e-3]},
        scoring="balanced_accuracy",
        cv=StratifiedKFold(args.cv, shuffle=True, random_state=0),
    )
    grid.fit(X, y)
    print("best parameters:", grid.best_params_)
    print(f"CV balanced accuracy: {grid.best_score_:.3f}")
    print(f"test balanced accuracy: {grid.score(data.X_test, data.y_test):.3f}")
    return grid


if __name__ == "__main__":
    main()
