"""Early stopping: the split, the score, the stop, the restore, the errors."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from _same_fit import assert_same_fit, stacked_groups
from sklearn.base import clone
from sklearn.metrics import average_precision_score, balanced_accuracy_score
from skorch.callbacks import EpochTimer
from skorch.dataset import ValidSplit

import skimb
from skimb import (
    NetClassifier,
    WeightedLossClassifier,
    WeightedSamplerClassifier,
    fit_many,
)
from skimb.estimators import auto_patience
from skimb.estimators._early_stopping import validation_split
from skimb.estimators._stopping_scores import (
    STOPPING_SCORES,
    average_precision,
    balanced_accuracy,
    balanced_log_loss,
)

# Enough capacity and step size to overfit 300 noisy rows within a few epochs.
OVERFIT = dict(
    max_epochs=60,
    lr=0.03,
    module__hidden_units=64,
    n_iter_no_change=4,
    random_state=0,
    device="cpu",
)


def _noisy(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    y = (X[:, 0] + 0.5 * rng.normal(size=n) > 1.0).astype(int)
    flip = rng.random(n) < 0.15
    y[flip] = 1 - y[flip]
    return X, y


@pytest.fixture(scope="module")
def noisy():
    """A training and a validation set with 15 % flipped labels."""
    return (*_noisy(300, 0), *_noisy(200, 1))


# ---- the split ------------------------------------------------------------------


@pytest.mark.parametrize("counts", [[18, 2], [500, 50, 5], [7, 3, 2, 100]])
@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_the_split_is_stratified_and_keeps_every_class(counts, fraction):
    y = np.repeat(np.arange(len(counts)), counts)
    np.random.default_rng(0).shuffle(y)
    train, valid = validation_split(y, fraction, seed=3)
    assert np.array_equal(np.sort(np.r_[train, valid]), np.arange(len(y)))
    in_train = np.bincount(y[train], minlength=len(counts))
    in_valid = np.bincount(y[valid], minlength=len(counts))
    assert (in_train >= 1).all() and (in_valid >= 1).all()
    expected = np.clip(np.rint(fraction * np.array(counts)), 1, np.array(counts) - 1)
    np.testing.assert_array_equal(in_valid, expected)


def test_the_split_is_seeded():
    y = np.repeat([0, 1], [90, 10])
    first = validation_split(y, 0.2, seed=1)[1]
    assert np.array_equal(first, validation_split(y, 0.2, seed=1)[1])
    assert not np.array_equal(first, validation_split(y, 0.2, seed=2)[1])


def test_a_class_of_one_row_cannot_be_split():
    with pytest.raises(ValueError, match=r"classes \[1\] have fewer than 2 rows"):
        validation_split(np.array([0, 0, 0, 1]), 0.5, seed=0)


# ---- the score -----------------------------------------------------------------


def test_the_balanced_log_loss_ignores_the_training_prior():
    y = torch.tensor([0, 0, 0, 1])
    # The same balanced posteriors, estimated under two training priors.
    balanced = torch.tensor([[0.8, 0.2], [0.7, 0.3], [0.6, 0.4], [0.3, 0.7]])
    prior = np.array([0.9, 0.1])
    skewed = balanced * torch.tensor(prior, dtype=torch.float32)
    skewed = skewed / skewed.sum(1, keepdim=True)
    a = balanced_log_loss(balanced.log(), y, [0.5, 0.5])
    b = balanced_log_loss(skewed.log(), y, prior)
    assert float(a) == pytest.approx(float(b), rel=1e-5)
    # The mean over classes of each class's mean: the minority counts half.
    expected = (-np.log([0.8, 0.7, 0.6]).mean() - np.log(0.7)) / 2
    assert float(a) == pytest.approx(expected, rel=1e-5)


# ---- the stop and the restore ---------------------------------------------------


def _sklearn_score(score, proba, y, prior):
    """The monitored score by scikit-learn's metrics (an independent check)."""
    balanced = proba / np.asarray(prior)
    balanced = balanced / balanced.sum(1, keepdims=True)
    if score == "average_precision":
        rare = int(np.argmin(np.bincount(y)))
        return average_precision_score(y == rare, proba[:, rare])
    if score == "balanced_accuracy":
        return balanced_accuracy_score(y, balanced.argmax(1))
    return np.mean([-np.log(balanced[y == c, c]).mean() for c in np.unique(y)])


