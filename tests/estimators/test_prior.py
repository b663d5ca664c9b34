"""The ``prior`` parameter, ``training_prior_`` and scoring on original labels.

The calibration tests use two 1-D Gaussians, N(0, 1) and N(2, 1), at 20:1:
the Bayes posterior is logistic in x, ``logit = log(1/20) + 2x - 2``, so every
number below has a known right answer.
"""

import numpy as np
import pytest
import sklearn.base
import torch
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import (
    accuracy_score,
    average_precision_score,
    balanced_accuracy_score,
    log_loss,
    make_scorer,
)
from sklearn.model_selection import FixedThresholdClassifier, TunedThresholdClassifierCV
from skorch.callbacks import EarlyStopping, EpochScoring
from torch.utils.data import Subset

import skimb
from skimb import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier
from skimb.estimators._prior import check_prior, criterion_prior
from skimb.nn import FocalLoss, LogitAdjustedLoss, SimpleNet

RATIO = 20  # negatives per positive


def _gaussians(n_pos, seed):
    rng = np.random.default_rng(seed)
    X = np.r_[rng.normal(0, 1, RATIO * n_pos), rng.normal(2, 1, n_pos)]
    y = np.r_[np.zeros(RATIO * n_pos, int), np.ones(n_pos, int)]
    return X[:, None].astype(np.float32), y


def _bayes(x, prior_pos=1 / (RATIO + 1)):
    logit = np.log(prior_pos / (1 - prior_pos)) + 2 * x - 2
    return 1 / (1 + np.exp(-logit))


GAUSS_TRAIN = _gaussians(400, seed=0)
GAUSS_TEST = _gaussians(2000, seed=1)
GAUSS_PARAMS = dict(
    max_epochs=8,
    batch_size=256,
    lr=2e-2,
    module__hidden_units=16,
    random_state=0,
    device="cpu",
)


@pytest.fixture(scope="module")
def gauss_fits():
    """One fit of each model on the Gaussian problem, shared by the tests."""
    X, y = GAUSS_TRAIN
    models = {
        "net": NetClassifier(**GAUSS_PARAMS),
        "loss": WeightedLossClassifier(**GAUSS_PARAMS),
        "sampler": WeightedSamplerClassifier(**GAUSS_PARAMS),
        "logit-adjusted": WeightedLossClassifier(
            criterion=LogitAdjustedLoss, class_weight=None, **GAUSS_PARAMS
        ),
    }
    return {name: model.fit(X, y) for name, model in models.items()}


def _proba(clf, prior, X):
    return clf.set_params(prior=prior).predict_proba(X)[:, 1]


# ---- calibration and decisions on a problem with a known Bayes posterior ----


@pytest.mark.parametrize("name", ["loss", "sampler", "logit-adjusted"])
def test_prior_train_is_calibrated(gauss_fits, name):
    X, y = GAUSS_TEST
    bayes = log_loss(y, _bayes(X[:, 0]))
    clf = gauss_fits[name]
    np.testing.assert_allclose(clf.training_prior_, [0.5, 0.5], atol=1e-6)
    as_trained = log_loss(y, _proba(clf, None, X))
    calibrated = log_loss(y, _proba(clf, "train", X))
    plain = log_loss(y, _proba(gauss_fits["net"], None, X))
    assert as_trained > 2 * bayes  # the rebalanced net is far from calibrated
    assert calibrated < 1.03 * bayes
    assert calibrated < 1.03 * plain
    # and it is the Bayes posterior, pointwise, up to the fit's error
    grid = np.linspace(-2, 4, 61, dtype=np.float32)[:, None]
    p = _proba(clf, "train", grid)
    assert np.abs(p - _bayes(grid[:, 0])).max() < 0.15


