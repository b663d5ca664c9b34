"""imbalanced-learn resamplers in front of the same net, against skimb's weighting.

python examples/imblearn_pipelines.py
"""

import argparse

from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import make_pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.model_selection import StratifiedKFold, cross_val_score

from skimb import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier
from skimb.datasets import load_dataset, make_imbalanced


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-epochs", type=int, default=20)
    parser.add_argument("--cv", type=int, default=3)
    args = parser.parse_args(argv)

    data = load_dataset("digits")
    X, y = make_imbalanced(data.X_train, data.y_train, recipe="seed", random_state=0)
    net = dict(max_epochs=args.max_epochs, random_state=0)
    candidates = {
        "baseline": NetClassifier(**net),
        "random-over": make_pipeline(
            RandomOverSampler(random_state=0), NetClassifier(**net)
        ),
        "smote": make_pipeline(
            SMOTE(k_neighbors=3, random_state=0), NetClassifier(**net)
        ),
        "random-under": make_pipeline(
            RandomUnderSampler(random_state=0), NetClassifier(**net)
        ),
        "weighted-loss": WeightedLossClassifier(**net),
        "weighted-sampler": WeightedSamplerClassifier(**net),
    }
    cv = StratifiedKFold(args.cv, shuffle=True, random_state=0)
    scores = {}
    for name, estimator in candidates.items():
        s = cross_val_score(estimator, X, y, cv=cv, scoring="balanced_accuracy")
        scores[name] = s.mean()
        print(f"{name:>16}: balanced accuracy {s.mean():.3f} ± {s.std():.3f}")
    return scores


if __name__ == "__main__":
    main()
