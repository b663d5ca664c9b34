"""skimb._device: the device parameter and the memory check."""

import numpy as np
import pytest
import torch

import skimb._device as _device
from skimb import NetClassifier

needs_no_cuda = pytest.mark.skipif(
    torch.cuda.is_available(), reason="needs a machine without CUDA"
)


@pytest.mark.parametrize(
    "estimator, error, match",
    [
        (
            NetClassifier(device="tpu"),
            ValueError,
            r"device must be 'auto', 'cpu', 'cuda', .*; got 'tpu'",
        ),
        (NetClassifier(device=3.5), TypeError, r"device must be .*; got 3.5"),
    ],
)
def test_bad_device_parameter(estimator, error, match, two_classes):
    X, y = two_classes
    with pytest.raises(error, match=match):
        estimator.set_params(max_epochs=1).fit(X, y)


@needs_no_cuda
def test_cuda_without_gpu(two_classes):
    X, y = two_classes
    with pytest.raises(
        ValueError, match=r"device='cuda' was requested but no CUDA GPU"
    ):
        NetClassifier(device="cuda", max_epochs=1).fit(X, y)


def test_data_too_large_for_device_is_refused_before_training(monkeypatch):
    monkeypatch.setattr(_device, "_available_host_memory", lambda: 1024)
    clf = NetClassifier(max_epochs=1, device="cpu")
    X = np.zeros((100, 10))  # float64: needs a float32 copy of 4000 bytes
    with pytest.raises(
        ValueError, match="needs 0.00 GiB as float32 but host memory .* cannot hold it"
    ):
        clf.fit(X, np.arange(100) % 2)
    assert not hasattr(clf, "module_")
