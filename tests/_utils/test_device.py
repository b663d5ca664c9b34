"""Device resolution and checks, memory checks, seeded RNG state."""

import numpy as np
import pytest
import torch

import skimb._utils.device as _device
from skimb import NetClassifier
from skimb._utils.device import (
    check_device,
    check_fits_on_device,
    on_device,
    resolve_device,
    seeded,
)

needs_no_cuda = pytest.mark.skipif(
    torch.cuda.is_available(), reason="needs a machine without CUDA"
)


# ---- resolve_device and check_device ------------------------------------------
def test_auto_resolves_to_what_the_machine_has():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto") == expected
    assert check_device("auto") == torch.device(expected)


@pytest.mark.parametrize("device", ["cpu", "cuda:1", torch.device("cpu"), None, 3])
def test_resolve_device_passes_anything_else_through(device):
    assert resolve_device(device) is device


@pytest.mark.parametrize(
    "device, expected",
    [
        ("cpu", torch.device("cpu")),
        (torch.device("cpu"), torch.device("cpu")),
        (None, torch.device("cpu")),
    ],
)
def test_check_device_returns_a_torch_device(device, expected):
    result = check_device(device)
    assert isinstance(result, torch.device)
    assert result == expected


@pytest.mark.parametrize("device", ["tpu", "CPU", "", "cuda:x"])
def test_unknown_device_string(device):
    with pytest.raises(ValueError) as exc:
        check_device(device)
    assert str(exc.value) == (
        "device must be 'auto', 'cpu', 'cuda', 'cuda:<index>', 'mps' or a "
        f"torch.device; got {device!r}."
    )


@pytest.mark.parametrize("device", [3.5, 0, ["cpu"]])
def test_device_of_the_wrong_type(device):
    with pytest.raises(TypeError, match=r"device must be 'auto', .*; got "):
        check_device(device)


@needs_no_cuda
@pytest.mark.parametrize("device", ["cuda", "cuda:0", torch.device("cuda")])
def test_cuda_requested_without_a_gpu(device):
    with pytest.raises(
        ValueError, match=r"was requested but no CUDA GPU is available; use "
    ):
        check_device(device)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_index_beyond_the_devices():
    n = torch.cuda.device_count()
    with pytest.raises(ValueError, match=rf"only {n} CUDA device\(s\) exist"):
        check_device(f"cuda:{n}")


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="needs no MPS")
def test_mps_requested_where_unavailable():
    with pytest.raises(ValueError, match="device='mps' was requested but MPS is not"):
        check_device("mps")


# ---- through an estimator's fit -----------------------------------------------
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


# ---- on_device ------------------------------------------------------------------
def test_on_device():
    t = torch.zeros(2)
    assert on_device(t, "cpu")
    assert on_device(t, torch.device("cpu"))
    assert not on_device(t, "cuda")
    assert not on_device(t, "meta")
    assert on_device(torch.zeros(2, device="meta"), "meta")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_on_device_cuda_names_the_current_device():
    t = torch.zeros(2, device="cuda")
    assert on_device(t, "cuda") and on_device(t, f"cuda:{t.device.index}")
    assert not on_device(t, "cpu")


# ---- check_fits_on_device ------------------------------------------------------
def test_host_memory_check(monkeypatch):
    monkeypatch.setattr(_device, "_available_host_memory", lambda: 2**30)
    check_fits_on_device(2**30, torch.device("cpu"))  # exactly fits
    with pytest.raises(ValueError) as exc:
        check_fits_on_device(2**31, torch.device("cpu"), what="the test data")
    assert str(exc.value).startswith(
        "the test data needs 2.00 GiB as float32 but host memory (1.00 GiB "
        "available) cannot hold it;"
    )


def test_unknown_host_memory_is_not_a_refusal(monkeypatch):
    monkeypatch.setattr(_device, "_available_host_memory", lambda: None)
    check_fits_on_device(2**60, torch.device("cpu"))


