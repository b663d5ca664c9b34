"""The device-resident fast path computes what a plain PyTorch loop computes."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skimb import (
    NetClassifier,
    SimpleNet,
    WeightedLossClassifier,
    WeightedSamplerClassifier,
)


def _data(n=103, d=12, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d), dtype=np.float32)
    y = np.r_[np.zeros(n - 20, int), np.ones(12, int), np.full(8, 2)]
    return X, y


def _seeds(random_state):
    # skimb's documented seeding: one int from the random_state, used for the
    # module's initialisation, and that int + 1 for the epoch generator.
    seed = int(np.random.RandomState(random_state).randint(2**31 - 1))
    return seed, seed + 1


@pytest.mark.parametrize(
    "Estimator, weighted", [(NetClassifier, False), (WeightedLossClassifier, True)]
)
def test_one_epoch_matches_reference_loop(Estimator, weighted):
    X, y = _data()
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


def test_weighted_loss_equals_weighted_cross_entropy():
    X, y = _data()
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


@pytest.mark.parametrize(
    "Estimator", [NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier]
)
@pytest.mark.parametrize("batch_size, epochs", [(16, 1), (32, 3), (200, 2)])
def test_optimizer_steps_per_epoch(Estimator, batch_size, epochs):
    X, y = _data()
    clf = Estimator(
        max_epochs=epochs, batch_size=batch_size, random_state=0, device="cpu"
    ).fit(X, y)
    p = next(clf.module_.parameters())
    steps = int(clf.optimizer_.state[p]["step"])
    assert steps == epochs * -(-len(y) // batch_size)


def test_sampler_num_samples_sets_optimizer_steps():
    X, y = _data()
    clf = WeightedSamplerClassifier(
        max_epochs=2, batch_size=10, num_samples=55, random_state=0, device="cpu"
    ).fit(X, y)
    p = next(clf.module_.parameters())
    assert int(clf.optimizer_.state[p]["step"]) == 2 * 6


def test_fused_optimizer_by_default_and_opt_out():
    X, y = _data()
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
