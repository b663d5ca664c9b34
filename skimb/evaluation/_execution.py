"""How a long run executes: where its tasks go, and how it stops.

Tasks go through joblib, on its default backend or on a Dask distributed
cluster (a local one, or the user's scheduler). SIGTERM, and SIGINT unless a
background job inherited it ignored, stop the run between two Python
instructions even inside a fit, so no half-trained net is recorded.
"""

import contextlib
import os
import signal
import threading
from pathlib import Path

import joblib

__all__ = [
    "AUTO_WORKERS_WORK",
    "WORKER_BYTES",
    "WORKERS_MEMORY_FRACTION",
    "auto_workers",
    "interrupted_message",
    "interrupts_stop_the_run",
    "parallel_backend",
    "run_parallel",
    "set_threads",
    "worker_threads",
]


class _Interrupted(BaseException):
    """Raised by the run's signal handler; skorch swallows KeyboardInterrupt
    inside ``fit`` (to stop training early), which would record a half-trained
    net as a result."""


@contextlib.contextmanager
def interrupts_stop_the_run():
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise _Interrupted(signum)

    # An inherited SIG_IGN for SIGINT is a background job's convention (nohup,
    # many CI runners): keep it, so a Ctrl-C meant for the terminal does not
    # stop the run; SIGTERM always stops it cleanly.
    signals = [signal.SIGTERM]
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signals.append(signal.SIGINT)
    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield
    except _Interrupted as exc:
        raise KeyboardInterrupt(f"interrupted by signal {exc.args[0]}") from None
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def interrupted_message(output, what):
    """What an interrupted run says of its results: where its finished
    ``what`` (methods, data sets) are saved, naming ``output`` only where a
    ``results.csv`` was written there (by this run, or by the one it
    resumes); a run stopped before its first one was saved says so."""
    if output is not None and any(Path(output).rglob("results.csv")):
        return (
            f"interrupted; finished {what} are saved in {output}/. Rerun with "
            "--resume to finish the rest."
        )
    return f"interrupted before any of the {what} finished: nothing was saved."


@contextlib.contextmanager
def parallel_backend(n_jobs, scheduler, dask):
    """joblib's default backend, or its Dask backend on a given or local cluster."""
    if scheduler is None and not dask:
        yield
        return
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        if scheduler is not None:
            client = stack.enter_context(Client(scheduler))
        else:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=joblib.effective_n_jobs(n_jobs),
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
            )
            client = stack.enter_context(Client(cluster))
        stack.enter_context(joblib.parallel_backend("dask", client=client))
        yield


#: ``n_jobs='auto'`` starts workers above this many multiply-adds of
#: training (:func:`~._plan.training_work`). Measured on 2 cores
#: (``benchmarks/engine.py --only parallel``): the default comparison of
#: digits, about 2.6e10, runs 0.79x as fast on two workers as on one
#: process (starting them and sending the data cost more than its 4 s of
#: training); a 30,000-row, 30-column table, about 2.1e11, 1.82x as fast.
AUTO_WORKERS_WORK = 5e10


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


#: The resident memory of a worker before its share's data: the Python
#: process with torch, scikit-learn, imbalanced-learn and skimb imported and
#: one tiny net fitted (836 MiB measured on the 2-core CPU, 2026-12-03).
WORKER_BYTES = 850 * 2**20
#: The part of the available memory the workers' own memory (their runtime
#: and their copy of the data) may take; the nets' training sets have theirs
#: (:data:`~._plan.MEMORY_FRACTION`).
WORKERS_MEMORY_FRACTION = 0.25


def auto_workers(work, device, *, data_bytes=0, memory=None):
    """The ``n_jobs`` that ``'auto'`` means for ``work`` multiply-adds of
    training on ``device``: every core as a worker (each trains a share of
    the nets in one loop, on one thread) when the work is at least
    :data:`AUTO_WORKERS_WORK` and the nets train on a CPU of two cores or
    more; else 1 (one process, its torch threads chosen by timing). A GPU
    trains every net of one loop at once: one process.

    Each worker holds :data:`WORKER_BYTES` and its copy of the data
    (``data_bytes``): no more workers start than
    :data:`WORKERS_MEMORY_FRACTION` of ``memory`` (bytes available; None:
    no limit) holds, and none when not two."""
    import torch

    from .._utils.device import resolve_device

    cores = _cores()
    on_cpu = torch.device(resolve_device(device)).type == "cpu"
    if cores < 2 or not on_cpu or work < AUTO_WORKERS_WORK:
        return 1
    if memory is not None:
        fits = int(WORKERS_MEMORY_FRACTION * memory // (WORKER_BYTES + data_bytes))
        cores = min(cores, fits)
    return cores if cores >= 2 else 1


def run_parallel(options, *, return_as="generator"):
    """The ``joblib.Parallel`` of a run (with Dask, every worker it has)."""
    dask = options.scheduler is not None or options.dask
    return joblib.Parallel(n_jobs=-1 if dask else options.n_jobs, return_as=return_as)


def worker_threads(options):
    """torch threads per worker of a parallel run, None for a serial one.

    Parallel workers share the cores: oversubscribed torch threads spin
    against each other and can be tens of times slower.
    """
    if not options.parallel:
        return None
    return max(1, (os.cpu_count() or 1) // joblib.effective_n_jobs(options.n_jobs))


def set_threads(threads):
    """Give this worker ``threads`` torch threads (None: leave torch's own)."""
    if threads is not None:
        import torch

        torch.set_num_threads(threads)
