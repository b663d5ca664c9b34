"""batch_size='auto': the rules, and what the estimators make of them."""

import math

import numpy as np
import pytest
import torch
from skorch.callbacks import LRScheduler

from skimb import NetClassifier, WeightedSamplerClassifier
from skimb.estimators import auto_batch_size, auto_lr, auto_patience

ROWS = [0, 1, 63, 64, 1_000, 10_000, 19_200, 19_201, 50_000, 150_000, 10**6, 10**8]


def test_small_tables_keep_64():
    assert {auto_batch_size(n) for n in range(0, 19_201, 97)} == {64}
    assert auto_batch_size(19_201) == 128


def test_the_batch_grows_monotonically_in_powers_of_two_up_to_the_cap():
    sizes = [auto_batch_size(n) for n in ROWS]
    assert sizes == sorted(sizes)
    assert all(s & (s - 1) == 0 for s in sizes)
    assert sizes[-1] == 4096 and max(sizes) == 4096
    assert auto_batch_size(150_000) == 512


@pytest.mark.parametrize("n_rows", [9_600, 19_201, 40_000, 150_000, 600_000, 1_228_800])
def test_an_epoch_keeps_150_to_300_steps(n_rows):
    steps = math.ceil(n_rows / auto_batch_size(n_rows))
    assert 150 <= steps <= 300


def test_the_rule_s_knobs():
    assert auto_batch_size(10_000, max_steps=10) == 1024
    assert auto_batch_size(10**6, largest=256) == 256
    assert auto_batch_size(100, smallest=32, max_steps=1) == 128
    with pytest.raises(ValueError, match="n_rows must be a non-negative integer"):
        auto_batch_size(-1)
    with pytest.raises(TypeError, match="n_rows must be"):
        auto_batch_size(2.5)


def test_the_learning_rate_follows_the_square_root_of_the_batch():
    assert auto_lr(1e-3, 64) == 1e-3  # exactly: small tables train as before
    assert auto_lr(1e-3, 32) == 1e-3  # never below lr
    assert auto_lr(1e-3, 256) == pytest.approx(2e-3)
    assert auto_lr(1e-3, 4096) == pytest.approx(8e-3)
    assert auto_lr(1e-3, 10**6) == pytest.approx(1e-2)  # capped at 10x
    assert auto_lr(1e-3, 4096, max_factor=2.0) == pytest.approx(2e-3)
    lrs = [auto_lr(0.01, b) for b in (64, 128, 512, 2048, 8192, 10**5)]
    assert lrs == sorted(lrs)
    with pytest.raises(ValueError, match="lr must be"):
        auto_lr(-1.0, 64)


