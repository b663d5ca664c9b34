"""The device-resident batch iterators, and the sampler's statistics."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from torch.utils.data import Subset

from skimb.estimators._batches import (
    DeviceDataset,
    SequentialBatches,
    ShuffledBatches,
    WeightedSamplerBatches,
    resolve_dataset,
)


def _dataset(counts, sample_weight=None):
    y = torch.cat([torch.full((c,), k) for k, c in enumerate(counts)])
    X = torch.arange(len(y), dtype=torch.float32)[:, None]
    w = (
        None
        if sample_weight is None
        else torch.as_tensor(sample_weight, dtype=torch.float32)
    )
    return DeviceDataset(X, y, w)


def _draws(ds, class_weight, m, *, replacement=True, index=None, seed=0):
    g = torch.Generator().manual_seed(seed)
    it = WeightedSamplerBatches(
        ds,
        index,
        10_000,
        class_weight=torch.tensor(class_weight),
        num_samples=m,
        replacement=replacement,
        generator=g,
    )
    return it.order()


def test_shuffled_covers_every_index_once_per_epoch():
    ds = _dataset([7, 5])
    it = ShuffledBatches(ds, None, 5, generator=torch.Generator().manual_seed(0))
    epochs = [torch.cat([xb[:, 0] for xb, _ in it]) for _ in range(2)]
    for order in epochs:
        assert sorted(order.long().tolist()) == list(range(12))
    assert not torch.equal(epochs[0], epochs[1])
    assert [len(yb) for _, yb in it] == [5, 5, 2]


def test_sequential_and_subset():
    ds = _dataset([4, 4])
    sub = Subset(Subset(ds, [1, 3, 5, 7]), [0, 2])
    base, index = resolve_dataset(sub)
    assert base is ds and index.tolist() == [1, 5]
    xs = [xb[:, 0].tolist() for xb, _ in SequentialBatches(base, index, 1)]
    assert xs == [[1.0], [5.0]]
    assert resolve_dataset([1, 2]) == (None, None)


@pytest.mark.parametrize("class_weight", [[1.0, 1.0, 1.0], [0.2, 1.0, 5.0]])
@pytest.mark.parametrize("with_sw", [False, True])
def test_sampler_class_frequencies_match_target(class_weight, with_sw):
    counts = [900, 90, 10]
    sw = None
    if with_sw:
        sw = np.r_[np.ones(900), np.linspace(0.1, 3, 90), np.full(10, 2.0)]
    ds = _dataset(counts, sw)
    m = 200_000
    idx = _draws(ds, class_weight, m)
    y = ds.y[idx].numpy()
    per_sample = np.asarray(class_weight)[ds.y.numpy()]
    if sw is not None:
        per_sample = per_sample * sw
    target = np.bincount(ds.y.numpy(), weights=per_sample) / per_sample.sum()
    observed = np.bincount(y, minlength=3)
    # chi-square goodness of fit at a fixed seed; a sampler that ignored the
    # weights (uniform over samples) would give a statistic in the tens of
    # thousands.
    chi2 = stats.chisquare(observed, target * m)
    assert chi2.pvalue > 1e-3
    np.testing.assert_allclose(observed / m, target, atol=0.005)
    if sw is not None:
        # within a class, draws follow the sample weights
        mid = np.bincount(idx.numpy(), minlength=1000)[900:990]
        r = np.corrcoef(mid, sw[900:990])[0, 1]
        assert r > 0.95


def test_sampler_every_draw_valid_and_reproducible():
    ds = _dataset([50, 3, 1])
    balanced = [54 / (3 * 50), 54 / (3 * 3), 54 / 3]
    a = _draws(ds, balanced, 5000, seed=1)
    b = _draws(ds, balanced, 5000, seed=1)
    c = _draws(ds, balanced, 5000, seed=2)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.min() >= 0 and a.max() < 54
    # the single-sample class is drawn about a third of the time
    assert abs((ds.y[a] == 2).float().mean().item() - 1 / 3) < 0.03


def test_sampler_respects_subset_index():
    ds = _dataset([10, 10])
    index = torch.tensor([0, 1, 2, 15])
    idx = _draws(ds, [1.0, 1.0], 4000, index=index)
    assert set(idx.tolist()) <= {0, 1, 2, 15}
    # uniform class weights: each of the four subset samples a quarter of the time
    assert abs((idx == 15).float().mean().item() - 0.25) < 0.03


def test_sampler_without_replacement():
    ds = _dataset([30, 10], sample_weight=np.r_[np.ones(35), np.zeros(5)])
    idx = _draws(ds, [1.0, 1.0], 35, replacement=False)
    assert len(set(idx.tolist())) == 35
    assert set(idx.tolist()) == set(range(35))  # zero-weight samples never drawn
    # heavy class first: with 20 of 40 draws, the weighted subsample favours it
    ds2 = _dataset([30, 10])
    picks = torch.cat(
        [_draws(ds2, [1.0, 9.0], 20, replacement=False, seed=s) for s in range(50)]
    )
    assert (ds2.y[picks] == 1).float().mean() > 0.35


def test_sampler_nothing_to_draw():
    ds = _dataset([3, 3], sample_weight=np.zeros(6))
    with pytest.raises(ValueError, match="nothing to draw"):
        _draws(ds, [1.0, 1.0], 10)


def test_sampler_large_n_beyond_multinomial_limit():
    # torch.multinomial refuses more than 2**24 categories; the class-then-index
    # draw does not depend on n.
    n = 2**24 + 10
    y = torch.zeros(n, dtype=torch.long)
    y[-10:] = 1
    ds = DeviceDataset(torch.empty(n, 0), y)
    idx = _draws(ds, [1.0, (n - 10) / 10], 1000)
    assert 400 < (idx >= n - 10).sum().item() < 600


def test_progressive_sampler_moves_from_instance_to_class_balanced(long_tail):
    Y, COUNTS, BALANCED = long_tail.y, long_tail.counts, long_tail.balanced
    ds = DeviceDataset(torch.zeros(len(Y), 0), torch.as_tensor(Y))
    t = {"value": 0.0}
    it = WeightedSamplerBatches(
        ds,
        None,
        10_000,
        class_weight=torch.tensor(BALANCED),
        num_samples=60_000,
        replacement=True,
        generator=torch.Generator().manual_seed(0),
        progress=lambda: t["value"],
    )
    instance = COUNTS / COUNTS.sum()
    for value in (0.0, 0.5, 1.0):
        t["value"] = value
        freq = np.bincount(ds.y[it.order()].numpy(), minlength=3) / 60_000
        expected = (1 - value) * instance + value * np.full(3, 1 / 3)
        np.testing.assert_allclose(freq, expected, atol=0.01)


# ---- properties of the sampler -------------------------------------------------
@st.composite
def sampler_problems(draw):
    k = draw(st.integers(2, 5))
    counts = draw(st.lists(st.integers(1, 50), min_size=k, max_size=k))
    cw = draw(st.lists(st.floats(0.05, 20), min_size=k, max_size=k))
    with_sw = draw(st.booleans())
    return counts, cw, with_sw, draw(st.integers(0, 2**31 - 1))


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
