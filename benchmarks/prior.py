"""One fit, two answers: probabilities and decisions under the ``prior`` parameter.

Binary: ``make_classification(20000, 30, weights=[0.98], flip_y=0,
class_sep=1, random_state=0)``, StandardScaler, a stratified 30% test split.
Nets with skimb's defaults (SimpleNet with 256 hidden units, batch 64, Adam at
1e-3) at 5 and 20 epochs. Rows: the plain net; the weighted-loss net as
trained (``prior=None``), with ``prior='train'`` and with
``prior='balanced'``; the plain net with ``prior='balanced'`` (post-hoc logit
adjustment). Columns: log loss, Brier score, mean predicted probability of
the rare class (its test frequency in the header) and balanced accuracy.

At 20 epochs it also asks whether a temperature fitted on a validation split
closes the log-loss gap between the plain net and the weighted net with
``prior='train'``: both nets are refitted on 80% of the training part, and a
temperature is fitted on the other 20% (minimum log loss), by hand (a scalar
``T`` dividing the log-probabilities as trained, before the prior is moved,
or those for ``prior='train'``, after it) and with scikit-learn's
``CalibratedClassifierCV(FrozenEstimator(...), method='temperature')``.

Multiclass: ``make_classification`` with 4 classes, weights
``[0.85, 0.1, 0.04, 0.01]``, the same split and nets, 10 epochs.

    .venv/bin/python benchmarks/prior.py            # prints the tables
"""

import argparse
import time

import numpy as np
import torch
from scipy.optimize import minimize_scalar
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import make_classification
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import balanced_accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skimb import NetClassifier, WeightedLossClassifier
from skimb.estimators._prior import check_prior, shift_log_proba

NET = dict(random_state=0, device="cpu")


def _data(n_classes=2, weights=(0.98,), seed=0):
    X, y = make_classification(
        n_samples=20_000,
        n_features=30,
        n_informative=5 if n_classes > 2 else 2,
        n_classes=n_classes,
        weights=list(weights),
        flip_y=0,
        class_sep=1,
        random_state=seed,
    )
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
    )


def _brier(y, proba, classes):
    onehot = (y[:, None] == classes[None, :]).astype(np.float64)
    if len(classes) == 2:  # scikit-learn's binary Brier score
        return float(np.mean((proba[:, 1] - onehot[:, 1]) ** 2))
    return float(np.mean(((proba - onehot) ** 2).sum(1)))


def _row(name, y, proba, classes):
    proba = np.asarray(proba, dtype=np.float64)
    proba = proba / proba.sum(1, keepdims=True)  # float32 rounding
    return (
        name,
        log_loss(y, proba, labels=classes),
        _brier(y, proba, classes),
        float(proba[:, -1].mean()),
        balanced_accuracy_score(y, classes[proba.argmax(1)]),
    )


def _table(title, rows, rare_rate):
    print(f"\n{title}")
    print(
        f"| model | log loss | Brier | mean p(rare) (test rate {rare_rate:.4f}) "
        "| balanced accuracy |"
    )
    print("|---|---:|---:|---:|---:|")
    for name, ll, brier, mean_p, bal in rows:
        print(f"| {name} | {ll:.4f} | {brier:.4f} | {mean_p:.4f} | {bal:.4f} |")


def _rows(net, weighted, X, y):
    classes = net.classes_
    out = [
        _row("NetClassifier", y, net.set_params(prior=None).predict_proba(X), classes)
    ]
    for prior in (None, "train", "balanced"):
        proba = weighted.set_params(prior=prior).predict_proba(X)
        out.append(_row(f"WeightedLoss prior={prior!r}", y, proba, classes))
    proba = net.set_params(prior="balanced").predict_proba(X)
    out.append(_row("NetClassifier prior='balanced'", y, proba, classes))
    net.set_params(prior=None)
    weighted.set_params(prior=None)
    return out


def _log_proba(clf, X):
    with torch.no_grad():
        logits = clf.forward(X)
    return torch.log_softmax(logits, dim=-1).double()


