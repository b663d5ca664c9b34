"""Where training happens: device resolution, memory checks and seeding.

``device='auto'`` is kept as given by the estimators and resolved here each
time it is read; data that cannot fit is refused before any copy; seeded work
runs in a forked random state so the caller's global RNG is left untouched.
"""

import contextlib
import functools
import os

import torch

__all__ = ["check_device", "check_fits_on_device", "on_device", "resolve_device"]


@functools.lru_cache(maxsize=1)
def _auto_device():
    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_device(device):
    """``'auto'`` becomes ``'cuda'`` when a GPU is present, else ``'cpu'``."""
    if isinstance(device, str) and device == "auto":
        return _auto_device()
    return device


def check_device(device):
    """Validate ``device`` and return the resolved ``torch.device``.

    Examples
    --------
    >>> check_device("cpu")
    device(type='cpu')
    """
    allowed = "'auto', 'cpu', 'cuda', 'cuda:<index>', 'mps' or a torch.device"
    if device is None:
        return torch.device("cpu")
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"device must be {allowed}; got {device!r}.")
    try:
        dev = torch.device(resolve_device(device))
    except RuntimeError:
        raise ValueError(f"device must be {allowed}; got {device!r}.") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but no CUDA GPU is available; use "
                "device='auto' (CUDA when present, else CPU) or device='cpu'."
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} was requested but only "
                f"{torch.cuda.device_count()} CUDA device(s) exist."
            )
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} was requested but MPS is not available.")
    return dev


def on_device(tensor, device):
    """Whether ``tensor`` lives on ``device``; ``'cuda'`` names the current
    CUDA device, which a tensor reports as ``'cuda:0'``."""
    device = torch.device(device)
    return tensor.device.type == device.type and (
        device.index is None or tensor.device.index == device.index
    )


def _available_host_memory():
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return None


def check_fits_on_device(n_bytes, device, *, what="the training data"):
    """Raise a clear ValueError, before any copy, when ``n_bytes`` cannot fit.

    On CUDA the free device memory is asked; on the CPU the available RAM.
    """
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        where = f"{device} ({free / 2**30:.2f} GiB free)"
    elif device.type == "cpu":
        free = _available_host_memory()
        where = f"host memory ({(free or 0) / 2**30:.2f} GiB available)"
    else:
        return
    if free is not None and n_bytes > free:
        raise ValueError(
            f"{what} needs {n_bytes / 2**30:.2f} GiB as float32 but {where} cannot "
            "hold it; use fewer samples or features, a device with more memory, or "
            "train on a subsample."
        )


@contextlib.contextmanager
def seeded(seed, device):
    """Run with torch's global RNG seeded, restoring the caller's state after."""
    devices = []
    if device.type == "cuda":
        devices = [
            device.index if device.index is not None else torch.cuda.current_device()
        ]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


#: Below this many floating-point operations per optimizer step, one thread
#: is faster than several: the matrix products are too small to split, and
#: on a shared machine extra threads spin against other processes (a fit
#: measured 30x slower with two threads beside one busy process).
ONE_THREAD_WORK = 2e8


def available_cores():
    """The cores this process may run on (its CPU affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def choose_threads(n_threads, work, device):
    """The torch thread count for a fit of ``work`` FLOPs per step.

    ``'auto'``: one thread for small work on the CPU, else the caller's
    setting capped at the available cores; an int is used as given (capped
    the same way). ``None`` on a GPU or with ``n_threads=None``: leave the
    caller's setting.

    Examples
    --------
    >>> import torch
    >>> choose_threads("auto", 1e6, torch.device("cpu"))
    1
    """
    if n_threads is None or device.type != "cpu":
        return None
    cap = max(1, min(torch.get_num_threads(), available_cores()))
    if n_threads == "auto":
        return 1 if work < ONE_THREAD_WORK else cap
    return max(1, min(int(n_threads), available_cores()))


@contextlib.contextmanager
def torch_threads(n):
    """Run with ``torch.set_num_threads(n)``, restoring the caller's after."""
    old = torch.get_num_threads()
    if n is None or n == old:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)
