"""Device resolution and checks, memory checks, seeded RNG state."""

import numpy as np
import pytest
import torch

import skimb._utils.device as _device
from skimb import NetClassifier
from skimb._utils.device import (
    available_cores,
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
    monkeypatch.setattr(_device, "available_memory", lambda: 2**30)
    check_fits_on_device(2**30, torch.device("cpu"))  # exactly fits
    with pytest.raises(ValueError) as exc:
        check_fits_on_device(2**31, torch.device("cpu"), what="the test data")
    assert str(exc.value).startswith(
        "the test data needs 2.00 GiB as float32 but host memory (1.00 GiB "
        "available) cannot hold it;"
    )


def test_unknown_host_memory_is_not_a_refusal(monkeypatch):
    monkeypatch.setattr(_device, "available_memory", lambda: None)
    check_fits_on_device(2**60, torch.device("cpu"))


def test_devices_without_a_memory_query_are_not_checked():
    assert check_fits_on_device(2**60, torch.device("meta")) is None


def test_data_too_large_for_device_is_refused_before_training(monkeypatch):
    monkeypatch.setattr(_device, "available_memory", lambda: 1024)
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


# ---- thread choice --------------------------------------------------------------
def test_thread_counts():
    from skimb._utils.device import MIN_TIMED_WORK, available_cores, thread_counts

    cpu = torch.device("cpu")
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        cap = min(2, available_cores())
        assert thread_counts("auto", cpu) == ((1, cap) if cap > 1 else (1,))
        # Tiny steps are not worth timing: one thread.
        assert thread_counts("auto", cpu, work=MIN_TIMED_WORK / 2) == (1,)
        assert thread_counts(2, cpu, work=1) == (cap,)
        torch.set_num_threads(1)
        assert thread_counts("auto", cpu) == (1,)
    finally:
        torch.set_num_threads(before)
    assert thread_counts(1, cpu) == (1,)
    assert thread_counts(10**6, cpu) == (available_cores(),)
    assert thread_counts(None, cpu) == ()
    assert thread_counts("auto", torch.device("cuda")) == ()
    assert thread_counts(4, torch.device("meta")) == ()


def test_bad_n_threads():
    from skimb import NetClassifier

    X = np.zeros((4, 2), dtype=np.float32)
    with pytest.raises(
        ValueError, match="n_threads must be 'auto', None or a positive integer; got 0"
    ):
        NetClassifier(n_threads=0, max_epochs=1).fit(X, [0, 1, 0, 1])


def _threads_in_worker(_):
    import torch

    from skimb._utils.device import thread_counts

    return thread_counts("auto", torch.device("cpu"))


def test_joblib_workers_do_not_oversubscribe():
    """A user's GridSearchCV(n_jobs=2) runs fits in loky workers, which joblib
    limits to their share of the cores; the counts 'auto' tries stay within it."""
    import os

    import joblib

    share = max(1, (os.cpu_count() or 1) // 2)
    got = joblib.Parallel(n_jobs=2)(
        joblib.delayed(_threads_in_worker)(i) for i in range(2)
    )
    assert all(counts and 1 <= max(counts) <= share for counts in got)


# ---- ThreadTuner, driven by a fake clock ----------------------------------------
class _Machine:
    """A clock and a thread setting; each step takes ``speed(threads, step)``."""

    def __init__(self, speed):
        self.now, self.threads, self.speed, self.set_to = 0.0, None, speed, []

    def clock(self):
        return self.now

    def set_threads(self, n):
        self.threads = n
        self.set_to.append(n)

    def tuner(self, counts=(1, 2), **options):
        from skimb._utils.device import ThreadTuner

        return ThreadTuner(
            counts, clock=self.clock, set_threads=self.set_threads, **options
        )

    def run(self, tuner, n_steps, *, epoch=10**9, start=0):
        for i in range(start, start + n_steps):
            if (i - start) % epoch == 0:
                self.now += 100.0  # epoch-end work between epochs: never timed
                tuner.begin()
            self.now += self.speed(self.threads, i)
            tuner.step()


def _idle(threads, step):
    return {1: 2.0, 2: 1.0}[threads]


def test_tuner_warms_up_alternates_and_keeps_the_faster_count():
    machine = _Machine(_idle)
    tuner = machine.tuner()
    assert machine.threads == 1  # set before the first step
    machine.run(tuner, 20, epoch=3)
    # 1 warm-up step at each count, then 3 timed steps each, alternating.
    assert machine.set_to == [1, 2, 1, 2, 1, 2, 1, 2]
    assert tuner.choices == [(8, 2)] and tuner.threads == 2


def test_tuner_needs_a_margin_to_take_more_threads():
    machine = _Machine(lambda threads, step: {1: 1.0, 2: 0.95}[threads])
    tuner = machine.tuner()
    machine.run(tuner, 12)
    assert tuner.choices == [(8, 1)] and machine.threads == 1
    # The fastest step decides: one slow timed step at 2 threads does not.
    machine = _Machine(lambda t, s: 9.0 if (t, s) == (2, 3) else _idle(t, s))
    tuner = machine.tuner()
    machine.run(tuner, 8)
    assert tuner.choices == [(8, 2)]


def test_tuner_times_again_when_steps_jump():
    # Another process starts at step 50: two threads become 3x slower.
    def busy_after_50(threads, step):
        if step < 50:
            return _idle(threads, step)
        return {1: 2.2, 2: 3.0}[threads]

    machine = _Machine(busy_after_50)
    tuner = machine.tuner()
    machine.run(tuner, 100)
    # Steps 51..55 are slow; the fifth starts a timing of 6 steps (56..61).
    assert tuner.choices == [(8, 2), (61, 1)]
    assert machine.threads == 1


def test_tuner_ignores_a_few_slow_steps_and_epoch_ends():
    def hiccups(threads, step):
        return 5.0 if step % 4 == 0 and step > 10 else _idle(threads, step)

    machine = _Machine(hiccups)
    tuner = machine.tuner()
    machine.run(tuner, 200, epoch=7)  # a 100 s pause before each epoch
    assert tuner.choices == [(8, 2)]


def test_one_thread_is_rechecked_on_schedule_only():
    def idle_after_50(threads, step):
        return {1: 2.0, 2: 9.0}[threads] if step < 50 else _idle(threads, step)

    machine = _Machine(idle_after_50)
    tuner = machine.tuner(recheck=100)
    machine.run(tuner, 300)
    # One thread is not watched for jumps; the recheck at step 108 finds
    # the idle machine (timing steps 109..114), the next one at 214 again.
    assert tuner.choices == [(8, 1), (114, 2), (220, 2)]


def test_tuner_never_leaves_its_counts():
    from skimb._utils.device import available_cores, thread_counts

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(64)
        counts = thread_counts("auto", torch.device("cpu"))
    finally:
        torch.set_num_threads(before)
    assert max(counts) <= available_cores()
    if len(counts) < 2:
        counts = (1, 2)
    machine = _Machine(lambda threads, step: 1.0 / threads + (step % 7) * 0.3)
    tuner = machine.tuner(counts, recheck=30)
    machine.run(tuner, 500, epoch=11)
    assert set(machine.set_to) <= set(counts)


def test_tuner_without_begin_times_from_the_first_step():
    machine = _Machine(_idle)
    tuner = machine.tuner()
    for _ in range(8):  # no begin(): the first step (a warm-up) is untimed
        machine.now += _idle(machine.threads, 0)
        tuner.step()
    assert tuner.choices == [(8, 2)]


def test_tuner_needs_two_counts():
    from skimb._utils.device import ThreadTuner

    with pytest.raises(ValueError, match=r"two counts or more; got \(1,\)"):
        ThreadTuner((1,))


@pytest.mark.parametrize("n_threads", ["auto", 1, None])
def test_training_threads_restore_the_callers_setting(n_threads):
    from skimb._utils.device import ThreadTuner, training_threads

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        with pytest.raises(RuntimeError, match="inside"):
            with training_threads(n_threads, "cpu") as tuner:
                if isinstance(tuner, ThreadTuner):
                    tuner._use(2 if tuner.threads == 1 else 1)
                raise RuntimeError("inside")
        assert torch.get_num_threads() == 2
        with training_threads(n_threads, "cpu") as tuner:
            pass
        assert torch.get_num_threads() == 2
        assert (tuner is not None) == (n_threads == "auto" and available_cores() > 1)
    finally:
        torch.set_num_threads(before)


def test_available_memory_counts_what_the_kernel_can_reclaim(tmp_path, monkeypatch):
    """MemAvailable, not the free pages: on a machine that has read files the
    free pages are a fraction of what an allocation can have."""
    import skimb._utils.device as device

    meminfo = tmp_path / "meminfo"
    meminfo.write_text(
        "MemTotal:       24000000 kB\nMemFree:         4000000 kB\n"
        "MemAvailable:   21000000 kB\nCached:         16000000 kB\n"
    )
    monkeypatch.setattr(device, "MEMINFO", str(meminfo))
    assert device.available_memory() == 21_000_000 * 1024
    # A 10 GB tensor fits in 21 GB available, though only 4 GB are free.
    device.check_fits_on_device(10 * 2**30, torch.device("cpu"))
    with pytest.raises(ValueError, match="20.03 GiB available"):
        device.check_fits_on_device(25 * 2**30, torch.device("cpu"))
    # Without /proc/meminfo: psutil's estimate, else the free pages.
    monkeypatch.setattr(device, "MEMINFO", str(tmp_path / "missing"))
    assert device.available_memory() > 0
