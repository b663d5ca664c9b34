"""The epoch loop's shortcuts keep skorch's behaviour: the history users read,
every callback notified, scorers working, the same steps as skorch's own, the
thread tuner told of every step and the caller's thread setting restored."""

import numpy as np
import pytest
import torch
from skorch.callbacks import BatchScoring, Callback, EpochScoring, PassthroughScoring
from skorch.dataset import ValidSplit

from skimb import NetClassifier, WeightedLossClassifier, fit_many
from skimb._utils.device import MIN_TIMED_WORK, ThreadTuner, available_cores

TINY = dict(max_epochs=3, batch_size=16, module__hidden_units=8, device="cpu")


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 4)).astype(np.float32)
    y = (X[:, 0] + 0.3 * rng.normal(size=50) > 0.4).astype(np.int64)
    return X, y


@pytest.fixture
def two_threads():
    """The caller runs torch on 2 threads (restored after the test)."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


# ---- the history users read -----------------------------------------------------
@pytest.mark.parametrize("Estimator", [NetClassifier, WeightedLossClassifier])
def test_history_keys_and_values(Estimator, data):
    X, y = data
    clf = Estimator(random_state=0, **TINY).fit(X, y)
    history = clf.history_
    assert len(history) == 3
    assert history[:, "epoch"] == [1, 2, 3]
    for row in history:
        assert {"epoch", "dur", "train_loss", "train_batch_count", "batches"} <= set(
            row
        )
        assert row["train_batch_count"] == 4  # 50 rows in batches of 16
        sizes = [b["train_batch_size"] for b in row["batches"]]
        losses = [b["train_loss"] for b in row["batches"]]
        assert sizes == [16, 16, 16, 2]
        assert all(type(v) is float for v in losses)  # floats, not tensors
        assert row["train_loss"] == pytest.approx(np.average(losses, weights=sizes))
        assert row["dur"] > 0
    assert history[:, "train_loss_best"][0] is True


def test_validation_scores_are_recorded(data):
    X, y = data
    clf = NetClassifier(random_state=0, train_split=ValidSplit(5), **TINY).fit(X, y)
    row = clf.history_[-1]
    assert {"valid_loss", "valid_acc", "valid_bal_acc", "valid_batch_count"} <= set(row)
    valid = [b for b in row["batches"] if "valid_loss" in b]
    assert len(valid) == row["valid_batch_count"] == 1
    assert row["valid_loss"] == pytest.approx(
        np.average(
            [b["valid_loss"] for b in valid],
            weights=[b["valid_batch_size"] for b in valid],
        )
    )


def test_quiet_passthrough_scoring_records_what_skorchs_does(data):
    X, y = data
    ours = NetClassifier(random_state=0, **TINY).fit(X, y)
    skorchs = NetClassifier(
        random_state=0,
        callbacks__train_loss=PassthroughScoring(name="train_loss", on_train=True),
        **TINY,
    ).fit(X, y)
    assert type(dict(ours.callbacks_)["train_loss"]) is not PassthroughScoring
    assert type(dict(skorchs.callbacks_)["train_loss"]) is PassthroughScoring
    assert ours.history_[:, "train_loss"] == skorchs.history_[:, "train_loss"]
    assert ours.history_[:, "train_loss_best"] == skorchs.history_[:, "train_loss_best"]


# ---- callbacks ------------------------------------------------------------------
class _Recorder(Callback):
    def __init__(self):
        self.calls = []

    def on_train_begin(self, net, **kwargs):
        self.calls.append("train_begin")

    def on_epoch_begin(self, net, **kwargs):
        self.calls.append("epoch_begin")

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        # skorch opens the batch's history row before on_batch_begin.
        assert net.history[-1]["batches"][-1] == {}
        self.calls.append("batch_begin")

    def on_grad_computed(self, net, named_parameters, **kwargs):
        assert all(p.grad is not None for _, p in named_parameters)
        self.calls.append("grad")

    def on_batch_end(self, net, batch=None, training=None, **kwargs):
        assert {"loss", "y_pred"} <= set(kwargs)
        self.calls.append("batch_end")

    def on_epoch_end(self, net, **kwargs):
        self.calls.append("epoch_end")

    def on_train_end(self, net, **kwargs):
        self.calls.append("train_end")


def test_every_callback_hook_is_called_in_order(data):
    X, y = data
    recorder = _Recorder()
    NetClassifier(random_state=0, callbacks=[recorder], **TINY).fit(X, y)
    epoch = ["epoch_begin", *["batch_begin", "grad", "batch_end"] * 4, "epoch_end"]
    assert recorder.calls == ["train_begin", *epoch * 3, "train_end"]


def test_scoring_callbacks_on_training_batches(data):
    X, y = data
    clf = NetClassifier(
        random_state=0,
        callbacks=[
            EpochScoring("accuracy", on_train=True, name="train_acc"),
            BatchScoring("accuracy", on_train=True, name="batch_acc"),
        ],
        **TINY,
    ).fit(X, y)
    for row in clf.history_:
        assert 0 <= row["train_acc"] <= 1
        assert all(0 <= b["batch_acc"] <= 1 for b in row["batches"])


# ---- the training loop is skorch's loop -------------------------------------------
class _EveryBatch(Callback):
    """A per-batch callback: the net trains in skorch's own loop."""

    def __init__(self):
        self.batches = 0

    def on_batch_end(self, net, **kwargs):
        self.batches += 1


