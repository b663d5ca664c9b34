"""Where training happens: device resolution, memory checks and seeding.

``device='auto'`` is kept as given by the estimators and resolved here each
time it is read; data that cannot fit is refused before any copy; seeded work
runs in a forked random state so the caller's global RNG is left untouched.
"""

import contextlib
import functools
import math
import os
import statistics
import time

import torch

__all__ = [
    "ThreadTuner",
    "available_memory",
    "check_device",
    "check_fits_on_device",
    "on_device",
    "resolve_device",
    "training_threads",
]


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
    device = _as_device(device)
    where = tensor.device
    return where.type == device.type and (
        device.index is None or where.index == device.index
    )


@functools.lru_cache(maxsize=16)
def _as_device(device):
    # Read at every training batch; making a torch.device from a string
    # costs more than the comparison.
    return torch.device(device)


#: Where Linux says how much memory a new allocation can have.
MEMINFO = "/proc/meminfo"


def available_memory():
    """Bytes of host memory a new allocation can have now, None when the
    system cannot tell.

    The kernel's ``MemAvailable`` (free pages plus the page cache and other
    memory it can reclaim), else psutil's ``available`` where psutil is
    installed, else the free physical pages. The free pages alone are far
    less on a machine that has read files: 4.6 GiB of them against 21.9
    GiB available on this project's 24 GiB machine.
    """
    try:
        with open(MEMINFO) as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024  # given in kB
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except ImportError:
        pass
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
        free = available_memory()
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
        if device.type == "mps":
            torch.manual_seed(seed)  # MPS's generator is reached only this way
        else:
            # Only the generators fork_rng restores: torch.manual_seed would
            # also queue a seeding of every CUDA/XPU device, recording a stack
            # trace each time (a fifth of a small fit's set-up), and leave
            # the caller's CUDA generators reseeded after a CPU fit.
            torch.default_generator.manual_seed(seed)
            for index in devices:
                with torch.cuda.device(index):
                    torch.cuda.manual_seed(seed)
        yield