@pytest.mark.parametrize("score", list(STOPPING_SCORES))
def test_training_stops_and_the_best_epoch_is_restored(noisy, score):
    X, y, Xv, yv = noisy
    clf = NetClassifier(early_stopping=True, early_stopping_score=score, **OVERFIT).fit(
        X, y, X_val=Xv, y_val=yv
    )
    scores = clf.history_[:, f"valid_{score}"]
    higher_is_better = STOPPING_SCORES[score][1]
    best = max(scores) if higher_is_better else min(scores)
    assert clf.do_early_stopping_
    assert clf.n_epochs_ == len(clf.history_) < OVERFIT["max_epochs"]
    assert clf.n_epochs_ == clf.best_epoch_ + OVERFIT["n_iter_no_change"]
    # The first epoch of the best score (a later tie is no improvement).
    assert clf.best_validation_score_ == best == scores[clf.best_epoch_ - 1]
    assert scores.index(best) == clf.best_epoch_ - 1
    # The restored weights are the best epoch's: those of a fit that ends there.
    short = NetClassifier(early_stopping=False, **OVERFIT)
    short.set_params(max_epochs=clf.best_epoch_).fit(X, y)
    for p, q in zip(clf.module_.parameters(), short.module_.parameters(), strict=True):
        assert torch.equal(p, q)
    np.testing.assert_array_equal(clf.predict_proba(Xv), short.predict_proba(Xv))
    restored = _sklearn_score(score, clf.predict_proba(Xv), yv, clf.training_prior_)
    assert restored == pytest.approx(clf.best_validation_score_, rel=1e-4)


def test_the_scores_equal_scikit_learns_with_ties_and_many_classes(rng):
    y = rng.choice(3, size=400, p=[0.8, 0.15, 0.05])
    proba = rng.dirichlet(np.ones(3), size=400)
    proba[:50] = proba[0]  # ties across classes
    proba = np.round(proba, 2) + 1e-3  # and many more within a class
    proba /= proba.sum(1, keepdims=True)
    log_p, yt = torch.log(torch.as_tensor(proba)), torch.as_tensor(y)
    prior = np.array([0.7, 0.2, 0.1])
    # scikit-learn ranks the same log-probabilities (the log can merge two
    # probabilities one rounding apart into a tie).
    logs = log_p.numpy()
    macro = np.mean([average_precision_score(y == c, logs[:, c]) for c in range(3)])
    assert float(average_precision(log_p, yt, prior)) == pytest.approx(macro, 1e-12)
    binary = (y > 0).astype(int)  # the rarer of two classes is scored
    two = np.c_[proba[:, 0], 1 - proba[:, 0]]
    got = average_precision(
        torch.log(torch.as_tensor(two)), torch.as_tensor(binary), prior[:2]
    )
    assert float(got) == pytest.approx(
        average_precision_score(binary, two[:, 1]), 1e-12
    )
    moved = proba / prior
    assert float(balanced_accuracy(log_p, yt, prior)) == pytest.approx(
        balanced_accuracy_score(y, moved.argmax(1)), 1e-12
    )
    assert float(balanced_log_loss(log_p, yt, prior)) == pytest.approx(
        _sklearn_score("balanced_log_loss", proba, y, prior), 1e-6
    )


def test_average_precision_of_a_part_without_both_classes_is_nan():
    log_p = torch.log(torch.tensor([[0.9, 0.1], [0.8, 0.2]]))
    assert np.isnan(float(average_precision(log_p, torch.tensor([0, 0]), [0.5, 0.5])))


def test_the_held_out_part_is_used_without_x_val(noisy):
    X, y, _, _ = noisy
    clf = NetClassifier(early_stopping=True, **OVERFIT).fit(X, y)
    assert clf.do_early_stopping_ and clf.n_epochs_ < OVERFIT["max_epochs"]
    # 10 % of each class held out: the epochs train on the rest.
    n_train = len(y) - sum(max(1, round(0.1 * c)) for c in np.bincount(y))
    sizes = [64] * (n_train // 64) + [n_train % 64]
    assert clf.history_[0, "batches", :, "train_batch_size"] == sizes
    again = NetClassifier(early_stopping=True, **OVERFIT).fit(X, y)
    assert (
        again.history_[:, "valid_average_precision"]
        == clf.history_[:, "valid_average_precision"]
    )


def test_a_fixed_validation_set_decides(noisy):
    X, y, Xv, yv = noisy
    loss = dict(OVERFIT, early_stopping_score="balanced_log_loss")
    kept = NetClassifier(early_stopping=True, **loss).fit(X, y, X_val=Xv, y_val=yv)
    shifted = NetClassifier(early_stopping=True, **loss)
    shifted.fit(X, y, X_val=Xv, y_val=1 - yv)
    assert shifted.best_epoch_ != kept.best_epoch_
    # 'auto' stops early whenever a validation set is given.
    auto = NetClassifier(**loss).fit(X, y, X_val=Xv, y_val=yv)
    assert auto.do_early_stopping_ and auto.best_epoch_ == kept.best_epoch_
    flag = NetClassifier(early_stopping=np.True_, **OVERFIT).fit(X, y)
    assert flag.do_early_stopping_


def test_auto_holds_out_above_ten_thousand_rows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10_001, 2)).astype(np.float32)
    y = (X[:, 0] > 1).astype(int)
    tiny = dict(max_epochs=1, module__hidden_units=4, device="cpu", random_state=0)
    big = NetClassifier(**tiny).fit(X, y)
    assert big.do_early_stopping_ and big.best_epoch_ == 1
    assert big.history_[-1, "valid_average_precision"] > 0
    small = NetClassifier(**tiny).fit(X[:10_000], y[:10_000])
    assert not small.do_early_stopping_ and small.best_epoch_ is None
    assert "valid_average_precision" not in small.history_[-1]