def test_prior_balanced_maximises_balanced_accuracy(gauss_fits):
    X, y = GAUSS_TEST
    net, loss = gauss_fits["net"], gauss_fits["loss"]

    def bal_acc(clf, prior):
        return balanced_accuracy_score(y, clf.set_params(prior=prior).predict(X))

    # Bayes-optimal balanced accuracy: threshold at x = 1, Phi(1) = 0.8413
    assert bal_acc(net, None) < 0.75
    assert bal_acc(net, "balanced") >= bal_acc(loss, None) - 0.01
    assert bal_acc(net, "balanced") > 0.83
    # the weighted nets are balanced already: 'balanced' changes nothing
    np.testing.assert_array_equal(
        loss.set_params(prior="balanced").predict_proba(X[:50]),
        loss.set_params(prior=None).predict_proba(X[:50]),
    )


def test_prior_moves_the_boundary_where_bayes_rule_says(gauss_fits):
    clf = gauss_fits["loss"]  # trained for equal priors: boundary near x = 1
    grid = np.linspace(-1, 4, 501, dtype=np.float32)[:, None]
    p = _proba(clf, None, grid).astype(np.float64)
    trained_log_odds = np.log(p / (1 - p))

    def boundary(prior):
        return grid[np.argmax(_proba(clf, prior, grid) >= 0.5), 0]

    for pi0, pi1 in [(0.5, 0.5), (0.9, 0.1), (0.2, 0.8), (RATIO, 1)]:
        moved = boundary({0: pi0, 1: pi1})
        # the net's own log-odds must now beat log(pi0 / pi1) ...
        expected = grid[np.argmax(trained_log_odds >= np.log(pi0 / pi1)), 0]
        assert moved == pytest.approx(expected, abs=0.011)
        # ... which puts the boundary near Bayes's, 1 + log(pi0 / pi1) / 2
        assert moved == pytest.approx(1 + np.log(pi0 / pi1) / 2, abs=0.25)


@pytest.mark.parametrize("prior", [{0: 0.3, 1: 0.7}, [5.0, 1.0], "train"])
def test_prior_is_bayes_rule_on_the_trained_probability(gauss_fits, prior):
    clf = gauss_fits["sampler"]
    X = GAUSS_TEST[0][::97]
    p = _proba(clf, None, X).astype(np.float64)
    pi = check_prior(prior, classes=clf.classes_, class_prior=clf.class_prior_)
    r = pi / clf.training_prior_
    expected = p * r[1] / (p * r[1] + (1 - p) * r[0])
    np.testing.assert_allclose(_proba(clf, prior, X), expected, rtol=1e-4, atol=1e-6)


# ---- set_params after fit ---------------------------------------------------


def test_set_prior_after_fit_changes_predictions_not_the_net(gauss_fits):
    clf = gauss_fits["net"]
    X = GAUSS_TEST[0]
    module, history = clf.module_, len(clf.history_)
    state = {k: v.clone() for k, v in clf.module_.state_dict().items()}
    before = clf.set_params(prior=None).predict(X)
    after = clf.set_params(prior="balanced").predict(X)
    assert (after != before).sum() > 100
    assert clf.module_ is module and len(clf.history_) == history
    for key, value in clf.module_.state_dict().items():
        torch.testing.assert_close(value, state[key], rtol=0, atol=0)
    np.testing.assert_array_equal(clf.set_params(prior=None).predict(X), before)


def test_net_prior_train_is_the_output_as_trained(gauss_fits):
    clf = gauss_fits["net"]
    X = GAUSS_TEST[0][:100]
    np.testing.assert_array_equal(
        clf.set_params(prior="train").predict_proba(X),
        clf.set_params(prior=None).predict_proba(X),
    )


# ---- training_prior_ of each estimator --------------------------------------

COUNTS = np.array([300.0, 60.0, 15.0])
Y3 = np.repeat([0, 1, 2], COUNTS.astype(int))
X3 = np.random.default_rng(0).random((len(Y3), 4), dtype=np.float32)
FREQ = COUNTS / COUNTS.sum()


def _normalised(v):
    v = np.asarray(v, dtype=np.float64)
    return v / v.sum()