# ---- torch threads on the CPU ---------------------------------------------------
def available_cores():
    """The cores this process may run on (its CPU affinity)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


#: Below this many floating-point operations per optimizer step (about the
#: tests' and toy examples' nets, a few microseconds of arithmetic) 'auto'
#: trains on one thread without timing: no split of the work can pay for
#: the timing steps, and such fits stay bit-reproducible whatever the load.
MIN_TIMED_WORK = 1e6


def thread_counts(n_threads, device, work=math.inf):
    """The torch thread counts a fit on ``device`` may train with.

    ``()`` (leave the caller's setting) with ``n_threads=None`` or off the
    CPU; ``(n,)`` for an int, capped at the available cores; for ``'auto'``,
    ``(1, cap)`` with ``cap`` the caller's setting capped at the available
    cores, or ``(1,)`` when that cap is 1 or a step's ``work`` (in
    floating-point operations) is under :data:`MIN_TIMED_WORK`. Inside
    joblib's workers the caller's setting is already the worker's share of
    the cores.

    Examples
    --------
    >>> import torch
    >>> thread_counts(1, torch.device("cpu"))
    (1,)
    >>> thread_counts("auto", torch.device("meta"))
    ()
    """
    if n_threads is None or device.type != "cpu":
        return ()
    if n_threads == "auto":
        cap = max(1, min(torch.get_num_threads(), available_cores()))
        return (1, cap) if cap > 1 and work >= MIN_TIMED_WORK else (1,)
    return (max(1, min(int(n_threads), available_cores())),)


class ThreadTuner:
    """Chooses torch's thread count by timing optimizer steps.

    The training loop calls :meth:`begin` before each epoch's first step
    and :meth:`step` after every optimizer step; the tuner sets the count
    for the next step. The rule:

    1. Warm-up: ``warmup`` steps at each count, alternating, untimed
       (thread pools and allocators start).
    2. Timing: the counts alternate for ``trials`` steps each and the one
       with the fastest step is kept (other work only ever adds time, so
       the fastest step is the count's speed, and one disturbed step does
       not decide); a count with more threads must beat one with fewer by
       the factor ``margin``. Fewer threads are the better bet beside other
       work, and close timings do not flip the choice from run to run.
    3. Running on more than one thread: a step is *slow* when it takes
       ``jump`` times the kept count's median step; ``slow_needed`` slow steps
       among the last ``window`` (the running median has grown: another
       process started) start a new timing (2.) at once, without warm-up.
       One thread keeps its speed beside another process, so it is not
       watched this way.
    4. Every ``recheck`` steps the timing is repeated (a machine that
       became idle shows no jump).

    While running, a step costs one clock call, a subtraction and two
    comparisons. Intervals are measured between consecutive calls within an
    epoch, so epoch-end work (scoring, callbacks) is never timed; on the CPU
    a step has finished when it returns, so no synchronisation is needed.
    The steps at which counts change are fixed except after a jump (3.), so
    runs whose timings rank the counts alike train alike bit for bit.

    Parameters
    ----------
    counts : tuple of int
        The candidate counts, fewest first (from :func:`thread_counts`), at
        least two.
    clock : callable, default=time.perf_counter
        Seconds, as a float; injectable for tests.
    set_threads : callable, default=torch.set_num_threads
    warmup, trials, margin, jump, window, slow_needed, recheck
        The constants of the rule above.

    Attributes
    ----------
    threads : int
        The count in effect for the next step.
    choices : list of (int, int)
        ``(step, count)`` each time a timing chose a count.
    """

    def __init__(
        self,
        counts,
        *,
        clock=time.perf_counter,
        set_threads=torch.set_num_threads,
        warmup=1,
        trials=3,
        margin=1.1,
        jump=1.5,
        window=8,
        slow_needed=5,
        recheck=2000,
    ):
        if len(counts) < 2:
            raise ValueError(f"ThreadTuner needs two counts or more; got {counts!r}.")
        self.counts = tuple(sorted(counts))
        self._clock, self._set = clock, set_threads
        self.trials, self.margin, self.jump = trials, margin, jump
        self.window, self.slow_needed, self.recheck = window, slow_needed, recheck
        self.choices = []
        self.steps = 0
        self.threads = None
        self._last = None
        self._schedule = [c for _ in range(warmup) for c in self.counts]
        self._timing(warm=len(self._schedule))

    # ---- the per-step calls -----------------------------------------------------
    def begin(self):
        """Start timing from now (an epoch's first step comes next)."""
        self._last = self._clock()

    def step(self):
        """One optimizer step has finished; set the count for the next."""
        now = self._clock()
        last, self._last = self._last, now
        self.steps += 1
        dt = None if last is None else now - last  # None: untimed
        if dt is not None and dt <= self._limit and self.steps < self._recheck_at:
            return  # running, at the usual pace
        self._advance(dt)

    # ---- the state machine -----------------------------------------------------
    def _use(self, count):
        if count != self.threads:
            self._set(count)
            self.threads = count

    def _timing(self, warm=0):
        """Start 2.: the warm-up steps first, then the counts alternating."""
        self._warm = warm
        self._schedule += [c for _ in range(self.trials) for c in self.counts]
        self._times = {c: [] for c in self.counts}
        self._limit, self._recheck_at = -math.inf, math.inf
        self._use(self._schedule.pop(0))

    def _advance(self, dt):
        if self._times is None:  # running: time to recheck, or a slow step
            if self.steps >= self._recheck_at:
                self._timing()
            elif dt is not None:
                self._slow = [s for s in self._slow if s > self.steps - self.window]
                self._slow.append(self.steps)
                if len(self._slow) >= self.slow_needed:
                    self._timing()
            return
        if self._warm:
            self._warm -= 1
        elif dt is not None:
            self._times[self.threads].append(dt)
        if self._schedule:
            self._use(self._schedule.pop(0))
        else:
            self._keep()

    def _keep(self):
        best, best_time = self.counts[0], math.inf
        for count in self.counts:  # fewest threads first
            times = self._times[count]
            if times and min(times) * self.margin < best_time:
                best, best_time = count, min(times)
        self._use(best)
        self.choices.append((self.steps, best))
        # One thread is not watched for jumps (3.): the limit stays infinite.
        times = self._times[best]
        if best > 1 and times:
            self._limit = self.jump * statistics.median(times)
        else:
            self._limit = math.inf
        self._recheck_at = self.steps + self.recheck
        self._times, self._slow = None, []


@contextlib.contextmanager
def training_threads(n_threads, device, work=math.inf, **tuner_options):
    """Run a fit with torch threads chosen by ``n_threads``.

    Yields a :class:`ThreadTuner` for the training loop to call when
    ``n_threads='auto'`` leaves a choice (two counts or more on the CPU,
    see :func:`thread_counts`), else None. The caller's
    ``torch.get_num_threads()`` is restored after, also when the fit fails.
    """
    old = torch.get_num_threads()
    counts = thread_counts(n_threads, torch.device(device), work)
    try:
        if len(counts) > 1:
            yield ThreadTuner(counts, **tuner_options)
        else:
            if counts:
                torch.set_num_threads(counts[0])
            yield None
    finally:
        if torch.get_num_threads() != old:
            torch.set_num_threads(old)
