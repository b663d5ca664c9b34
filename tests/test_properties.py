"""Property-based tests of the weighting and sampling maths, and of the estimators."""

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skimb import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier
from skimb.iterators import DeviceDataset, WeightedSamplerBatches
from skimb.weighting import check_class_weight

label_types = st.sampled_from(["int", "negint", "str", "float"])


def _relabel(codes, kind):
    mapping = {
        "int": lambda c: c * 3 + 1,
        "negint": lambda c: -100 + 7 * c,
        "str": lambda c: f"class-{c:02d}",
        "float": lambda c: c / 4.0,
    }[kind]
    return np.array(
        [mapping(int(c)) for c in codes], dtype=object if kind == "str" else None
    )


@st.composite
def label_vectors(draw, min_classes=2, max_classes=6):
    k = draw(st.integers(min_classes, max_classes))
    codes = draw(arrays(np.int64, st.integers(k, 60), elements=st.integers(0, k - 1)))
    codes[:k] = np.arange(k)  # every class present
    perm = draw(st.permutations(range(len(codes))))
    return codes[list(perm)]


@given(label_vectors(), label_types)
def test_balanced_gives_equal_class_totals(codes, kind):
    y = _relabel(codes, kind)
    classes = np.unique(y)
    w = check_class_weight("balanced", classes=classes, y=y)
    totals = np.array([w[i] * np.sum(y == c) for i, c in enumerate(classes)])
    np.testing.assert_allclose(totals, totals[0], rtol=1e-12)


@given(label_vectors(), label_types, st.data())
def test_dict_weights_follow_labels_through_encoding(codes, kind, data):
    y = _relabel(codes, kind)
    classes = np.unique(y)
    chosen = data.draw(
        st.lists(st.sampled_from(list(classes)), unique=True, max_size=len(classes))
    )
    weights = {c: float(i + 2) for i, c in enumerate(chosen)}
    w = check_class_weight(weights, classes=classes, y=y)
    for i, c in enumerate(classes):
        assert w[i] == weights.get(c, 1.0)


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


@st.composite
def sampler_problems(draw):
    k = draw(st.integers(2, 5))
    counts = draw(st.lists(st.integers(1, 50), min_size=k, max_size=k))
    cw = draw(st.lists(st.floats(0.05, 20), min_size=k, max_size=k))
    with_sw = draw(st.booleans())
    return counts, cw, with_sw, draw(st.integers(0, 2**31 - 1))


def _dataset(counts, sw):
    y = torch.cat([torch.full((c,), i) for i, c in enumerate(counts)])
    return DeviceDataset(torch.zeros(len(y), 0), y, sw)


@settings(max_examples=40, deadline=None)
@given(sampler_problems())
def test_sampler_frequencies_match_targets(problem):
    counts, cw, with_sw, seed = problem
    n = sum(counts)
    rng = np.random.default_rng(seed)
    sw = (
        torch.as_tensor(rng.uniform(0.1, 2.0, n), dtype=torch.float32)
        if with_sw
        else None
    )
    ds = _dataset(counts, sw)
    m = 40_000
    it = WeightedSamplerBatches(
        ds,
        None,
        m,
        class_weight=torch.tensor(cw),
        num_samples=m,
        replacement=True,
        generator=torch.Generator().manual_seed(seed),
    )
    idx = it.order()
    assert idx.min() >= 0 and idx.max() < n  # every draw is a valid index
    per_sample = np.asarray(cw)[ds.y.numpy()] * (sw.numpy() if with_sw else 1.0)
    target = np.bincount(ds.y.numpy(), weights=per_sample) / per_sample.sum()
    observed = np.bincount(ds.y[idx].numpy(), minlength=len(counts)) / m
    # 5 binomial standard deviations, plus float32 slack
    bound = 5 * np.sqrt(target * (1 - target) / m) + 1e-4
    assert np.all(np.abs(observed - target) <= bound)
    # same seed, same draws
    again = WeightedSamplerBatches(
        ds,
        None,
        m,
        class_weight=torch.tensor(cw),
        num_samples=m,
        replacement=True,
        generator=torch.Generator().manual_seed(seed),
    )
    assert torch.equal(again.order(), idx)


@settings(max_examples=40, deadline=None)
@given(sampler_problems(), st.data())
def test_sampler_without_replacement_never_repeats(problem, data):
    counts, cw, with_sw, seed = problem
    n = sum(counts)
    m = data.draw(st.integers(1, n))
    it = WeightedSamplerBatches(
        _dataset(counts, None),
        None,
        m,
        class_weight=torch.tensor(cw),
        num_samples=m,
        replacement=False,
        generator=torch.Generator().manual_seed(seed),
    )
    idx = it.order().tolist()
    assert len(idx) == m and len(set(idx)) == m
    assert all(0 <= i < n for i in idx)


ESTIMATORS = st.sampled_from(
    [NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier]
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# float labels such as 0.25 are "continuous" to scikit-learn and rightly refused
@given(
    ESTIMATORS,
    label_vectors(max_classes=4),
    st.sampled_from(["negint", "str"]),
    st.integers(0, 1000),
)
def test_estimator_invariants(Estimator, codes, kind, seed):
    rng = np.random.default_rng(seed)
    X = rng.random((len(codes), 3)).astype(np.float32)
    y = _relabel(codes, kind)
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
    ).fit(X, _relabel(codes, "int"), sample_weight=sw)
    np.testing.assert_array_equal(other.predict_proba(X), proba)