def _tempered(clf, X, T, prior, after):
    """The probabilities for ``prior`` with a temperature ``T`` on the
    log-probabilities as trained (``after=False``) or on those for ``prior``."""
    pi = check_prior(prior, classes=clf.classes_, class_prior=clf.class_prior_)
    log_p = _log_proba(clf, X)
    if after:
        log_p = torch.log(shift_log_proba(log_p, pi, clf.training_prior_))
        return torch.softmax(log_p / T, dim=-1).numpy()
    log_p = torch.log_softmax(log_p / T, dim=-1)
    return shift_log_proba(log_p, pi, clf.training_prior_).numpy()


def _fit_temperature(clf, X_val, y_val, after, prior="train"):
    index = np.searchsorted(clf.classes_, y_val)

    def nll(log_t):
        p = _tempered(clf, X_val, float(np.exp(log_t)), prior, after)
        return -np.log(np.clip(p[np.arange(len(index)), index], 1e-12, None)).mean()

    res = minimize_scalar(nll, bounds=(-3, 3), method="bounded")
    return float(np.exp(res.x))


def binary(epochs_list=(5, 20)):
    X_train, X_test, y_train, y_test = _data()
    rare = float((y_test == 1).mean())
    for epochs in epochs_list:
        t0 = time.perf_counter()
        net = NetClassifier(max_epochs=epochs, **NET).fit(X_train, y_train)
        wl = WeightedLossClassifier(max_epochs=epochs, **NET).fit(X_train, y_train)
        rows = _rows(net, wl, X_test, y_test)
        _table(
            f"Binary, 2% positives, {epochs} epochs ({time.perf_counter() - t0:.0f} s)",
            rows,
            rare,
        )
    return X_train, X_test, y_train, y_test


def temperature(data, epochs=20):
    X_train, X_test, y_train, y_test = data
    X_fit, X_val, y_fit, y_val = train_test_split(
        X_train, y_train, test_size=0.2, stratify=y_train, random_state=0
    )
    net = NetClassifier(max_epochs=epochs, **NET).fit(X_fit, y_fit)
    wl = WeightedLossClassifier(max_epochs=epochs, **NET).fit(X_fit, y_fit)
    classes = net.classes_
    rows = []
    for name, clf in (("NetClassifier", net), ("WeightedLoss prior='train'", wl)):
        clf.set_params(prior="train")
        rows.append(_row(name, y_test, clf.predict_proba(X_test), classes))
        for after in (False, True):
            T = _fit_temperature(clf, X_val, y_val, after)
            proba = _tempered(clf, X_test, T, "train", after)
            where = "after" if after else "before"
            label = f"{name} + T={T:.2f} {where} the prior"
            rows.append(_row(label, y_test, proba, classes))
        cal = CalibratedClassifierCV(FrozenEstimator(clf), method="temperature")
        cal.fit(X_val, y_val)
        rows.append(
            _row(
                f"{name} + CalibratedClassifierCV(temperature)",
                y_test,
                cal.predict_proba(X_test),
                classes,
            )
        )
    _table(
        f"Binary, {epochs} epochs, trained on 80% of the training part; "
        "temperature fitted on the other 20%",
        rows,
        float((y_test == 1).mean()),
    )


def multiclass(epochs=10):
    weights = (0.85, 0.1, 0.04, 0.01)
    X_train, X_test, y_train, y_test = _data(n_classes=4, weights=weights)
    t0 = time.perf_counter()
    net = NetClassifier(max_epochs=epochs, **NET).fit(X_train, y_train)
    wl = WeightedLossClassifier(max_epochs=epochs, **NET).fit(X_train, y_train)
    rows = _rows(net, wl, X_test, y_test)
    _table(
        f"Multiclass, 4 classes at {list(weights)}, {epochs} epochs "
        f"({time.perf_counter() - t0:.0f} s); mean p and the rare class are "
        "class 3's",
        rows,
        float((y_test == 3).mean()),
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    data = binary()
    temperature(data)
    multiclass()
    print(f"\ntotal {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
