"""Oversampling through a class-weighted random sampler drawn on the device.

skimb draws the class-balanced batches on the training device (GPU when
present) instead of going through a per-sample DataLoader.

    python examples/oversampling.py                      # digits (embedded)
    python examples/oversampling.py --data-dir ~/data    # MNIST files there
"""

import argparse

import numpy as np
from sklearn.metrics import recall_score

from skimb import NetClassifier, WeightedSamplerClassifier
from skimb.datasets import load_dataset, make_imbalanced


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="folder with MNIST/raw (else: digits)")
    parser.add_argument("--max-epochs", type=int, default=20)
    args = parser.parse_args(argv)

    name = "mnist" if args.data_dir else "digits"
    data = load_dataset(name, data_dir=args.data_dir)
    X, y = make_imbalanced(data.X_train, data.y_train, recipe="seed", random_state=0)
    print("training counts per class:", np.bincount(y))

    scores = {}
    for Estimator in (NetClassifier, WeightedSamplerClassifier):
        clf = Estimator(max_epochs=args.max_epochs, random_state=0).fit(X, y)
        recall = recall_score(data.y_test, clf.predict(data.X_test), average=None)
        scores[Estimator.__name__] = recall[1:].mean()
        print(
            f"{Estimator.__name__}: mean minority-class recall {recall[1:].mean():.3f}"
        )
    return scores


if __name__ == "__main__":
    main()
