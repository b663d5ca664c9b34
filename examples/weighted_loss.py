"""Inverse-frequency class weights in the cross-entropy loss, on imbalanced digits.

Class 0 keeps 90% of its training samples, every other class 10%; the test
part stays whole so every class's recall is measured.

    python examples/weighted_loss.py                      # digits (embedded)
    python examples/weighted_loss.py --data-dir ~/data    # MNIST files there
"""

import argparse

from sklearn.metrics import classification_report, recall_score

from skimb import NetClassifier, WeightedLossClassifier
from skimb.datasets import load_dataset, make_imbalanced


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="folder with MNIST/raw (else: digits)")
    parser.add_argument("--max-epochs", type=int, default=20)
    args = parser.parse_args(argv)

    name = "mnist" if args.data_dir else "digits"
    data = load_dataset(name, data_dir=args.data_dir)
    X, y = make_imbalanced(data.X_train, data.y_train, recipe="seed", random_state=0)

    scores = {}
    for Estimator in (NetClassifier, WeightedLossClassifier):
        clf = Estimator(max_epochs=args.max_epochs, random_state=0).fit(X, y)
        y_pred = clf.predict(data.X_test)
        recall = recall_score(data.y_test, y_pred, average=None)
        scores[Estimator.__name__] = recall[1:].mean()
        print(
            f"{Estimator.__name__}: mean minority-class recall {recall[1:].mean():.3f}"
        )
        if hasattr(clf, "class_weight_"):
            print("class weights:", clf.class_weight_.round(2))
            print(classification_report(data.y_test, y_pred, digits=3))
    return scores


if __name__ == "__main__":
    main()
