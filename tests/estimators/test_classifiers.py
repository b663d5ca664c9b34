"""Behaviour of the three skimb estimators as scikit-learn classifiers."""

import inspect
import pickle

import numpy as np
import pandas as pd
import pytest
import torch
from imblearn.datasets import make_imbalance
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import make_pipeline as make_imb_pipeline
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.metrics import recall_score
from sklearn.model_selection import (
    GridSearchCV,
    StratifiedKFold,
    cross_validate,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from skorch.callbacks import (
    Callback,
    Checkpoint,
    EarlyStopping,
    EpochScoring,
    LRScheduler,
)
from skorch.dataset import ValidSplit

from skimb import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier
from skimb.nn import FocalLoss, LDAMLoss, LogitAdjustedLoss

ESTIMATORS = [NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier]


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(np.float32), y


@pytest.fixture(scope="module")
def small(digits):
    X, y = digits
    return X[:300], y[:300]


def test_simplenet_sized_from_data(small, tiny_net):
    X, y = small
    clf = NetClassifier(**tiny_net).fit(X[:, :20], y)
    assert clf.module_.fc1.in_features == 20
    assert clf.module_.fc1.out_features == tiny_net["module__hidden_units"]
    assert clf.module_.fc2.out_features == len(np.unique(y))


def test_defaults_construct_and_fit(small):
    X, y = small
    clf = NetClassifier(max_epochs=1)
    assert clf.get_params()["device"] == "auto"
    clf.fit(X, y)
    assert clf.module_.fc1.out_features == 256
    assert str(clf.device) in ("cpu", "cuda")


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("container", ["numpy", "pandas"])
def test_string_labels_and_dataframes(Estimator, container, small, tiny_net):
    X, y = small
    names = np.array(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    )
    labels = names[y]
    if container == "pandas":
        X = pd.DataFrame(X, columns=[f"px{i}" for i in range(X.shape[1])])
        labels = pd.Series(labels)
    clf = Estimator(random_state=0, **tiny_net).fit(X, labels)
    assert list(clf.classes_) == sorted(names)
    pred = clf.predict(X)
    assert set(pred) <= set(names)
    proba = clf.predict_proba(X)
    assert proba.shape == (len(y), 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])
    if container == "pandas":
        assert list(clf.feature_names_in_) == list(X.columns)
        with pytest.warns(UserWarning, match="feature names"):
            clf.predict(X.to_numpy())


def test_noncontiguous_int_labels(small, tiny_net):
    X, y = small
    y = np.where(y % 2 == 0, -7, 1000)
    clf = WeightedLossClassifier(random_state=0, **tiny_net).fit(X, y)
    assert list(clf.classes_) == [-7, 1000]
    assert set(clf.predict(X)) <= {-7, 1000}


def test_pipeline_and_grid_search(small, tiny_net):
    X, y = small
    pipe = make_pipeline(
        StandardScaler(), WeightedLossClassifier(random_state=0, **tiny_net)
    )
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.2
    grid = GridSearchCV(
        WeightedLossClassifier(random_state=0, **tiny_net),
        {
            "class_weight": [None, "balanced"],
            "lr": [1e-3, 1e-2],
            "module__hidden_units": [8, 16],
        },
        cv=2,
        scoring="balanced_accuracy",
    )
    grid.fit(X, y)
    assert set(grid.best_params_) == {"class_weight", "lr", "module__hidden_units"}
    assert (
        grid.best_estimator_.module_.fc1.out_features
        == grid.best_params_["module__hidden_units"]
    )
    assert len(grid.cv_results_["mean_test_score"]) == 8


def test_cross_validate_stratified(small, tiny_net):
    X, y = small
    res = cross_validate(
        WeightedSamplerClassifier(
            random_state=0, **{**tiny_net, "lr": 0.01, "max_epochs": 10}
        ),
        X,
        y,
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        scoring="balanced_accuracy",
    )
    assert res["test_score"].shape == (3,)
    assert np.all((res["test_score"] > 0.5) & (res["test_score"] <= 1))


