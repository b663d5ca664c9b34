"""The shared fit/predict machinery: checks, labels, batches, rollback."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from _strategies import label_vectors, relabel
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from skorch.callbacks import EpochScoring
from skorch.dataset import ValidSplit

from skimb import (
    NetClassifier,
    SimpleNet,
    WeightedLossClassifier,
    WeightedSamplerClassifier,
)
from skimb.estimators import EffectiveNumber

ESTIMATORS = [NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier]

# ---- parameter checks at fit -------------------------------------------------
BAD_PARAMETERS = [
    # (estimator, fit kwargs, error, message fragment)
    (
        NetClassifier(),
        {"sample_weight": np.ones(3)},
        ValueError,
        r"sample_weight.shape == \(3,\), expected \(40,\)",
    ),
    (
        WeightedLossClassifier(),
        {"sample_weight": -np.ones(40)},
        ValueError,
        r"Negative values in data passed to `sample_weight`",
    ),
    (
        NetClassifier(batch_size=0),
        {},
        ValueError,
        r"batch_size must be a positive integer, -1 \(all samples\) or 'auto'; got 0",
    ),
    (
        NetClassifier(batch_size=2.0),
        {},
        TypeError,
        r"batch_size must be a positive integer, -1 .*; got 2.0 of type float",
    ),
    (
        NetClassifier(max_epochs=-1),
        {},
        ValueError,
        r"max_epochs must be a non-negative integer; got -1",
    ),
    (
        NetClassifier(lr=-0.1),
        {},
        ValueError,
        r"lr must be a non-negative finite float; got -0.1",
    ),
    (
        NetClassifier(callbacks="print"),
        {},
        TypeError,
        r"callbacks must be None or a list of skorch callbacks",
    ),
    (
        NetClassifier(random_state="seed"),
        {},
        TypeError,
        r"random_state must be None, an integer in \[0, 4294967295\] or a numpy "
        r"RandomState; got 'seed' of type str",
    ),
    (
        NetClassifier(prior=[-0.5, 1.5], max_epochs=1),
        {},
        ValueError,
        r"prior\[0\] must be a non-negative finite real number; got -0.5",
    ),
]


@pytest.mark.parametrize(
    "estimator, kwargs, error, match",
    BAD_PARAMETERS,
    ids=[f"{type(c[0]).__name__}-{i}" for i, c in enumerate(BAD_PARAMETERS)],
)
def test_bad_parameters(estimator, kwargs, error, match, refuses):
    refuses(estimator, kwargs, error, match)


def test_use_caching_false_with_split_is_a_clear_error(gauss60):
    X = gauss60
    with pytest.raises(ValueError, match="use_caching=False is not supported"):
        NetClassifier(
            max_epochs=1, device="cpu", use_caching=False, train_split=ValidSplit(4)
        ).fit(X, np.arange(60) % 2)


def test_clone_keeps_callback_parameters(gauss60):
    X = gauss60
    clf = NetClassifier(
        verbose=1, callbacks__print_log=None, max_epochs=1, device="cpu"
    )
    copy = clone(clf)
    assert copy.get_params(deep=False)["callbacks__print_log"] is None
    copy.fit(X, np.arange(60) % 2)
    assert "print_log" not in [name for name, _ in copy.callbacks_]


# ---- data checks -------------------------------------------------------------
@pytest.mark.parametrize(
    "X_bad, y_bad, error, match",
    [
        (np.full((4, 2), np.nan), [0, 1, 0, 1], ValueError, "Input X contains NaN"),
        (np.full((4, 2), np.inf), [0, 1, 0, 1], ValueError, "Input X contains inf"),
        (np.empty((0, 2)), [], ValueError, "0 sample"),
        (np.ones(4), [0, 1, 0, 1], ValueError, "Expected 2D array"),
        (
            np.array([["a", "b"]] * 4, dtype=object),
            [0, 1, 0, 1],
            ValueError,
            "could not convert string to float",
        ),
        (np.ones((4, 2)) + 1j, [0, 1, 0, 1], ValueError, "Complex data not supported"),
        (np.ones((4, 2)), [0.5, 1.5, 0.2, 1.1], ValueError, "Unknown label type"),
        (
            np.ones((4, 2)),
            [1, 1, 1, 1],
            ValueError,
            r"needs samples of at least 2 classes; y holds only one class: \[1\]",
        ),
        (np.ones((4, 2)), [0, 1, 0], ValueError, "inconsistent numbers of samples"),
    ],
)
def test_bad_data(X_bad, y_bad, error, match):
    with pytest.raises(error, match=match):
        NetClassifier(max_epochs=1).fit(X_bad, np.asarray(y_bad))


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_input_trains_like_dense(two_classes, fmt):
    import scipy.sparse as sp

    X, y = two_classes
    dense = NetClassifier(max_epochs=2, random_state=0, device="cpu").fit(X, y)
    sparse = NetClassifier(max_epochs=2, random_state=0, device="cpu")
    sparse.fit(sp.csr_matrix(X).asformat(fmt), y)
    np.testing.assert_array_equal(
        sparse.predict_proba(sp.csr_matrix(X).asformat(fmt)), dense.predict_proba(X)
    )


def test_sparse_input_is_checked_at_its_sparse_size(monkeypatch):
    import scipy.sparse as sp

    import skimb._utils.device as device

    # 1000 x 100 float32 is 400 kB dense, 1.3 kB as sparse (100 non-zeros):
    # the net trains on the sparse rows, so the check counts those.
    X = sp.random(1000, 100, density=0.001, format="csr", dtype=np.float32)
    y = np.arange(1000) % 2
    monkeypatch.setattr(device, "available_memory", lambda: 100_000)
    NetClassifier(max_epochs=1, device="cpu").fit(X, y)
    monkeypatch.setattr(device, "available_memory", lambda: 1_000)
    with pytest.raises(ValueError, match="needs 0.00 GiB as float32 but host memory"):
        NetClassifier(max_epochs=1, device="cpu").fit(X, y)


def test_predict_errors(two_classes):
    X, y = two_classes
    clf = NetClassifier(max_epochs=1)
    with pytest.raises(NotFittedError):
        clf.predict(X)
    clf.fit(X, y)
    with pytest.raises(
        ValueError, match="X has 3 features, but NetClassifier is expecting 5 features"
    ):
        clf.predict(X[:, :3])


# ---- a failed fit is rolled back ---------------------------------------------
def test_errors_leave_a_fitted_model_untouched(two_classes):
    X, y = two_classes
    clf = NetClassifier(max_epochs=1, random_state=0).fit(X, y)
    before = clf.predict_proba(X)
    with pytest.raises(ValueError):
        clf.set_params(batch_size=0).fit(X, y)
    np.testing.assert_array_equal(
        clf.set_params(batch_size=64).predict_proba(X), before
    )


def test_late_data_errors_leave_a_fitted_model_untouched(two_classes):
    """Errors found after the labels and weights were read (here the sampler's
    num_samples against the new data) restore the previous fitted state."""
    X, y = two_classes
    clf = WeightedSamplerClassifier(
        max_epochs=1, random_state=0, replacement=False, num_samples=30
    ).fit(X, y)
    before = clf.predict_proba(X)
    state = (list(clf.classes_), clf.n_features_in_, clf.class_weight_.copy())
    X_new = np.random.default_rng(1).random((20, 3), dtype=np.float32)
    y_new = np.repeat(["x", "y"], 10)
    with pytest.raises(ValueError, match="at most the number of training samples"):
        clf.fit(X_new, y_new)
    assert (list(clf.classes_), clf.n_features_in_) == state[:2]
    np.testing.assert_array_equal(clf.class_weight_, state[2])
    np.testing.assert_array_equal(clf.predict_proba(X), before)


# ---- class statistics and partial_fit ----------------------------------------
def test_partial_fit_class_absent_from_first_chunk_is_weighted_later(gauss60):
    X = gauss60
    clf = WeightedLossClassifier(max_epochs=1, batch_size=16, device="cpu")
    clf.partial_fit(X, np.r_[[0] * 30, [1] * 30], classes=[0, 1, 2])
    assert clf.class_weight_[2] == 0  # not seen yet
    clf.partial_fit(X, np.full(60, 2))
    assert all(torch.isfinite(p).all() for p in clf.module_.parameters())
    assert np.isfinite(clf.history_[-1, "train_loss"])
    assert clf.class_weight_[2] > 0
    np.testing.assert_array_equal(clf.class_counts_, [30, 30, 60])
    torch.testing.assert_close(
        clf.criterion_.weight, torch.tensor(clf.class_weight_, dtype=torch.float32)
    )
    with pytest.raises(ValueError, match="differs from the classes of the first"):
        clf.partial_fit(X, np.full(60, 2), classes=[0, 1, 2, 3])


def test_constant_sample_weight_counts_like_repetition(gauss60):
    X = gauss60
    y = np.r_[[0] * 50, [1] * 10]
    rule = EffectiveNumber(0.99)
    weighted = WeightedLossClassifier(
        class_weight=rule, max_epochs=0, device="cpu"
    ).fit(X, y, sample_weight=np.full(60, 50.0))
    repeated = WeightedLossClassifier(
        class_weight=rule, max_epochs=0, device="cpu"
    ).fit(np.repeat(X, 50, 0), np.repeat(y, 50))
    np.testing.assert_allclose(weighted.class_weight_, repeated.class_weight_)
    np.testing.assert_array_equal(weighted.class_counts_, [2500, 500])


# ---- the sample-weighted loss ------------------------------------------------
def test_weighted_loss_equals_weighted_cross_entropy(three_classes):
    X, y = three_classes
    clf = WeightedLossClassifier(max_epochs=0, random_state=0, device="cpu").fit(X, y)
    logits = torch.randn(20, 3)
    target = torch.from_numpy(y[::5].copy())[:20]
    w = torch.tensor(clf.class_weight_, dtype=torch.float32)
    expected = F.cross_entropy(logits, target, weight=w)
    torch.testing.assert_close(clf.get_loss(logits, target), expected)
    # with sample weights: sum(s_i w_yi l_i) / sum(s_i w_yi)
    s = torch.rand(20)
    per = F.cross_entropy(logits, target, reduction="none")
    expected_sw = (s * w[target] * per).sum() / (s * w[target]).sum()
    got = clf.get_loss(logits, target, X={"X": None, "sample_weight": s})
    torch.testing.assert_close(got, expected_sw)
    # scaling all sample weights changes nothing
    torch.testing.assert_close(
        clf.get_loss(logits, target, X={"X": None, "sample_weight": 7.5 * s}), got
    )


@given(
    st.integers(2, 6),
    st.integers(1, 40),
    st.floats(0.01, 1e3),
    st.integers(0, 2**31 - 1),
)
def test_scaling_weights_leaves_weighted_loss_unchanged(k, n, scale, seed):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, k, generator=g, dtype=torch.float64)
    y = torch.randint(0, k, (n,), generator=g)
    w = torch.rand(k, generator=g, dtype=torch.float64) + 0.1
    base = F.cross_entropy(logits, y, weight=w)
    torch.testing.assert_close(F.cross_entropy(logits, y, weight=w * scale), base)
    clf = WeightedLossClassifier()
    clf.__dict__["criterion_"] = torch.nn.CrossEntropyLoss(weight=w)
    s = torch.rand(n, generator=g, dtype=torch.float64) + 0.01
    a = clf.get_loss(logits, y, X={"X": None, "sample_weight": s})
    b = clf.get_loss(logits, y, X={"X": None, "sample_weight": s * scale})
    torch.testing.assert_close(a, b)


def test_nll_loss_with_sample_weights_takes_the_log(gauss60):
    X = gauss60

    class SoftmaxNet(torch.nn.Module):
        def __init__(self, n_features=3, n_classes=2):
            super().__init__()
            self.lin = torch.nn.Linear(n_features, n_classes)

        def forward(self, x):
            return torch.softmax(self.lin(x), dim=-1)

    y = np.arange(60) % 2
    kwargs = dict(
        criterion=torch.nn.NLLLoss,
        lr=0.0,
        max_epochs=1,
        batch_size=60,
        random_state=0,
        device="cpu",
    )
    plain = NetClassifier(SoftmaxNet, **kwargs).fit(X, y)
    weighted = NetClassifier(SoftmaxNet, **kwargs).fit(
        X, y, sample_weight=np.r_[np.ones(30), 2 * np.ones(30)]
    )
    assert weighted.history_[-1, "train_loss"] > 0
    assert weighted.history_[-1, "train_loss"] == pytest.approx(
        plain.history_[-1, "train_loss"], rel=0.2
    )


# ---- the device-resident fast path -------------------------------------------
def _seeds(random_state):
    # skimb's documented seeding: one int from the random_state, used for the
    # module's initialisation, and that int + 1 for the epoch generator.
    seed = int(np.random.RandomState(random_state).randint(2**31 - 1))
    return seed, seed + 1


@pytest.mark.parametrize(
    "Estimator, weighted", [(NetClassifier, False), (WeightedLossClassifier, True)]
)
def test_one_epoch_matches_reference_loop(Estimator, weighted, three_classes):
    X, y = three_classes
    bs, lr = 16, 1e-2
    clf = Estimator(
        max_epochs=2,
        batch_size=bs,
        lr=lr,
        module__hidden_units=10,
        random_state=7,
        device="cpu",
    ).fit(X, y)

    init_seed, gen_seed = _seeds(7)
    torch.manual_seed(init_seed)
    ref = SimpleNet(n_features=12, n_classes=3, hidden_units=10)
    opt = torch.optim.Adam(ref.parameters(), lr=lr)  # the plain, non-fused Adam
    weight = None
    if weighted:
        counts = np.bincount(y)
        weight = torch.tensor(len(y) / (3 * counts), dtype=torch.float32)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    g = torch.Generator().manual_seed(gen_seed)
    losses = []
    for _ in range(2):
        perm = torch.randperm(len(y), generator=g)
        for start in range(0, len(y), bs):
            idx = perm[start : start + bs]
            opt.zero_grad()
            loss = F.cross_entropy(ref(Xt[idx]), yt[idx], weight=weight)
            loss.backward()
            opt.step()
            losses.append(loss.item())

    for p_ref, p in zip(ref.parameters(), clf.module_.parameters(), strict=True):
        torch.testing.assert_close(p, p_ref, atol=1e-5, rtol=1e-4)
    recorded = [b["train_loss"] for epoch in clf.history_ for b in epoch["batches"]]
    np.testing.assert_allclose(recorded, losses, rtol=1e-4)


@pytest.mark.parametrize("Estimator", ESTIMATORS)
@pytest.mark.parametrize("batch_size, epochs", [(16, 1), (32, 3), (200, 2)])
def test_optimizer_steps_per_epoch(Estimator, batch_size, epochs, three_classes):
    X, y = three_classes
    clf = Estimator(
        max_epochs=epochs, batch_size=batch_size, random_state=0, device="cpu"
    ).fit(X, y)
    p = next(clf.module_.parameters())
    steps = int(clf.optimizer_.state[p]["step"])
    assert steps == epochs * -(-len(y) // batch_size)


def test_fused_optimizer_by_default_and_opt_out(three_classes):
    X, y = three_classes
    clf = NetClassifier(max_epochs=1, device="cpu").fit(X, y)
    assert clf.optimizer_.defaults["fused"] is True
    assert "optimizer__fused" not in clf.get_params()
    plain = NetClassifier(max_epochs=1, device="cpu", optimizer__fused=False).fit(X, y)
    assert not plain.optimizer_.defaults["fused"]
    sgd = NetClassifier(max_epochs=1, device="cpu", optimizer=torch.optim.RMSprop)
    assert (
        "fused" not in sgd.fit(X, y).optimizer_.defaults
        or not sgd.optimizer_.defaults["fused"]
    )


# ---- post-hoc logit adjustment -----------------------------------------------
def test_posthoc_adjustment(long_tail):
    X, Y = long_tail.X, long_tail.y
    clf = NetClassifier(max_epochs=3, random_state=0, device="cpu").fit(X, Y)
    base = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.set_params(prior=None).predict_proba(X), base)
    logits = clf.forward(X)
    prior = torch.tensor(clf.class_prior_, dtype=torch.float32)
    expected = torch.softmax(logits - torch.log(prior), dim=1).numpy()
    adjusted = clf.set_params(prior="balanced").predict_proba(X)
    np.testing.assert_allclose(adjusted, expected, rtol=1e-5)
    # the adjustment favours the rare classes
    assert (adjusted.argmax(1) == 2).sum() >= (base.argmax(1) == 2).sum()
    assert adjusted[:, 2].mean() > base[:, 2].mean()
    with pytest.raises(
        ValueError, match=r"prior\[0\] must be a non-negative .*; got -1"
    ):
        clf.set_params(prior=[-1, 1, 1]).predict(X)


def test_posthoc_with_training_scoring_callback(gauss60):
    X = gauss60
    y = np.arange(60) % 3
    clf = NetClassifier(
        prior="balanced",
        max_epochs=2,
        device="cpu",
        train_split=ValidSplit(4),
        callbacks=[("tr", EpochScoring("balanced_accuracy", on_train=True))],
    ).fit(X, y)
    assert 0 <= clf.history_[-1, "balanced_accuracy"] <= 1


# ---- label encoding: nothing depends on the label values or types ------------
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# float labels such as 0.25 are "continuous" to scikit-learn and rightly refused
@given(
    st.sampled_from(ESTIMATORS),
    label_vectors(max_classes=4),
    st.sampled_from(["negint", "str"]),
    st.integers(0, 1000),
)
def test_estimator_invariants(Estimator, codes, kind, seed):
    rng = np.random.default_rng(seed)
    X = rng.random((len(codes), 3)).astype(np.float32)
    y = relabel(codes, kind)
    sw = rng.uniform(0.5, 2.0, len(codes))
    X0, y0, sw0 = X.copy(), y.copy(), sw.copy()
    clf = Estimator(
        max_epochs=2,
        batch_size=16,
        module__hidden_units=4,
        random_state=seed,
        device="cpu",
    ).fit(X, y, sample_weight=sw)
    # inputs untouched
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(sw, sw0)
    pred = clf.predict(X)
    assert set(pred.tolist()) <= set(clf.classes_.tolist())
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    # the same problem under another (order-preserving) naming of the classes
    # trains the same net: nothing depends on the label values or types
    other = Estimator(
        max_epochs=2,
        batch_size=16,
        module__hidden_units=4,
        random_state=seed,
        device="cpu",
    ).fit(X, relabel(codes, "int"), sample_weight=sw)
    np.testing.assert_array_equal(other.predict_proba(X), proba)
