"""How much of a smoothed net's output below the smoothing's share to keep.

A net trained with label smoothing ``e`` outputs at least ``e / K`` for
every class at the loss's minimum; ``unsmooth_log_proba`` maps its output
back to a posterior, and an output below that share gets ``floor * s``
(``s`` the unweighted output; ``min(m) / m_c`` on top for a weighted
class). This measures the held-out log loss at the training prior and the
ROC-AUC for floors of a millionth, a hundredth, a tenth and a smooth
``s - a * (1 - exp(-s / a))``, on two synthetic problems with 3 %
positives, for the plain net, the weighted loss and the weighted sampler
smoothed at 0.2. The ROC-AUC does not move: every floor keeps the order.

    .venv/bin/python benchmarks/unsmoothing.py
"""

import warnings

import torch
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss, roc_auc_score

import skimb.estimators._net as net_module
from skimb import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier

FLOORS = (1e-6, 0.01, 0.1, "smooth")


def _unsmooth(floor):
    def unsmooth(log_proba, smoothing, log_multiplier=None):
        k = log_proba.shape[-1]
        log_m = torch.zeros(k) if log_multiplier is None else log_multiplier
        log_m = log_m.to(log_proba)
        s = torch.softmax(log_proba - log_m, -1)
        share = smoothing / k
        if floor == "smooth":
            p = s - share * (1 - torch.exp(-s / share))
        else:
            p = torch.maximum(s - share, s * floor * torch.exp(log_m.min() - log_m))
        return torch.log_softmax(p.clamp_min(1e-30).log() + log_m, -1)

    return unsmooth


def main():
    warnings.simplefilter("ignore")
    nets = {
        "plain": NetClassifier,
        "weighted-loss": WeightedLossClassifier,
        "weighted-sampler": WeightedSamplerClassifier,
    }
    kept = net_module.unsmooth_log_proba
    for seed in (0, 1):
        X, y = make_classification(
            6000, n_features=10, weights=[0.97], flip_y=0.01, random_state=seed
        )
        X = X.astype("float32")
        X_test, y_test, X, y = X[4000:], y[4000:], X[:4000], y[:4000]
        for name, cls in nets.items():
            cells = []
            for floor in FLOORS:
                net_module.unsmooth_log_proba = _unsmooth(floor)
                model = cls(
                    criterion__label_smoothing=0.2,
                    max_epochs=20,
                    module__hidden_units=32,
                    random_state=0,
                    device="cpu",
                ).fit(X, y)
                p = model.set_params(prior="train").predict_proba(X_test)[:, 1]
                cells.append(
                    f"{floor}: {log_loss(y_test, p):.4f} "
                    f"(AUC {roc_auc_score(y_test, p):.3f})"
                )
            net_module.unsmooth_log_proba = kept
            print(f"seed {seed}, {name}: " + " | ".join(cells), flush=True)


if __name__ == "__main__":
    main()