@pytest.mark.parametrize(
    "sampler", [SMOTE(k_neighbors=2, random_state=0), RandomOverSampler(random_state=0)]
)
def test_imblearn_pipeline(sampler, small, tiny_net):
    X, y = small
    Xi, yi = make_imbalance(X, y, sampling_strategy={1: 5, 2: 5}, random_state=0)
    pipe = make_imb_pipeline(sampler, NetClassifier(random_state=0, **tiny_net))
    pipe.fit(Xi, yi)
    net = pipe[-1]
    # The resampler balanced what the net saw: every epoch covers the majority
    # count times the number of classes.
    majority = np.bincount(yi).max()
    assert sum(net.history_[-1, "batches", :, "train_batch_size"]) == majority * 10
    assert pipe.predict(Xi).shape == yi.shape


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_pickle_round_trip(Estimator, small, tiny_net):
    X, y = small
    clf = Estimator(random_state=0, **tiny_net).fit(X, y)
    clone_ = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(clf.predict_proba(X), clone_.predict_proba(X))
    assert clone_.get_params()["device"] == "cpu"
    unfitted = pickle.loads(pickle.dumps(Estimator(**tiny_net)))
    assert unfitted.get_params()["max_epochs"] == 3


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_random_state_reproducible(Estimator, small, tiny_net):
    X, y = small
    a = Estimator(random_state=3, **tiny_net).fit(X, y)
    b = Estimator(random_state=3, **tiny_net).fit(X, y)
    c = Estimator(random_state=4, **tiny_net).fit(X, y)
    for pa, pb in zip(a.module_.parameters(), b.module_.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert not torch.equal(a.module_.fc1.weight, c.module_.fc1.weight)
    # The caller's global torch RNG is left alone.
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    Estimator(random_state=3, **tiny_net).fit(X, y)
    assert torch.equal(torch.rand(3), expected)


def test_clone_keeps_params():
    clf = WeightedSamplerClassifier(num_samples=100, module__hidden_units=8, lr=0.1)
    params = clone(clf).get_params()
    assert params["num_samples"] == 100
    assert params["module__hidden_units"] == 8
    assert params["lr"] == 0.1
    assert params["device"] == "auto"


@pytest.mark.parametrize(
    "Estimator", [NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier]
)
def test_zero_sample_weight_class_never_learned(Estimator, digits):
    X, y = digits
    X, y = X[:400], y[:400]
    sample_weight = np.where(y == 3, 0.0, 1.0)
    clf = Estimator(random_state=0, max_epochs=15, device="cpu").fit(
        X, y, sample_weight=sample_weight
    )
    assert not np.any(clf.predict(X) == 3)
    # Without the zero weights the class is learned.
    ref = Estimator(random_state=0, max_epochs=15, device="cpu").fit(X, y)
    assert np.mean(ref.predict(X[y == 3]) == 3) > 0.5


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_inputs_not_modified(Estimator, small, tiny_net):
    X, y = small
    X = X.astype(np.float32).copy()
    y = y.copy()
    sw = np.linspace(0.5, 2, len(y))
    copies = X.copy(), y.copy(), sw.copy()
    Estimator(random_state=0, **tiny_net).fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(X, copies[0])
    np.testing.assert_array_equal(y, copies[1])
    np.testing.assert_array_equal(sw, copies[2])


def test_single_sample_class_trains(small, tiny_net):
    X, y = small
    keep = (y != 9) | (np.arange(len(y)) == np.flatnonzero(y == 9)[0])
    for Estimator in ESTIMATORS:
        clf = Estimator(random_state=0, **tiny_net).fit(X[keep], y[keep])
        assert 9 in clf.classes_
        if hasattr(clf, "class_weight_"):
            assert clf.class_weight_[9] == pytest.approx(keep.sum() / 10)


def test_partial_fit_and_warm_start(small, tiny_net):
    X, y = small
    clf = NetClassifier(random_state=0, **tiny_net)
    clf.partial_fit(X[:100], y[:100], classes=np.arange(10))
    w = clf.module_.fc1.weight.detach().clone()
    clf.partial_fit(X[100:], y[100:])
    assert len(clf.history_) == 6
    assert not torch.equal(w, clf.module_.fc1.weight)
    with pytest.raises(ValueError, match="not seen in the first fit"):
        NetClassifier(**tiny_net).partial_fit(X[:50], y[:50] % 2).partial_fit(
            X[:50], y[:50]
        )

    warm = NetClassifier(random_state=0, warm_start=True, **tiny_net).fit(X, y)
    first = warm.module_
    warm.fit(X, y)
    assert warm.module_ is first and len(warm.history_) == 6
    cold = NetClassifier(random_state=0, **tiny_net).fit(X, y).fit(X, y)
    assert len(cold.history_) == 3


def test_history_and_callbacks(small, tmp_path):
    X, y = small
    clf = WeightedLossClassifier(
        random_state=0,
        max_epochs=20,
        batch_size=32,
        device="cpu",
        train_split=ValidSplit(4, stratified=True),
        callbacks=[
            ("bal_acc", EpochScoring("balanced_accuracy", lower_is_better=False)),
            ("stop", EarlyStopping(patience=2, threshold=10.0)),
            ("ckpt", Checkpoint(dirname=str(tmp_path))),
            ("sched", LRScheduler("StepLR", step_size=1, gamma=0.5)),
        ],
    ).fit(X, np.array(list("abcdefghij"))[y])
    hist = clf.history_
    assert 2 <= len(hist) < 20  # early stopping kicked in
    assert all(isinstance(v, float) for v in hist[:, "batches", :, "train_loss"][0])
    n_train = 225  # 3/4 of 300
    assert sum(hist[0, "batches", :, "train_batch_size"]) == n_train
    assert hist[0, "train_batch_count"] == -(-n_train // 32)
    assert 0 <= hist[-1, "balanced_accuracy"] <= 1 and 0 <= hist[-1, "valid_acc"] <= 1
    assert "valid_loss" in hist[-1]
    assert (tmp_path / "params.pt").exists()
    assert clf.optimizer_.param_groups[0]["lr"] < 1e-3  # StepLR ran


@pytest.mark.parametrize("Estimator", ESTIMATORS)
def test_steps_per_epoch(Estimator, small):
    X, y = small
    clf = Estimator(random_state=0, max_epochs=2, batch_size=64, device="cpu").fit(X, y)
    assert clf.history_[:, "train_batch_count"] == [5, 5]  # ceil(300 / 64)
    sizes = clf.history_[-1, "batches", :, "train_batch_size"]
    assert sizes == [64, 64, 64, 64, 44]
    full = Estimator(max_epochs=1, batch_size=-1, device="cpu").fit(X, y)
    assert full.history_[-1, "batches", :, "train_batch_size"] == [300]


def test_sampler_num_samples_sets_steps(small):
    X, y = small
    clf = WeightedSamplerClassifier(
        num_samples=1000, batch_size=100, max_epochs=2, random_state=0, device="cpu"
    ).fit(X, y)
    assert clf.num_samples_ == 1000
    assert clf.history_[:, "train_batch_count"] == [10, 10]


def test_weighted_estimators_raise_minority_recall(digits):
    """The seed document's claim on digits: one class whole, others cut to 1/10."""
    X, y = digits
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=0.5, stratify=y, random_state=0
    )
    counts = np.bincount(ytr)
    target = {c: counts[c] if c == 0 else counts[c] // 10 for c in range(10)}
    Xi, yi = make_imbalance(Xtr, ytr, sampling_strategy=target, random_state=0)

    def minority_recall(Estimator):
        scores = []
        for seed in (0, 1):
            clf = Estimator(max_epochs=10, random_state=seed, device="cpu").fit(Xi, yi)
            scores.append(recall_score(yte, clf.predict(Xte), average=None)[1:].mean())
        return np.mean(scores)

    base = minority_recall(NetClassifier)
    assert minority_recall(WeightedLossClassifier) > base + 0.2
    assert minority_recall(WeightedSamplerClassifier) > base + 0.2


def test_metadata_routing_passes_sample_weight(digits):
    import sklearn

    X, y = digits
    X, y = X[:400], y[:400]
    sw = np.where(y == 3, 0.0, 1.0)
    with sklearn.config_context(enable_metadata_routing=True):
        est = (
            WeightedLossClassifier(max_epochs=10, random_state=0, device="cpu")
            .set_fit_request(sample_weight=True)
            .set_score_request(sample_weight=False)
        )
        res = cross_validate(
            est, X, y, params={"sample_weight": sw}, cv=2, return_estimator=True
        )
    for fitted in res["estimator"]:
        # the zero weights reached fit: class 3 is never learned
        assert not np.any(fitted.predict(X) == 3)


# ---- the constructors agree -----------------------------------------------------
def _signature(cls):
    return {
        name: (p.kind, p.default)
        for name, p in inspect.signature(cls).parameters.items()
    }


@pytest.mark.parametrize(
    "Estimator", [WeightedLossClassifier, WeightedSamplerClassifier]
)
def test_shared_constructor_parameters_agree(Estimator):
    """Every NetClassifier parameter exists in the weighted estimators, of the
    same kind and with the same default, so one grid fits all three."""
    base = _signature(NetClassifier)
    params = _signature(Estimator)
    assert base.keys() - params.keys() == set()
    for name, (kind, default) in base.items():
        assert params[name][0] == kind, name
        assert params[name][1] == default, name


def test_weighted_estimators_share_class_weight():
    loss = inspect.signature(WeightedLossClassifier).parameters["class_weight"]
    sampler = inspect.signature(WeightedSamplerClassifier).parameters["class_weight"]
    assert loss.default == sampler.default == "balanced"
    assert loss.kind == sampler.kind == inspect.Parameter.KEYWORD_ONLY
    assert "class_weight" not in inspect.signature(NetClassifier).parameters


# ---- options of the weighted estimators ---------------------------------------
BAD_PARAMETERS = [
    # (estimator, fit kwargs, error, message fragment)
    (
        WeightedSamplerClassifier(replacement="no"),
        {},
        TypeError,
        r"replacement must be True or False; got 'no'",
    ),
    (
        WeightedSamplerClassifier(schedule="cosine", max_epochs=1),
        {},
        ValueError,
        r"schedule must be 'constant' or 'progressive'; got 'cosine'",
    ),
]


@pytest.mark.parametrize(
    "estimator, kwargs, error, match",
    BAD_PARAMETERS,
    ids=[f"{type(c[0]).__name__}-{i}" for i, c in enumerate(BAD_PARAMETERS)],
)
def test_bad_parameters(estimator, kwargs, error, match, refuses):
    refuses(estimator, kwargs, error, match)


def test_zero_class_weight_batches_do_not_produce_nan(gauss60):
    X = gauss60
    y = np.r_[[0] * 55, [1] * 5]
    clf = WeightedLossClassifier(
        class_weight={0: 0.0}, batch_size=4, max_epochs=1, device="cpu"
    ).fit(X, y)
    assert all(torch.isfinite(p).all() for p in clf.module_.parameters())
    assert all(np.isfinite(clf.history_[-1, "batches", :, "train_loss"]))


@pytest.mark.parametrize(
    "criterion, kwargs",
    [(LogitAdjustedLoss, {}), (FocalLoss, {}), (LDAMLoss, {"criterion__s": 1.0})],
)
def test_losses_receive_what_they_need(criterion, kwargs, long_tail):
    X, Y, COUNTS = long_tail.X, long_tail.y, long_tail.counts
    clf = WeightedLossClassifier(
        criterion=criterion, max_epochs=2, random_state=0, device="cpu", **kwargs
    ).fit(X, Y)
    crit = clf.criterion_
    torch.testing.assert_close(
        crit.weight, torch.tensor(clf.class_weight_, dtype=torch.float32)
    )
    if hasattr(crit, "class_counts"):
        torch.testing.assert_close(
            crit.class_counts, torch.tensor(COUNTS, dtype=torch.float32)
        )
    proba = clf.predict_proba(X)  # softmax applied after skimb's logit losses
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)
    assert (proba >= 0).all()


def test_sampler_num_samples_sets_optimizer_steps(three_classes):
    X, y = three_classes
    clf = WeightedSamplerClassifier(
        max_epochs=2, batch_size=10, num_samples=55, random_state=0, device="cpu"
    ).fit(X, y)
    p = next(clf.module_.parameters())
    assert int(clf.optimizer_.state[p]["step"]) == 2 * 6


def test_without_replacement_and_split_never_draws_zero_weights():
    Xb = np.random.RandomState(1).randn(100, 3).astype(np.float32)
    y = np.arange(100) % 2
    sw = np.ones(100)
    sw[:40] = 0
    drawn = []

    class Spy(Callback):
        def on_batch_end(self, net, batch=None, training=False, **kwargs):
            if training:
                drawn.append(batch[0].cpu().numpy())

    clf = WeightedSamplerClassifier(
        replacement=False,
        batch_size=1000,
        max_epochs=1,
        device="cpu",
        train_split=ValidSplit(5, stratified=True),
        callbacks=[("spy", Spy())],
    ).fit(Xb, y, sample_weight=sw)
    rows = np.concatenate(drawn)
    zero_weight_rows = {tuple(r) for r in Xb[:40]}
    assert not any(tuple(r) in zero_weight_rows for r in rows)
    assert len({tuple(r) for r in rows}) == len(rows) == clf.num_samples_
    assert 0 < clf.num_samples_ <= 60


def test_progressive_schedule_in_the_estimator(long_tail):
    X, Y = long_tail.X, long_tail.y

    class Freq(Callback):
        def initialize(self):
            self.minority = []
            return self

        def on_epoch_end(self, net, **kwargs):
            pass

        def on_batch_end(self, net, batch=None, training=False, **kwargs):
            if training:
                self.minority.append((len(net.history), (batch[1] == 2).float().mean()))

    rec = Freq()
    WeightedSamplerClassifier(
        max_epochs=4,
        schedule="progressive",
        random_state=0,
        batch_size=len(Y),
        device="cpu",
        callbacks=[("f", rec)],
    ).fit(X, Y)
    share = [float(v) for _, v in rec.minority]
    # epoch t draws class 2 with (1 - t/4) * 5/555 + (t/4) / 3
    expected = [(1 - t / 4) * 5 / 555 + (t / 4) / 3 for t in range(4)]
    np.testing.assert_allclose(share, expected, atol=0.04)
    with pytest.raises(
        ValueError, match="schedule must be 'constant' or 'progressive'; got 'cosine'"
    ):
        WeightedSamplerClassifier(schedule="cosine", max_epochs=1).fit(X, Y)