@pytest.mark.parametrize(
    "optimizer", [torch.optim.Adam, torch.optim.SGD, torch.optim.RMSprop]
)
def test_the_training_loop_equals_skorchs(optimizer, data, monkeypatch):
    """fit's loop (the one fit_many stacks) and skorch's loop, which a net
    with a per-batch callback trains in, take the same steps."""
    from skimb.estimators import _net

    X, y = data
    runs = []
    real = _net.train
    monkeypatch.setattr(_net, "train", lambda *a, **k: runs.append(1) or real(*a, **k))
    kw = dict(random_state=0, optimizer=optimizer, n_threads=1, **TINY)
    ours = NetClassifier(**kw).fit(X, y)
    assert runs == [1]
    spy = _EveryBatch()
    skorchs = NetClassifier(callbacks=[spy], **kw).fit(X, y)
    assert runs == [1] and spy.batches == sum(ours.history_[:, "train_batch_count"])
    # The same arithmetic in the same order; compared to float tolerance,
    # never bit for bit (kernels may round differently on other processors).
    for a, b in zip(
        ours.module_.parameters(), skorchs.module_.parameters(), strict=True
    ):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(
        ours.history_[:, "train_loss"], skorchs.history_[:, "train_loss"], rtol=1e-6
    )


def test_an_optimizer_that_calls_its_closure_often_gets_skorchs_step(data):
    X, y = data
    clf = NetClassifier(
        random_state=0, optimizer=torch.optim.LBFGS, lr=0.1, **TINY
    ).fit(X, y)
    assert np.isfinite(clf.history_[:, "train_loss"]).all()


def test_training_run_state_is_dropped_after_fit(data):
    X, y = data
    clf = NetClassifier(random_state=0, **TINY).fit(X, y)
    left = {k for k in clf.__dict__ if k.startswith(("_batch", "_quiet", "_plain"))}
    assert left == set()
    assert "_thread_tuner" not in clf.__dict__ and "_mode_trees" not in clf.__dict__


# ---- threads ----------------------------------------------------------------------
class _Fails(Callback):
    def on_batch_end(self, net, **kwargs):
        raise RuntimeError("the fit fails")


@pytest.mark.parametrize("n_threads", ["auto", 1, None])
def test_fit_leaves_the_callers_thread_setting(n_threads, data, two_threads):
    X, y = data
    NetClassifier(n_threads=n_threads, **TINY).fit(X, y)
    assert torch.get_num_threads() == 2
    with pytest.raises(RuntimeError, match="the fit fails"):
        NetClassifier(n_threads=n_threads, callbacks=[_Fails()], **TINY).fit(X, y)
    assert torch.get_num_threads() == 2


def _threads_per_step(monkeypatch):
    """The torch threads of every training step of the loop."""
    seen = []
    original = ThreadTuner.step

    def step(self):
        seen.append(torch.get_num_threads())
        return original(self)

    monkeypatch.setattr(ThreadTuner, "step", step)
    return seen


class _Threads(Callback):
    def __init__(self):
        self.seen = []

    def on_batch_begin(self, net, **kwargs):
        self.seen.append(torch.get_num_threads())


def test_fixed_and_callers_threads(data, two_threads):
    X, y = data
    spy = _Threads()
    NetClassifier(n_threads=1, callbacks=[spy], **TINY).fit(X, y)
    assert set(spy.seen) == {1}
    spy.seen.clear()
    NetClassifier(n_threads=None, callbacks=[spy], **TINY).fit(X, y)
    assert set(spy.seen) == {2}


@pytest.fixture
def wide(data):
    """Data and a net whose steps are worth timing (MIN_TIMED_WORK)."""
    X, y = data
    X = np.hstack([X] * 8)  # 32 features
    net = {**TINY, "module__hidden_units": 512}
    assert 6 * 16 * (32 * 512 + 512 * 2) >= MIN_TIMED_WORK
    return X, y, net


def test_auto_trains_tiny_nets_on_one_thread(data, two_threads):
    X, y = data
    spy = _Threads()
    NetClassifier(callbacks=[spy], **TINY).fit(X, y)
    assert set(spy.seen) == {1}


@pytest.mark.skipif(available_cores() < 2, reason="needs two cores")
def test_auto_times_one_thread_against_two(wide, two_threads, monkeypatch):
    X, y, net = wide
    seen = _threads_per_step(monkeypatch)
    NetClassifier(**{**net, "max_epochs": 4}).fit(X, y)
    # Warm-up and timing alternate one and two threads: the same steps in
    # every run, whatever the timings say afterwards.
    assert seen[:8] == [1, 2, 1, 2, 1, 2, 1, 2]
    assert len(set(seen[8:])) == 1


def test_fit_many_tells_the_tuner_of_every_step(wide, two_threads, monkeypatch):
    X, y, net = wide
    steps = []
    original = ThreadTuner.step

    def counted(self):
        steps.append(self)
        return original(self)

    monkeypatch.setattr(ThreadTuner, "step", counted)
    nets = [NetClassifier(random_state=s, **net) for s in range(3)]
    fit_many(nets, [X, X[:-1], X], [y, y[:-1], y])
    if available_cores() >= 2:
        # One tuner for the group, 3 epochs of 4 steps.
        assert len(steps) == 12 and len(set(map(id, steps))) == 1
    else:
        assert steps == []
    assert torch.get_num_threads() == 2
