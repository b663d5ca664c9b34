"""GPU checks: skipped without CUDA; run them on a machine with a GPU."""

import numpy as np
import pytest
import torch

import skimb
from skimb import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier
from skimb.estimators import fit_many
from skimb.nn import SmallCNN

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")

X = np.random.default_rng(0).random((500, 20), dtype=np.float32)
y = np.r_[np.zeros(450, int), np.ones(40, int), np.full(10, 2)]


@pytest.mark.parametrize(
    "Estimator", [NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier]
)
def test_training_data_and_draws_live_on_the_gpu(Estimator, monkeypatch):
    from skimb.estimators._training import _Loop

    seen = []
    real = _Loop._gather

    def spy(self, sources, s):
        batch = real(self, sources, s)
        seen.append((sources[0][0].device.type, sources[0][1].device.type))
        seen.append((batch.device.type, batch.device.type))
        return batch

    monkeypatch.setattr(_Loop, "_gather", spy)
    clf = Estimator(max_epochs=2, random_state=0, device="auto").fit(X, y)
    assert str(clf.device) == "cuda"
    assert next(clf.module_.parameters()).device.type == "cuda"
    assert seen and all(s == ("cuda", "cuda") for s in seen)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)


def test_gpu_fit_reproducible_and_close_to_cpu():
    a = WeightedLossClassifier(max_epochs=3, random_state=0, device="cuda").fit(X, y)
    b = WeightedLossClassifier(max_epochs=3, random_state=0, device="cuda").fit(X, y)
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=1e-5)


def test_save_on_gpu_load_on_cpu(tmp_path):
    clf = WeightedSamplerClassifier(max_epochs=2, random_state=0, device="cuda").fit(
        X, y
    )
    loaded = skimb.load(skimb.save(clf, tmp_path / "m"), device="cpu")
    np.testing.assert_allclose(loaded.predict_proba(X), clf.predict_proba(X), atol=1e-5)


def test_too_large_for_gpu_is_refused():
    free, _ = torch.cuda.mem_get_info()
    n = int(free // (4 * 1000)) + 10_000
    big = np.lib.stride_tricks.as_strided(np.zeros(1, np.float32), (n, 1000), (0, 0))
    with pytest.raises(ValueError, match="needs .* GiB as float32 but cuda"):
        NetClassifier(device="cuda", max_epochs=1).fit(big, np.arange(n) % 2)


IMAGES = np.random.default_rng(1).random((300, 1, 8, 8), dtype=np.float32)
IMAGE_LABELS = np.r_[np.zeros(240, int), np.ones(50, int), np.full(10, 2)]


def test_a_cnn_on_images_trains_on_the_gpu():
    clf = WeightedSamplerClassifier(module=SmallCNN, max_epochs=2, device="cuda")
    clf.fit(IMAGES, IMAGE_LABELS)
    assert next(clf.module_.parameters()).device.type == "cuda"
    assert clf.predict_proba(IMAGES).shape == (300, 3)


def test_a_dataset_draws_on_the_gpu_and_equals_its_arrays(monkeypatch):
    from torch.utils.data import TensorDataset

    from skimb.estimators._batches import WeightedSamplerBatches

    devices = []
    real = WeightedSamplerBatches.order

    def spy(self):
        order = real(self)
        devices.append(order.device.type)
        return order

    monkeypatch.setattr(WeightedSamplerBatches, "order", spy)
    ds = TensorDataset(torch.as_tensor(IMAGES), torch.as_tensor(IMAGE_LABELS))
    kw = dict(module=SmallCNN, max_epochs=2, device="cuda", random_state=0)
    from_dataset = WeightedSamplerClassifier(**kw).fit(ds)
    from_arrays = WeightedSamplerClassifier(**kw).fit(IMAGES, IMAGE_LABELS)
    assert devices and set(devices) == {"cuda"}
    np.testing.assert_allclose(
        from_dataset.predict_proba(IMAGES), from_arrays.predict_proba(IMAGES), atol=1e-4
    )


def test_cnns_stack_on_the_gpu_as_their_own_fits():
    def make():
        return [
            WeightedLossClassifier(
                module=SmallCNN, max_epochs=2, device="cuda", random_state=k
            )
            for k in range(3)
        ]

    separate = [est.fit(IMAGES, IMAGE_LABELS) for est in make()]
    together = fit_many(make(), [IMAGES] * 3, [IMAGE_LABELS] * 3)
    for a, b in zip(separate, together, strict=True):
        np.testing.assert_allclose(
            b.predict_proba(IMAGES), a.predict_proba(IMAGES), atol=1e-4
        )


def test_sparse_rows_train_on_the_gpu():
    import scipy.sparse as sp

    Xs = sp.random(500, 2_000, density=0.01, format="csr", dtype=np.float32)
    clf = WeightedLossClassifier(max_epochs=2, device="cuda").fit(Xs, y)
    assert clf.predict_proba(Xs).shape == (500, 3)


def test_a_smoothed_net_on_the_gpu_predicts_as_on_the_cpu():
    params = dict(
        class_weight="balanced",
        criterion__label_smoothing=0.2,
        max_epochs=30,
        random_state=0,
    )
    Xs = X + 2 * np.eye(3, dtype=np.float32)[y].repeat(7, 1)[:, :20]  # a signal
    gpu = WeightedLossClassifier(device="cuda", **params).fit(Xs, y)
    cpu = WeightedLossClassifier(device="cpu", **params).fit(Xs, y)
    proba = gpu.predict_proba(Xs)
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-5)
    # Unsmoothed on the GPU (a raw smoothed weighted net calls most rows
    # rare): its decisions are the CPU net's, up to the devices' rounding.
    assert (gpu.predict(Xs) == cpu.predict(Xs)).mean() >= 0.9
    assert (gpu.predict(Xs) == y).mean() > 0.9