def test_without_early_stopping_every_epoch_trains(two_classes):
    X, y = two_classes
    clf = NetClassifier(max_epochs=4, device="cpu").fit(X, y)
    assert not clf.do_early_stopping_
    assert clf.n_epochs_ == 4
    assert clf.best_epoch_ is None and clf.best_validation_score_ is None
    clf.partial_fit(X, y)
    assert clf.n_epochs_ == 4 and len(clf.history_) == 8


def test_a_class_too_small_to_split_turns_it_off_with_a_warning(two_classes):
    X, y = two_classes
    y = y.copy()
    y[0] = "c"  # one row only
    clf = NetClassifier(max_epochs=3, early_stopping=True, device="cpu")
    with pytest.warns(UserWarning, match=r"early stopping is off .*\['c'\].*single"):
        clf.fit(X, y)
    assert not clf.do_early_stopping_ and clf.n_epochs_ == 3


# ---- inputs --------------------------------------------------------------------


@pytest.mark.parametrize(
    "Estimator", [NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier]
)
def test_string_labels_and_sparse_input(noisy, Estimator):
    X, y, Xv, yv = noisy
    labels = np.array(["no", "yes"])
    clf = Estimator(early_stopping=True, **OVERFIT)
    clf.fit(sp.csr_matrix(X), labels[y], X_val=sp.csr_matrix(Xv), y_val=labels[yv])
    assert clf.do_early_stopping_ and clf.n_epochs_ < OVERFIT["max_epochs"]
    assert set(clf.predict(Xv)) <= set(labels)
    dense = Estimator(early_stopping=True, **OVERFIT).fit(X, y, X_val=Xv, y_val=yv)
    assert dense.best_epoch_ == clf.best_epoch_


def test_pickle_clone_and_save_after_early_stopping(noisy, tmp_path):
    X, y, Xv, yv = noisy
    clf = WeightedLossClassifier(early_stopping=True, **OVERFIT).fit(X, y)
    assert "_run" not in clf.__dict__
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(Xv), clf.predict_proba(Xv))
    assert restored.best_epoch_ == clf.best_epoch_
    twin = clone(clf).fit(X, y)
    assert twin.best_epoch_ == clf.best_epoch_
    np.testing.assert_array_equal(twin.predict_proba(Xv), clf.predict_proba(Xv))
    skimb.save(clf, tmp_path / "net.pt")
    loaded = skimb.load(tmp_path / "net.pt")
    attrs = ("best_epoch_", "best_validation_score_", "n_epochs_", "lr_")
    for attr in (*attrs, "n_iter_no_change_"):
        assert getattr(loaded, attr) == getattr(clf, attr)
        assert getattr(restored, attr) == getattr(clf, attr)
    assert loaded.n_iter_no_change_ == OVERFIT["n_iter_no_change"]
    assert loaded.do_early_stopping_ is True
    np.testing.assert_allclose(loaded.predict_proba(Xv), clf.predict_proba(Xv))


def test_warm_start_stops_each_fit_and_partial_fit_never(noisy):
    X, y, Xv, yv = noisy
    clf = NetClassifier(early_stopping=True, warm_start=True, **OVERFIT)
    clf.fit(X, y, X_val=Xv, y_val=yv)
    first = len(clf.history_)
    clf.fit(X, y, X_val=Xv, y_val=yv)
    # The second fit stops on its own epochs, counted on in history_.
    assert clf.n_epochs_ == len(clf.history_) - first < OVERFIT["max_epochs"]
    assert clf.best_epoch_ == len(clf.history_) - OVERFIT["n_iter_no_change"] > first
    part = NetClassifier(early_stopping=True, **{**OVERFIT, "max_epochs": 5})
    part.partial_fit(X, y)
    assert not part.do_early_stopping_ and part.n_epochs_ == 5