def test_training_prior_plain_net_is_the_weighted_frequencies(tiny_net):
    sw = np.where(Y3 == 2, 4.0, 1.0)
    clf = NetClassifier(random_state=0, **tiny_net).fit(X3, Y3, sample_weight=sw)
    np.testing.assert_allclose(clf.training_prior_, _normalised(COUNTS * [1, 1, 4]))
    np.testing.assert_array_equal(clf.training_prior_, clf.class_prior_)


@pytest.mark.parametrize(
    "class_weight, expected",
    [
        ("balanced", [1 / 3, 1 / 3, 1 / 3]),
        (None, FREQ),
        ({0: 1.0, 1: 2.0, 2: 10.0}, _normalised(COUNTS * [1, 2, 10])),
    ],
)
def test_training_prior_weighted_loss(class_weight, expected, tiny_net):
    clf = WeightedLossClassifier(
        class_weight=class_weight, random_state=0, **tiny_net
    ).fit(X3, Y3)
    np.testing.assert_allclose(clf.training_prior_, expected, rtol=1e-6)
    assert clf.training_prior_.sum() == pytest.approx(1)


@pytest.mark.parametrize("tau", [0.0, 0.5, 1.0, 2.0])
def test_training_prior_logit_adjusted_is_prior_to_the_one_minus_tau(tau, tiny_net):
    # The loss trains softmax(z + tau log pi) on the posterior under pi, so
    # softmax(z) estimates it times pi ** -tau: pi_eff = pi ** (1 - tau).
    clf = WeightedLossClassifier(
        criterion=LogitAdjustedLoss,
        class_weight=None,
        criterion__tau=tau,
        random_state=0,
        **tiny_net,
    ).fit(X3, Y3)
    np.testing.assert_allclose(
        clf.training_prior_, _normalised(FREQ ** (1 - tau)), rtol=1e-5
    )


def test_training_prior_logit_adjusted_with_class_weights(tiny_net):
    clf = WeightedLossClassifier(
        criterion=LogitAdjustedLoss, random_state=0, **tiny_net
    ).fit(X3, Y3)
    # balanced weights 1/pi and the loss's pi**-1: pi_eff = pi * pi**-1 * pi**-1
    np.testing.assert_allclose(clf.training_prior_, _normalised(1 / FREQ), rtol=1e-5)


def test_training_prior_focal_counts_its_alpha_only(tiny_net):
    clf = WeightedLossClassifier(
        criterion=FocalLoss,
        class_weight={0: 1.0, 1: 1.0, 2: 8.0},
        random_state=0,
        **tiny_net,
    ).fit(X3, Y3)
    np.testing.assert_allclose(
        clf.training_prior_, _normalised(COUNTS * [1, 1, 8]), rtol=1e-6
    )


@pytest.mark.parametrize("max_epochs, switched", [(2, False), (3, True)])
def test_training_prior_deferred_reweighting_uses_the_final_weights(
    max_epochs,
    switched,
    tiny_net,
):
    clf = WeightedLossClassifier(
        reweight_epoch=2, **{**tiny_net, "random_state": 0, "max_epochs": max_epochs}
    ).fit(X3, Y3)
    expected = np.full(3, 1 / 3) if switched else FREQ
    np.testing.assert_allclose(clf.training_prior_, expected, rtol=1e-6)


def test_training_prior_sampler_is_the_draw_probabilities(tiny_net):
    clf = WeightedSamplerClassifier(
        class_weight="sqrt", random_state=0, **tiny_net
    ).fit(X3, Y3)
    np.testing.assert_allclose(
        clf.training_prior_, _normalised(np.sqrt(COUNTS)), rtol=1e-5
    )
    assert "_sampler_batches" not in clf.__dict__  # no device tensors kept


def test_training_prior_progressive_sampler_is_the_last_epochs(tiny_net):
    clf = WeightedSamplerClassifier(
        schedule="progressive", **{**tiny_net, "random_state": 0, "max_epochs": 4}
    ).fit(X3, Y3)
    t = 3 / 4  # the last epoch, 0-based, of T = 4
    np.testing.assert_allclose(clf.training_prior_, (1 - t) * FREQ + t / 3, rtol=1e-5)