def test_devices_without_a_memory_query_are_not_checked():
    assert check_fits_on_device(2**60, torch.device("meta")) is None


def test_data_too_large_for_device_is_refused_before_training(monkeypatch):
    monkeypatch.setattr(_device, "_available_host_memory", lambda: 1024)
    clf = NetClassifier(max_epochs=1, device="cpu")
    X = np.zeros((100, 10))  # float64: needs a float32 copy of 4000 bytes
    with pytest.raises(
        ValueError, match="needs 0.00 GiB as float32 but host memory .* cannot hold it"
    ):
        clf.fit(X, np.arange(100) % 2)
    assert not hasattr(clf, "module_")


# ---- seeded ---------------------------------------------------------------------
def test_seeded_draws_from_the_seed_and_restores_the_callers_state():
    torch.manual_seed(123)
    expected_after = torch.rand(3)
    torch.manual_seed(5)
    expected_inside = torch.rand(3)

    torch.manual_seed(123)
    with seeded(5, torch.device("cpu")):
        inside = torch.rand(3)
    assert torch.equal(inside, expected_inside)
    assert torch.equal(torch.rand(3), expected_after)


def test_seeded_restores_the_state_after_an_error():
    torch.manual_seed(7)
    expected = torch.rand(2)
    torch.manual_seed(7)
    with pytest.raises(RuntimeError, match="inside"):
        with seeded(0, torch.device("cpu")):
            torch.rand(10)
            raise RuntimeError("inside")
    assert torch.equal(torch.rand(2), expected)


def test_auto_threads_train_small_nets_on_one_thread_and_restore_the_callers():
    import torch
    from skorch.callbacks import Callback

    from skimb import NetClassifier

    seen = []

    class Spy(Callback):
        def on_epoch_begin(self, net, **kwargs):
            seen.append(torch.get_num_threads())

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        X = np.random.default_rng(0).random((40, 3), dtype=np.float32)
        y = np.r_[np.zeros(30, int), np.ones(10, int)]
        NetClassifier(max_epochs=2, callbacks=[Spy()], device="cpu").fit(X, y)
        assert seen == [1, 1]
        assert torch.get_num_threads() == 2
        seen.clear()
        NetClassifier(
            max_epochs=1, callbacks=[Spy()], n_threads=None, device="cpu"
        ).fit(X, y)
        assert seen == [2]
    finally:
        torch.set_num_threads(before)


def test_choose_threads():
    import torch

    from skimb._utils.device import ONE_THREAD_WORK, available_cores, choose_threads

    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert choose_threads("auto", ONE_THREAD_WORK / 2, cpu) == 1
    big = choose_threads("auto", ONE_THREAD_WORK * 10, cpu)
    assert big == max(1, min(torch.get_num_threads(), available_cores()))
    assert choose_threads(1, 1e12, cpu) == 1
    assert choose_threads(10**6, 1, cpu) == available_cores()
    assert choose_threads(None, 1, cpu) is None
    assert choose_threads("auto", 1, cuda) is None


def test_bad_n_threads():
    from skimb import NetClassifier

    X = np.zeros((4, 2), dtype=np.float32)
    with pytest.raises(
        ValueError, match="n_threads must be 'auto', None or a positive integer; got 0"
    ):
        NetClassifier(n_threads=0, max_epochs=1).fit(X, [0, 1, 0, 1])


def _threads_in_worker(_):
    import torch

    from skimb._utils.device import choose_threads

    return choose_threads("auto", 1e12, torch.device("cpu"))


def test_joblib_workers_do_not_oversubscribe():
    """A user's GridSearchCV(n_jobs=2) runs fits in loky workers, which joblib
    limits to their share of the cores; even large work stays within it."""
    import os

    import joblib

    share = max(1, (os.cpu_count() or 1) // 2)
    got = joblib.Parallel(n_jobs=2)(
        joblib.delayed(_threads_in_worker)(i) for i in range(2)
    )
    assert all(1 <= n <= share for n in got)