# ---- what does not combine -------------------------------------------------------


def test_errors(noisy):
    X, y, Xv, yv = noisy
    with pytest.raises(ValueError, match="early_stopping=False"):
        NetClassifier(early_stopping=False).fit(X, y, X_val=Xv, y_val=yv)
    with pytest.raises(ValueError, match="X_val is given but y_val is not"):
        NetClassifier().fit(X, y, X_val=Xv)
    with pytest.raises(ValueError, match="y_val is given but X_val is not"):
        NetClassifier().fit(X, y, y_val=yv)
    with pytest.raises(ValueError, match=r"y_val holds labels \[7\]"):
        NetClassifier().fit(X, y, X_val=Xv, y_val=np.full(len(yv), 7))
    with pytest.raises(ValueError, match="X_val has 200 samples and y_val 10"):
        NetClassifier().fit(X, y, X_val=Xv, y_val=yv[:10])
    with pytest.raises(ValueError, match="X has 3 features"):
        NetClassifier().fit(X, y, X_val=Xv[:, :3], y_val=yv)
    split = ValidSplit(4, stratified=True)
    with pytest.raises(ValueError, match="EarlyStopping callback"):
        NetClassifier(early_stopping=True, train_split=split).fit(X, y)
    with pytest.raises(ValueError, match="do not combine with a train_split"):
        NetClassifier(train_split=split).fit(X, y, X_val=Xv, y_val=yv)
    clf = NetClassifier()
    with pytest.raises(ValueError):
        clf.fit(X, y, X_val=Xv)
    assert not clf.initialized_ and not hasattr(clf, "classes_")


def test_a_user_train_split_works_as_before(noisy):
    X, y, _, _ = noisy
    big_x = np.repeat(X, 40, axis=0)[:12_000]
    big_y = np.repeat(y, 40)[:12_000]
    clf = NetClassifier(
        train_split=ValidSplit(4, stratified=True),
        max_epochs=1,
        module__hidden_units=4,
        device="cpu",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf.fit(big_x, big_y)
    assert not clf.do_early_stopping_
    assert {"valid_loss", "valid_bal_acc"} <= clf.history_[-1].keys()
    assert "valid_average_precision" not in clf.history_[-1]


# ---- in fit_many ------------------------------------------------------------------


def _stopping_nets():
    """Nets that stop at different epochs (one never), on fixed or held-out
    validation parts; all share one loop."""
    return [
        NetClassifier(early_stopping=True, **OVERFIT),
        WeightedLossClassifier(**{**OVERFIT, "n_iter_no_change": 2, "random_state": 1}),
        WeightedSamplerClassifier(
            early_stopping=True, **{**OVERFIT, "random_state": 2}
        ),
        NetClassifier(
            early_stopping=True,
            **{**OVERFIT, "n_iter_no_change": 60, "random_state": 3},
        ),
        NetClassifier(early_stopping=False, **{**OVERFIT, "random_state": 4}),
    ]


@pytest.fixture(scope="module")
def stopping_data(noisy):
    X, y, Xv, yv = noisy
    X2, y2 = _noisy(240, 2)
    return dict(
        Xs=[X, X2, X, X2, X],
        ys=[y, y2, y, y2, y],
        X_vals=[Xv, Xv, None, Xv, None],
        y_vals=[yv, yv, None, yv, None],
    )


@pytest.mark.filterwarnings("error::skimb.FitManyWarning")
def test_fit_many_stops_each_net_alone_as_its_own_fit(stopping_data):
    d = stopping_data
    separate = _stopping_nets()
    for est, X, y, Xv, yv in zip(separate, *d.values(), strict=True):
        est.fit(X, y, X_val=Xv, y_val=yv)
    calls = []
    with stacked_groups() as groups:
        together = fit_many(
            _stopping_nets(),
            **d,
            on_epoch=lambda done, total: calls.append((done, total)),
        )
    for a, b, X in zip(separate, together, d["Xs"], strict=True):
        assert_same_fit(a, b, X)
        assert (b.n_epochs_, b.best_epoch_) == (a.n_epochs_, a.best_epoch_)
    epochs = [est.n_epochs_ for est in together]
    assert len(set(epochs[:3])) == 3 and max(epochs[:3]) < 60  # each alone
    assert epochs[3:] == [60, 60] and together[3].best_epoch_ < 60
    assert [est.do_early_stopping_ for est in together] == [True] * 4 + [False]
    # The nets with the same number of batches trained in one loop.
    rows = [est.history_[0, "batches", :, "train_batch_size"] for est in together]
    by_steps = {}
    for est, r in zip(together, rows, strict=True):
        by_steps.setdefault(len(r), set()).add(id(est))
    assert sorted(map(sorted, (set(map(id, g)) for g in groups))) == sorted(
        map(sorted, by_steps.values())
    )
    assert max(len(g) for g in groups) >= 3
    # Progress in training rows: each stopped net's remaining epochs count as done.
    total = sum(sum(r) for r in rows) * 60
    assert {t for _, t in calls} == {total}
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] == total
    first_stop = min(epochs)
    first = [d for d in done if d > 0][first_stop - 1]
    assert first >= sum(sum(r) for r in rows if len(r) == len(rows[0])) * first_stop