def test_training_prior_sampler_without_replacement_is_what_was_drawn(tiny_net):
    # Drawing every sample once, without replacement, is no rebalancing at
    # all, whatever the class weights say.
    clf = WeightedSamplerClassifier(replacement=False, random_state=0, **tiny_net).fit(
        X3, Y3
    )
    np.testing.assert_allclose(clf.training_prior_, FREQ, rtol=1e-6)
    sub = WeightedSamplerClassifier(
        replacement=False, num_samples=40, random_state=0, **tiny_net
    )
    sub.fit(X3, Y3)
    assert sub.training_prior_[2] > 2 * FREQ[2]  # a weighted subsample


def test_criterion_prior_without_mass_is_uniform():
    np.testing.assert_allclose(criterion_prior(None, [0.0, 0.0]), [0.5, 0.5])


# ---- zero priors and probability-output nets --------------------------------


def test_zero_prior_classes_stay_finite(tiny_net):
    # The default width, briefly trained: the bound below is for that net.
    wide = {"max_epochs": 2, "batch_size": 64, "module__hidden_units": 256}
    clf = NetClassifier(random_state=0, **{**tiny_net, **wide})
    clf.partial_fit(X3, Y3 % 2, classes=[0, 1, 2])  # class 2 never seen
    assert clf.training_prior_[2] == 0
    for prior in ["balanced", [1, 1, 1], [0.5, 0.5, 0], {0: 0, 1: 1, 2: 1}]:
        p = clf.set_params(prior=prior).predict_proba(X3)
        assert np.isfinite(p).all()
        np.testing.assert_allclose(p.sum(1), 1, rtol=1e-5)
    assert (clf.set_params(prior=[0.5, 0.5, 0]).predict_proba(X3)[:, 2] == 0).all()
    # the unseen class is raised like the rarest seen one, not without bound
    balanced = clf.set_params(prior="balanced").predict_proba(X3)
    assert balanced[:, 2].max() < 0.5


class _ProbaNet(SimpleNet):
    def forward(self, X):
        return torch.softmax(super().forward(X), dim=-1)


def test_prior_on_a_probability_output_net(tiny_net):
    kw = dict(module=_ProbaNet, criterion=torch.nn.NLLLoss, random_state=0, **tiny_net)
    clf = WeightedLossClassifier(**kw).fit(X3, Y3)
    np.testing.assert_allclose(clf.training_prior_, [1 / 3] * 3, rtol=1e-6)
    p = clf.predict_proba(X3).astype(np.float64)
    np.testing.assert_allclose(p.sum(1), 1, rtol=1e-5)  # no second softmax
    q = p * FREQ * 3
    expected = q / q.sum(1, keepdims=True)
    np.testing.assert_allclose(
        clf.set_params(prior="train").predict_proba(X3), expected, rtol=1e-4
    )


# ---- bad priors -------------------------------------------------------------

X2 = np.random.default_rng(0).random((40, 3), dtype=np.float32)
Y2 = np.repeat(["a", "b"], [30, 10])

BAD_PRIORS = [
    ("uniform", ValueError, r"prior must be None, 'train', 'balanced', .*'uniform'"),
    ([0.5], ValueError, r"prior must have one entry per class \(2, .*shape \(1,\)"),
    ([[0.5, 0.5]], ValueError, r"one entry per class .*shape \(1, 2\)"),
    ([1.0, -1.0], ValueError, r"prior\[1\] must be a non-negative finite .*-1.0"),
    ([np.nan, 1.0], ValueError, r"prior\[0\] must be a non-negative finite .*nan"),
    ([0, 0], ValueError, r"prior gives every class prior 0"),
    (["x", 1], TypeError, r"prior\[0\] must be a non-negative .*'x' of type str"),
    ([True, False], TypeError, r"prior\[0\] .* of type bool"),
    (0.5, TypeError, r"prior must be .*; got 0.5 of type float"),
    ({"a": 1, "z": 1}, ValueError, r"prior names labels that are not in classes_: "),
    ({"a": 1}, ValueError, r"prior must give every class a prior; .*\['b'\]"),
]


