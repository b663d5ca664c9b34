"""DeferredReweighting: class weights all ones before the start epoch, real after."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from skorch.history import History

from skimb import DeferredReweighting, WeightedLossClassifier

CLASS_WEIGHT = np.array([0.5, 2.0, 8.0])


def _net(weight):
    """The three things the callback reads: a criterion, class_weight_, history."""
    return SimpleNamespace(
        criterion_=torch.nn.CrossEntropyLoss(weight=weight),
        class_weight_=CLASS_WEIGHT,
        history=History(),
    )


def _run_epochs(callback, net, n_epochs):
    """Open ``n_epochs`` epochs as skorch does (record first, then notify) and
    return the criterion's weight seen at the start of each."""
    seen = []
    for _ in range(n_epochs):
        net.history.new_epoch()
        callback.on_epoch_begin(net)
        seen.append(net.criterion_.weight.clone())
    return seen


@pytest.mark.parametrize("start_epoch", [0, 1, 3])
def test_weights_before_and_after_the_start_epoch(start_epoch):
    net = _net(torch.full((3,), 7.0))
    seen = _run_epochs(DeferredReweighting(start_epoch).initialize(), net, 5)
    for epoch, weight in enumerate(seen):
        expected = CLASS_WEIGHT if epoch >= start_epoch else np.ones(3)
        torch.testing.assert_close(weight, torch.tensor(expected, dtype=torch.float32))
    assert net.history[:, "class_weight_on"] == [e >= start_epoch for e in range(5)]


def test_weight_keeps_its_tensor_dtype_and_identity():
    weight = torch.ones(3, dtype=torch.float64)
    net = _net(weight)
    _run_epochs(DeferredReweighting(0).initialize(), net, 1)
    assert net.criterion_.weight is weight  # updated in place: the loss sees it
    assert weight.dtype == torch.float64
    np.testing.assert_array_equal(weight.numpy(), CLASS_WEIGHT)


def test_criterion_without_weight_is_a_clear_error():
    net = _net(None)
    callback = DeferredReweighting(1).initialize()
    net.history.new_epoch()
    with pytest.raises(
        TypeError,
        match="deferred re-weighting needs a criterion with a 'weight' tensor; "
        "CrossEntropyLoss has none",
    ):
        callback.on_epoch_begin(net)


@pytest.mark.parametrize(
    "start_epoch, error, match",
    [
        (-1, ValueError, r"start_epoch must be a non-negative integer; got -1\.$"),
        (1.5, TypeError, r"start_epoch must be .*; got 1.5 of type float"),
        (True, TypeError, r"start_epoch must be .*; got True of type bool"),
    ],
)
def test_bad_start_epoch(start_epoch, error, match):
    with pytest.raises(error, match=match):
        DeferredReweighting(start_epoch).initialize()


# ---- through WeightedLossClassifier(reweight_epoch=...) ------------------------
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


def test_epochs_are_counted_over_the_whole_history(long_tail):
    """partial_fit continues the count: the switch is at the 4th epoch overall."""
    clf = WeightedLossClassifier(
        max_epochs=2, reweight_epoch=3, random_state=0, device="cpu"
    )
    clf.partial_fit(long_tail.X, long_tail.y).partial_fit(long_tail.X, long_tail.y)
    assert clf.history_[:, "class_weight_on"] == [False, False, False, True]


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


def test_quiet_print_log_prints_only_when_verbose(capsys):
    import numpy as np

    from skimb import NetClassifier

    X = np.random.default_rng(0).random((40, 3), dtype=np.float32)
    y = np.arange(40) % 2
    NetClassifier(max_epochs=2, device="cpu").fit(X, y)
    assert capsys.readouterr().out == ""
    NetClassifier(max_epochs=2, device="cpu", verbose=1).fit(X, y)
    printed = capsys.readouterr().out
    assert "train_loss" in printed and printed.count("\n") >= 4


def test_per_batch_hooks_reach_the_callbacks_that_implement_them():
    import numpy as np
    from skorch.callbacks import Callback

    from skimb import NetClassifier

    calls = {"begin": 0, "end": 0, "grad": 0}

    class Counter(Callback):
        def on_batch_begin(self, net, **kwargs):
            calls["begin"] += 1

        def on_batch_end(self, net, **kwargs):
            calls["end"] += 1

        def on_grad_computed(self, net, named_parameters, **kwargs):
            calls["grad"] += 1

    X = np.random.default_rng(0).random((40, 3), dtype=np.float32)
    y = np.arange(40) % 2
    clf = NetClassifier(
        max_epochs=2, batch_size=16, callbacks=[Counter()], device="cpu"
    ).fit(X, y)
    assert calls == {"begin": 6, "end": 6, "grad": 6}  # 2 epochs x 3 batches
    plain = NetClassifier(max_epochs=2, batch_size=16, device="cpu").fit(X, y)
    # Without a listener the net's own bookkeeping still runs per batch.
    assert len(plain.history[-1, "batches"]) == len(clf.history[-1, "batches"]) == 3
