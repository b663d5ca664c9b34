"""GPU checks: skipped without CUDA; run them on a machine with a GPU."""

import numpy as np
import pytest
import torch

import skimb
from skimb import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier
from skimb.estimators._batches import DeviceDataset

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")

X = np.random.default_rng(0).random((500, 20), dtype=np.float32)
y = np.r_[np.zeros(450, int), np.ones(40, int), np.full(10, 2)]


@pytest.mark.parametrize(
    "Estimator", [NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier]
)
def test_training_data_and_draws_live_on_the_gpu(Estimator, monkeypatch):
    seen = []
    real = DeviceDataset.batch

    def spy(self, index, **kwargs):
        seen.append((self.X.device.type, index.device.type))
        return real(self, index, **kwargs)

    monkeypatch.setattr(DeviceDataset, "batch", spy)
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