@pytest.mark.parametrize("prior, error, match", BAD_PRIORS)
def test_bad_prior_fails_at_fit_and_at_predict(prior, error, match):
    with pytest.raises(error, match=match):
        NetClassifier(prior=prior, max_epochs=1, device="cpu").fit(X2, Y2)
    clf = NetClassifier(max_epochs=1, device="cpu").fit(X2, Y2)
    with pytest.raises(error, match=match):
        clf.set_params(prior=prior).predict(X2)


# ---- scikit-learn's threshold and calibration wrappers ----------------------

LABELS = np.array(["fraud", "ok"])


@pytest.fixture(scope="module")
def fraud():
    X, y = GAUSS_TRAIN
    return X, LABELS[1 - y]  # 'fraud' is the rare class, and sorts first


def test_fixed_threshold_classifier(fraud):
    X, y = fraud
    base = WeightedLossClassifier(prior="train", **GAUSS_PARAMS)
    wrapped = FixedThresholdClassifier(
        base, threshold=0.2, pos_label="fraud", response_method="predict_proba"
    ).fit(X, y)
    proba = wrapped.estimator_.predict_proba(X)[:, 0]
    expected = np.where(proba >= 0.2, "fraud", "ok")
    np.testing.assert_array_equal(wrapped.predict(X), expected)
    assert (
        0 < (expected == "fraud").sum() < (wrapped.estimator_.predict(X) == "ok").sum()
    )


def test_tuned_threshold_classifier(fraud):
    X, y = fraud
    tuned = TunedThresholdClassifierCV(
        NetClassifier(**GAUSS_PARAMS),
        scoring="balanced_accuracy",
        cv=2,
        thresholds=20,
        random_state=0,
    ).fit(X, y)
    # 'ok' is the positive label (the greater one); the tuned threshold on
    # P(ok) sits well above 0.5 to catch the rare 'fraud'.
    assert 0.5 < tuned.best_threshold_ < 1
    assert set(tuned.predict(X)) == {"fraud", "ok"}
    assert balanced_accuracy_score(y, tuned.predict(X)) > 0.8


def test_calibrated_classifier(fraud):
    X, y = fraud
    cal = CalibratedClassifierCV(
        WeightedLossClassifier(**GAUSS_PARAMS), cv=2, method="sigmoid"
    ).fit(X, y)
    Xt, yt = GAUSS_TEST
    p = cal.predict_proba(Xt)
    assert list(cal.classes_) == ["fraud", "ok"]
    assert log_loss(LABELS[1 - yt], p) < 1.05 * log_loss(yt, _bayes(Xt[:, 0]))


# scikit-learn's temperature calibrator keeps the float32 of predict_proba, so
# its rows sum to 1 within float32 rounding, not within log_loss's float64 check.
@pytest.mark.filterwarnings("ignore:The y_prob values do not sum to one")
def test_temperature_after_the_prior_with_scikit_learn(gauss_fits):
    # The recipe the docs give instead of a temperature parameter.
    clf = gauss_fits["loss"].set_params(prior="train")
    X, y = GAUSS_TEST
    cal = CalibratedClassifierCV(FrozenEstimator(clf), method="temperature")
    cal.fit(X[::2], y[::2])
    p_cal, p_clf = cal.predict_proba(X[1::2]), clf.predict_proba(X[1::2])
    np.testing.assert_array_equal(p_cal.argmax(1), p_clf.argmax(1))
    assert log_loss(y[1::2], p_cal) <= log_loss(y[1::2], p_clf) + 1e-3
    clf.set_params(prior=None)


# ---- persistence ------------------------------------------------------------