@pytest.fixture(scope="module")
def wide():
    """20,000 rows: batch_size='auto' picks 128 (64 would take 313 steps)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 2)).astype(np.float32)
    y = (X[:, 0] > 1.0).astype(int)
    return X, y


FAST = dict(max_epochs=2, module__hidden_units=4, device="cpu", random_state=0)


def test_the_fit_uses_the_auto_batch_and_learning_rate(wide):
    X, y = wide
    clf = NetClassifier(early_stopping=False, lr=0.01, **FAST).fit(X, y)
    assert clf.batch_size_ == 128
    assert clf.lr_ == pytest.approx(0.01 * math.sqrt(2))
    assert clf.optimizer_.param_groups[0]["lr"] == clf.lr_
    assert clf.history_[-1, "train_batch_count"] == 157
    assert set(clf.history_[-1, "batches", :, "train_batch_size"]) == {128, 32}
    # An integer is used as given, with lr unscaled.
    fixed = NetClassifier(early_stopping=False, lr=0.01, batch_size=64, **FAST)
    fixed.fit(X[:1000], y[:1000])
    assert (fixed.batch_size_, fixed.lr_) == (64, 0.01)
    assert fixed.optimizer_.param_groups[0]["lr"] == 0.01
    # An explicit optimizer__lr is the user's.
    own = NetClassifier(early_stopping=False, optimizer__lr=0.02, **FAST).fit(X, y)
    assert own.lr_ == 0.02 == own.optimizer_.param_groups[0]["lr"]


def test_small_tables_train_as_with_batch_64(two_classes):
    X, y = two_classes
    auto = NetClassifier(**FAST).fit(X, y)
    fixed = NetClassifier(batch_size=64, **FAST).fit(X, y)
    assert (auto.batch_size_, auto.lr_) == (64, 1e-3)
    for p, q in zip(auto.module_.parameters(), fixed.module_.parameters(), strict=True):
        assert torch.equal(p, q)


def test_partial_fit_and_warm_start_keep_the_first_fit_s_budget(wide):
    X, y = wide
    clf = NetClassifier(early_stopping=False, **FAST).partial_fit(X, y)
    clf.partial_fit(X[:500], y[:500])
    assert clf.batch_size_ == 128
    assert clf.history_[-1, "batches", 0, "train_batch_size"] == 128
    warm = NetClassifier(early_stopping=False, warm_start=True, **FAST).fit(X, y)
    lr = warm.lr_
    warm.fit(X[:500], y[:500])
    assert (warm.batch_size_, warm.lr_) == (128, lr)
    # A fresh fit chooses again.
    assert clf.fit(X[:500], y[:500]).batch_size_ == 64


def test_lr_schedulers_and_set_params_see_the_scaled_rate(wide):
    X, y = wide
    step = LRScheduler(torch.optim.lr_scheduler.StepLR, step_size=1, gamma=0.5)
    clf = NetClassifier(early_stopping=False, lr=0.01, callbacks=[step], **FAST)
    clf.fit(X, y)
    assert clf.optimizer_.param_groups[0]["lr"] == pytest.approx(clf.lr_ * 0.25)
    # lr keeps its meaning (the rate at batch 64) after fit too.
    clf.set_params(lr=0.02)
    assert clf.lr_ == pytest.approx(0.02 * math.sqrt(2))
    assert clf.optimizer_.param_groups[0]["lr"] == clf.lr_


def test_the_sampler_s_batch_follows_its_training_rows(wide):
    X, y = wide
    clf = WeightedSamplerClassifier(early_stopping=False, **FAST).fit(X, y)
    assert clf.batch_size_ == 128
    assert clf.history_[-1, "train_batch_count"] == 157


# ---- the patience ------------------------------------------------------------------


def test_the_patience_is_ten_on_small_validation_parts_and_shrinks_on_large():
    assert [auto_patience(n) for n in (0, 1, 75, 100)] == [10] * 4
    assert [auto_patience(n) for n in (150, 300, 375, 1000, 10**6)] == [8, 6, 5, 3, 3]
    got = [auto_patience(n) for n in range(0, 3000, 7)]
    assert got == sorted(got, reverse=True)  # never longer on a larger part
    assert auto_patience(400, patience=20, reference=50, smallest=2) == 7


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(n_minority=-1), "n_minority"),
        (dict(n_minority=10, patience=0), "patience"),
        (dict(n_minority=10, smallest=11), "smallest"),
        (dict(n_minority=2.5), "n_minority"),
    ],
)
def test_the_patience_rule_s_errors(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        auto_patience(**kwargs)


def _patience_data(n_rare, seed):
    rng = np.random.default_rng(seed)
    y = np.r_[np.zeros(4 * n_rare, int), np.ones(n_rare, int)]
    X = (rng.normal(size=(len(y), 3)) + y[:, None] * 0.7).astype(np.float32)
    return X, y


@pytest.mark.parametrize(
    ("n_iter_no_change", "n_rare_valid", "expected"),
    [("auto", 60, 10), ("auto", 300, 6), (4, 300, 4)],
)
def test_the_fit_waits_the_patience_of_its_validation_part(
    n_iter_no_change, n_rare_valid, expected
):
    X, y = _patience_data(100, 0)
    Xv, yv = _patience_data(n_rare_valid, 1)
    clf = NetClassifier(
        max_epochs=40,
        lr=0.05,
        module__hidden_units=32,
        n_iter_no_change=n_iter_no_change,
        random_state=0,
        device="cpu",
    ).fit(X, y, X_val=Xv, y_val=yv)
    assert clf.n_iter_no_change_ == expected
    assert clf.n_epochs_ == min(40, clf.best_epoch_ + expected)
    no_stop = NetClassifier(early_stopping=False, max_epochs=2, device="cpu")
    assert no_stop.fit(X, y).n_iter_no_change_ is None


def test_one_budget_object_sets_every_default():
    """The estimators' defaults and the auto rules read BUDGET."""
    import dataclasses

    from skimb import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier
    from skimb.estimators import BUDGET, auto_batch_size, auto_lr, auto_patience

    for cls in (NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier):
        est = cls()
        assert est.max_epochs == BUDGET.max_epochs
        assert est.lr == BUDGET.lr
        assert est.validation_fraction == BUDGET.validation_fraction
    assert auto_batch_size(10) == BUDGET.batch_size
    assert auto_batch_size(10**9) == BUDGET.max_batch_size
    assert auto_lr(1.0, BUDGET.batch_size * 10**6) == BUDGET.max_lr_factor
    assert auto_patience(1) == BUDGET.patience
    assert auto_patience(10**9) == BUDGET.min_patience
    with pytest.raises(dataclasses.FrozenInstanceError):
        BUDGET.max_epochs = 5
