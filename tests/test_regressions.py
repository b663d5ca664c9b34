"""Regressions found in review; each test failed before its fix."""

import os
import stat

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from skorch.callbacks import Callback, EpochScoring
from skorch.dataset import ValidSplit

import skimb
from skimb import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier
from skimb.losses import LDAMLoss

rng = np.random.RandomState(0)
X = rng.randn(60, 3).astype(np.float32)


def _finite(clf):
    return all(torch.isfinite(p).all() for p in clf.module_.parameters())


def test_partial_fit_class_absent_from_first_chunk_is_weighted_later():
    clf = WeightedLossClassifier(max_epochs=1, batch_size=16, device="cpu")
    clf.partial_fit(X, np.r_[[0] * 30, [1] * 30], classes=[0, 1, 2])
    assert clf.class_weight_[2] == 0  # not seen yet
    clf.partial_fit(X, np.full(60, 2))
    assert _finite(clf)
    assert np.isfinite(clf.history_[-1, "train_loss"])
    assert clf.class_weight_[2] > 0
    np.testing.assert_array_equal(clf.class_counts_, [30, 30, 60])
    torch.testing.assert_close(
        clf.criterion_.weight, torch.tensor(clf.class_weight_, dtype=torch.float32)
    )
    with pytest.raises(ValueError, match="differs from the classes of the first"):
        clf.partial_fit(X, np.full(60, 2), classes=[0, 1, 2, 3])


def test_zero_class_weight_batches_do_not_produce_nan():
    y = np.r_[[0] * 55, [1] * 5]
    clf = WeightedLossClassifier(
        class_weight={0: 0.0}, batch_size=4, max_epochs=1, device="cpu"
    ).fit(X, y)
    assert _finite(clf)
    assert all(np.isfinite(clf.history_[-1, "batches", :, "train_loss"]))


def test_posthoc_with_training_scoring_callback():
    y = np.arange(60) % 3
    clf = NetClassifier(
        prior="balanced",
        max_epochs=2,
        device="cpu",
        train_split=ValidSplit(4),
        callbacks=[("tr", EpochScoring("balanced_accuracy", on_train=True))],
    ).fit(X, y)
    assert 0 <= clf.history_[-1, "balanced_accuracy"] <= 1


def test_use_caching_false_with_split_is_a_clear_error():
    with pytest.raises(ValueError, match="use_caching=False is not supported"):
        NetClassifier(
            max_epochs=1, device="cpu", use_caching=False, train_split=ValidSplit(4)
        ).fit(X, np.arange(60) % 2)


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


def test_nll_loss_with_sample_weights_takes_the_log():
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


def test_numpy_int_hidden_units_in_a_grid():
    y = np.arange(60) % 2
    grid = GridSearchCV(
        NetClassifier(max_epochs=1, device="cpu"),
        {"module__hidden_units": np.array([4, 8])},
        cv=2,
    ).fit(X, y)
    assert grid.best_estimator_.module_.fc1.out_features in (4, 8)


def test_save_int_keyed_class_weight_and_torch_device(tmp_path):
    y = np.arange(60) % 2
    clf = WeightedLossClassifier(
        class_weight={0: 1.0, 1: 5.0}, max_epochs=1, device=torch.device("cpu")
    ).fit(X, y)
    path = skimb.save(clf, tmp_path / "m")
    loaded = skimb.load(path)
    assert loaded.class_weight == {0: 1.0, 1: 5.0}
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~mask


def test_clone_keeps_callback_parameters():
    clf = NetClassifier(
        verbose=1, callbacks__print_log=None, max_epochs=1, device="cpu"
    )
    copy = clone(clf)
    assert copy.get_params(deep=False)["callbacks__print_log"] is None
    copy.fit(X, np.arange(60) % 2)
    assert "print_log" not in [name for name, _ in copy.callbacks_]


def test_constant_sample_weight_counts_like_repetition():
    y = np.r_[[0] * 50, [1] * 10]
    rule = skimb.weighting.EffectiveNumber(0.99)
    weighted = WeightedLossClassifier(
        class_weight=rule, max_epochs=0, device="cpu"
    ).fit(X, y, sample_weight=np.full(60, 50.0))
    repeated = WeightedLossClassifier(
        class_weight=rule, max_epochs=0, device="cpu"
    ).fit(np.repeat(X, 50, 0), np.repeat(y, 50))
    np.testing.assert_allclose(weighted.class_weight_, repeated.class_weight_)
    np.testing.assert_array_equal(weighted.class_counts_, [2500, 500])


def test_ldam_margins_with_an_empty_class():
    with_empty = LDAMLoss([100.0, 10.0, 0.0]).margins
    # the seen classes keep their (n_a / n_b) ** (1/4) ratio and the largest
    # seen margin is max_margin; the empty class gets max_margin too
    assert with_empty[0] / with_empty[1] == pytest.approx((10 / 100) ** 0.25)
    assert with_empty[1] == pytest.approx(0.5)
    assert with_empty[2] == pytest.approx(0.5)


def test_numpy_majority_class_in_compare():
    res = skimb.comparison.run_comparison(
        methods=["baseline"],
        majority_class=np.int64(0),
        cv=2,
        max_epochs=1,
        output=None,
        progress=False,
        device="cpu",
    )
    assert (res.rows["status"] == "ok").all()