@pytest.mark.parametrize(
    "prior", ["balanced", {0: 0.2, 1: 0.3, 2: 0.5}, np.array([1.0, 2.0, 3.0])]
)
def test_save_load_keeps_prior_and_training_prior(prior, tmp_path, tiny_net):
    clf = WeightedSamplerClassifier(
        class_weight="sqrt", prior=prior, random_state=0, **tiny_net
    )
    clf.fit(X3, Y3)
    loaded = skimb.load(skimb.save(clf, tmp_path / "m.skimb"))
    np.testing.assert_array_equal(loaded.training_prior_, clf.training_prior_)
    np.testing.assert_array_equal(np.asarray(loaded.prior), np.asarray(prior))
    assert type(loaded.prior) is type(prior)
    np.testing.assert_array_equal(loaded.predict_proba(X3), clf.predict_proba(X3))
    assert not np.allclose(
        loaded.predict_proba(X3), loaded.set_params(prior=None).predict_proba(X3)
    )


def test_load_a_file_without_training_prior(tmp_path, tiny_net):
    clf = WeightedLossClassifier(prior="train", random_state=0, **tiny_net).fit(X3, Y3)
    path = skimb.save(clf, tmp_path / "m.skimb")
    payload = torch.load(path, weights_only=True)
    del payload["fitted"]["training_prior_"]  # as written before the attribute
    torch.save(payload, path)
    loaded = skimb.load(path)
    np.testing.assert_allclose(loaded.training_prior_, [1 / 3] * 3, rtol=1e-6)
    np.testing.assert_allclose(
        loaded.predict_proba(X3), clf.predict_proba(X3), rtol=1e-5
    )


# ---- validation scores and early stopping on imbalanced data ----------------


class _FixedSplit:
    """A train_split with known indices, so the tests can recompute scores."""

    def __init__(self, valid):
        self.valid = valid

    def __call__(self, dataset, y=None, groups=None):
        train = np.setdiff1d(np.arange(len(dataset)), self.valid)
        return Subset(dataset, train), Subset(dataset, self.valid)


VALID = np.r_[np.arange(0, 8000, 20), np.arange(8000, 8400, 4)]  # 400 + 100


@pytest.mark.parametrize(
    "labels, pos_label",
    [(LABELS, "fraud"), (np.array([7, 3]), 3), (np.array([1, 0]), 0)],
)
def test_scorers_see_the_original_labels(labels, pos_label):
    X, y01 = GAUSS_TRAIN
    y = labels[1 - y01]  # the rare class gets labels[0]
    ap = make_scorer(
        average_precision_score, pos_label=pos_label, response_method="predict_proba"
    )
    clf = NetClassifier(
        train_split=_FixedSplit(VALID),
        callbacks=[("ap", EpochScoring(ap, lower_is_better=False, name="valid_ap"))],
        **{**GAUSS_PARAMS, "max_epochs": 1},
    ).fit(X, y)
    Xv, yv = X[VALID], y[VALID]
    pos = list(clf.classes_).index(pos_label)
    expected = average_precision_score(
        yv, clf.predict_proba(Xv)[:, pos], pos_label=pos_label
    )
    assert clf.history_[-1, "valid_ap"] == pytest.approx(expected, rel=1e-6)
    assert 0.3 < expected < 1
    assert clf.history_[-1, "valid_acc"] == pytest.approx(
        accuracy_score(yv, clf.predict(Xv))
    )


@pytest.mark.parametrize("prior", [None, "balanced"])
def test_valid_bal_acc_by_default_and_early_stopping(prior):
    X, y = GAUSS_TRAIN
    y = LABELS[1 - y]
    stop = EarlyStopping(
        monitor="valid_bal_acc", lower_is_better=False, patience=2, threshold=10
    )
    clf = NetClassifier(
        train_split=_FixedSplit(VALID),
        callbacks=[("stop", stop)],
        prior=prior,
        **{**GAUSS_PARAMS, "max_epochs": 20},
    ).fit(X, y)
    hist = clf.history_
    assert len(hist) == 3  # no epoch after the first improves tenfold
    # the score of the last epoch is the model's, with its prior
    assert hist[-1, "valid_bal_acc"] == pytest.approx(
        balanced_accuracy_score(y[VALID], clf.predict(X[VALID]))
    )
    if prior == "balanced":
        assert hist[-1, "valid_bal_acc"] > 0.8


