"""DeferredReweighting, through WeightedLossClassifier(reweight_epoch=...)."""

import pytest
import torch
from skorch.callbacks import Callback

from skimb import WeightedLossClassifier


class _RecordWeight(Callback):
    def initialize(self):
        self.seen = []
        return self

    def on_epoch_begin(self, net, **kwargs):
        pass

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training and (not self.seen or self.seen[-1][0] != len(net.history)):
            self.seen.append((len(net.history), net.criterion_.weight.clone()))


def test_deferred_reweighting_switches_on_at_epoch_k(long_tail):
    X, Y = long_tail.X, long_tail.y
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


def test_reweight_epoch_errors(long_tail):
    with pytest.raises(
        ValueError, match="reweight_epoch .* non-negative integer.*; got -1"
    ):
        WeightedLossClassifier(reweight_epoch=-1, max_epochs=1).fit(
            long_tail.X, long_tail.y
        )


def test_bad_reweight_epoch_through_fit(two_classes):
    X, y = two_classes
    with pytest.raises(
        ValueError, match=r"reweight_epoch .* non-negative integer.*; got -2"
    ):
        WeightedLossClassifier(reweight_epoch=-2, max_epochs=1).fit(X, y)