def test_fit_many_reports_nets_trained_alone(noisy):
    X, y, _, _ = noisy
    odd = NetClassifier(callbacks=[EpochTimer()], **{**OVERFIT, "max_epochs": 3})
    single = NetClassifier(**{**OVERFIT, "max_epochs": 4})
    calls = []
    with pytest.warns(skimb.FitManyWarning, match="callbacks"):
        fit_many(
            [odd, single], [X, X], [y, y], on_epoch=lambda *args: calls.append(args)
        )
    total = len(X) * 3 + len(X) * 4
    assert calls == [(len(X) * (3 + k), total) for k in range(5)]


def test_fit_many_gives_each_net_the_patience_of_its_own_validation_part():
    def data(n_rare, seed):
        rng = np.random.default_rng(seed)
        y = np.r_[np.zeros(4 * n_rare, int), np.ones(n_rare, int)]
        flip = rng.random(len(y)) < 0.1
        X = (rng.normal(size=(len(y), 4)) + y[:, None]).astype(np.float32)
        return X, np.where(flip, 1 - y, y)

    X, y = data(80, 0)
    (Xa, ya), (Xb, yb) = data(50, 1), data(400, 2)
    params = {**OVERFIT, "n_iter_no_change": "auto"}

    def nets():
        return [NetClassifier(**params), WeightedLossClassifier(**params)]

    kwargs = dict(X_vals=[Xa, Xb], y_vals=[ya, yb])
    separate = [
        net.fit(X, y, X_val=Xv, y_val=yv)
        for net, Xv, yv in zip(nets(), [Xa, Xb], [ya, yb], strict=True)
    ]
    together = fit_many(nets(), [X, X], [y, y], **kwargs)
    rare = [int(np.bincount(v).min()) for v in (ya, yb)]
    assert rare[0] < 100 < 300 < rare[1]
    assert [net.n_iter_no_change_ for net in together] == [10, auto_patience(rare[1])]
    assert together[1].n_iter_no_change_ < 6
    for a, b in zip(separate, together, strict=True):
        assert_same_fit(a, b, X)
        assert (b.n_epochs_, b.best_epoch_) == (a.n_epochs_, a.best_epoch_)
        assert b.n_epochs_ == b.best_epoch_ + b.n_iter_no_change_ < 60


def test_deferred_reweighting_s_uniform_epochs_are_a_warm_up(noisy):
    X, y, Xv, yv = noisy
    plain = WeightedLossClassifier(early_stopping=True, **OVERFIT)
    plain.fit(X, y, X_val=Xv, y_val=yv)
    start = plain.n_epochs_ + 3  # later than the plain fit stops
    params = {**OVERFIT, "reweight_epoch": start}
    drw = WeightedLossClassifier(early_stopping=True, **params)
    drw.fit(X, y, X_val=Xv, y_val=yv)
    on = drw.history_[:, "class_weight_on"]
    assert not any(on[:start]) and all(on[start:])
    assert drw.best_epoch_ > start  # a re-weighted epoch
    assert drw.n_epochs_ == drw.best_epoch_ + OVERFIT["n_iter_no_change"] < 60
    scores = drw.history_[:, "valid_average_precision"]
    assert drw.best_validation_score_ == max(scores[start:])
    # In one loop with another net, as its own fit.
    together = fit_many(
        [WeightedLossClassifier(early_stopping=True, **params), clone(plain)],
        [X, X],
        [y, y],
        X_vals=[Xv, Xv],
        y_vals=[yv, yv],
    )
    assert_same_fit(drw, together[0], X)
    assert (together[0].best_epoch_, together[1].n_epochs_) == (
        drw.best_epoch_,
        plain.n_epochs_,
    )