def test_no_valid_bal_acc_without_a_split(tiny_net):
    clf = NetClassifier(random_state=0, **tiny_net).fit(X3, Y3)
    assert "valid_bal_acc" not in clf.history_[-1]
    assert "valid_bal_acc" not in dict(clf.callbacks_)


# ---- label smoothing, undone ----


@pytest.mark.parametrize(
    "log_m",
    [None, torch.tensor([np.log(5.0), 0.0]), -torch.tensor([0.3, 0.7]).log()],
    ids=["plain", "weighted", "logit-adjusted"],
)
def test_unsmoothing_recovers_the_posterior_a_smoothed_loss_is_minimised_by(log_m):
    from skimb.estimators._prior import unsmooth_log_proba

    p = torch.tensor([[0.2, 0.8], [0.6, 0.4], [0.95, 0.05]], dtype=torch.float64)
    m = torch.ones(2, dtype=torch.float64) if log_m is None else log_m.double().exp()
    # The minimiser of the smoothed loss, and of the unsmoothed one.
    smoothed = m * (0.8 * p + 0.1)
    smoothed /= smoothed.sum(-1, keepdim=True)
    wanted = m * p / (m * p).sum(-1, keepdim=True)
    got = unsmooth_log_proba(smoothed.log(), 0.2, log_m).exp()
    torch.testing.assert_close(got, wanted)
    # Below the smoothing's share the rows keep their order.
    below = torch.tensor([[0.999, 0.001], [0.99, 0.01], [0.95, 0.05]]).log()
    kept = unsmooth_log_proba(below, 0.2)[:, 1]
    assert (kept.diff() > 0).all() and (kept < below[:, 1]).all()


@pytest.mark.parametrize("name", ["net", "loss", "sampler", "logit-adjusted"])
def test_a_label_smoothed_net_predicts_and_is_calibrated_as_an_unsmoothed_one(
    gauss_fits, name
):
    X, y = GAUSS_TEST
    clf = sklearn.base.clone(gauss_fits[name]).set_params(
        criterion__label_smoothing=0.2
    )
    clf.fit(*GAUSS_TRAIN)
    unsmoothed = gauss_fits[name]
    np.testing.assert_allclose(clf.training_prior_, unsmoothed.training_prior_)
    # The decisions: as the unsmoothed net's (the weighted nets' smoothed
    # output, read as it is, would call every row positive).
    for prior in (None, "balanced"):
        assert balanced_accuracy_score(
            y, clf.set_params(prior=prior).predict(X)
        ) == pytest.approx(
            balanced_accuracy_score(y, unsmoothed.set_params(prior=prior).predict(X)),
            abs=0.03,
        )
    # The probabilities: the Bayes posterior at the training prior (read
    # as they come out, the smoothed outputs are 13-67 % above it here).
    bayes = log_loss(y, _bayes(X[:, 0]))
    assert log_loss(y, _proba(clf, "train", X)) < 1.07 * bayes
    assert log_loss(y, _proba(clf, None, X)) == pytest.approx(
        log_loss(y, _proba(unsmoothed, None, X)), rel=0.1
    )


def test_a_smoothed_net_with_a_class_of_weight_zero_predicts_as_unsmoothed(tiny_net):
    from sklearn.datasets import make_classification

    X, y = make_classification(
        1500, n_classes=3, n_informative=4, weights=[0.7, 0.2, 0.1], random_state=0
    )
    X = X.astype(np.float32)
    params = dict(tiny_net, max_epochs=10, random_state=0)
    weights = {0: 1.0, 1: 3.0, 2: 0.0}  # class 2 never trained on
    plain = WeightedLossClassifier(class_weight=weights, **params).fit(X, y)
    smoothed = WeightedLossClassifier(
        class_weight=weights, criterion__label_smoothing=0.2, **params
    ).fit(X, y)
    proba = smoothed.predict_proba(X)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)
    # Read with the zero weight, class 2's output would take every row.
    assert (smoothed.predict(X) == 2).mean() == (plain.predict(X) == 2).mean() == 0
    assert (
        accuracy_score(y, smoothed.predict(X))
        > accuracy_score(y, plain.predict(X)) - 0.05
    )
