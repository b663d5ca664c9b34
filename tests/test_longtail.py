"""Class-weight rules, DRW, progressive sampling and post-hoc logit adjustment."""

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback

from skimb import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier
from skimb.iterators import DeviceDataset, WeightedSamplerBatches
from skimb.losses import FocalLoss, LDAMLoss, LogitAdjustedLoss
from skimb.weighting import EffectiveNumber, PowerRule, check_class_weight

COUNTS = np.array([500.0, 50.0, 5.0])
Y = np.repeat([0, 1, 2], COUNTS.astype(int))
X = np.random.default_rng(0).random((len(Y), 4), dtype=np.float32)
BALANCED = check_class_weight("balanced", classes=np.arange(3), y=Y)


def test_effective_number_limits():
    np.testing.assert_allclose(EffectiveNumber(0.0)(COUNTS), 1.0)
    np.testing.assert_allclose(EffectiveNumber(1e-12)(COUNTS), 1.0, rtol=1e-9)
    np.testing.assert_allclose(EffectiveNumber(1 - 1e-9)(COUNTS), BALANCED, rtol=1e-5)
    mid = EffectiveNumber(0.99)(COUNTS)
    assert mid[0] < mid[1] < mid[2]
    assert mid[2] / mid[0] < BALANCED[2] / BALANCED[0]  # milder than balanced


def test_power_rule():
    np.testing.assert_allclose(PowerRule(1.0)(COUNTS), BALANCED)
    np.testing.assert_allclose(PowerRule(0.0)(COUNTS), 1.0)
    w = PowerRule(0.5)(COUNTS)
    np.testing.assert_allclose(w[0] / w[2], np.sqrt(5 / 500))
    np.testing.assert_allclose(check_class_weight("sqrt", classes=np.arange(3), y=Y), w)
    np.testing.assert_allclose(
        check_class_weight("effective", classes=np.arange(3), y=Y),
        EffectiveNumber(0.999)(COUNTS),
    )


@pytest.mark.parametrize(
    "rule, match",
    [
        (EffectiveNumber(1.0), r"beta must be a real number in \[0, 1\); got 1.0"),
        (EffectiveNumber(-0.1), r"beta must be .*; got -0.1"),
        (PowerRule(-1), r"q must be a non-negative real number; got -1"),
    ],
)
def test_rule_errors(rule, match):
    with pytest.raises(ValueError, match=match):
        check_class_weight(rule, classes=np.arange(3), y=Y)


class _RecordWeight(Callback):
    def initialize(self):
        self.seen = []
        return self

    def on_epoch_begin(self, net, **kwargs):
        pass

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training and (not self.seen or self.seen[-1][0] != len(net.history)):
            self.seen.append((len(net.history), net.criterion_.weight.clone()))


def test_deferred_reweighting_switches_on_at_epoch_k():
    rec = _RecordWeight()
    clf = WeightedLossClassifier(
        max_epochs=5,
        reweight_epoch=3,
        random_state=0,
        device="cpu",
        callbacks=[("rec", rec)],
    ).fit(X, Y)
    weights = {epoch: w for epoch, w in rec.seen}
    for epoch in (1, 2, 3):  # history length 1..3 = epochs 0..2
        torch.testing.assert_close(weights[epoch], torch.ones(3))
    for epoch in (4, 5):
        torch.testing.assert_close(
            weights[epoch], torch.tensor(clf.class_weight_, dtype=torch.float32)
        )
    assert clf.history_[:, "class_weight_on"] == [False, False, False, True, True]


def test_progressive_sampler_moves_from_instance_to_class_balanced():
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


def test_progressive_schedule_in_the_estimator():
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


def test_posthoc_adjustment():
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


@pytest.mark.parametrize(
    "criterion, kwargs",
    [(LogitAdjustedLoss, {}), (FocalLoss, {}), (LDAMLoss, {"criterion__s": 1.0})],
)
def test_losses_receive_what_they_need(criterion, kwargs):
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


def test_reweight_epoch_errors():
    with pytest.raises(
        ValueError, match="reweight_epoch .* non-negative integer.*; got -1"
    ):
        WeightedLossClassifier(reweight_epoch=-1, max_epochs=1).fit(X, Y)
