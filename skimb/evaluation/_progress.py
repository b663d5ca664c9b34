"""The run's progress bar, counted in fits and moved by epochs, also from
parallel workers."""

import multiprocessing
import threading

__all__ = ["Progress", "WorkerEpochs"]


class Progress:
    """The run's progress bar, counted in fits: a fit counts 1 once scored;
    ``k`` nets in one loop move it by ``k`` times the fraction of their
    training done after each epoch (:func:`fit_many`'s ``on_epoch``), so
    the bar and its remaining time move with the work, not by method.

    ``bar`` is a tqdm bar or None (nothing shown; a disabled tqdm bar
    counts as none).
    """

    def __init__(self, bar=None):
        self.bar = None if getattr(bar, "disable", False) else bar
        # Workers' epochs arrive on a thread while the main one ends shares.
        self.lock = threading.RLock()

    def advance(self, n):
        if self.bar is not None and n > 0:
            with self.lock:
                self.bar.update(n)

    def loop(self, k):
        """``(on_epoch, done)`` for a loop of ``k`` nets: ``on_epoch(done,
        total)`` moves the bar, ``done()`` the rest of the ``k`` fits."""
        moved = [0.0]

        def on_epoch(done, total):
            target = k * done / total if total else 0.0
            with self.lock:  # a late epoch after done() moves nothing
                self.advance(target - moved[0])
                moved[0] = max(moved[0], target)

        def finished():
            with self.lock:
                self.advance(k - moved[0])
                moved[0] = k

        return on_epoch, finished


class _EpochsToQueue:
    """A worker's ``on_epoch(done, total)``: sent to the main process, whose
    :class:`WorkerEpochs` moves the bar."""

    def __init__(self, queue, share):
        self.queue, self.share = queue, share

    def __call__(self, done, total):
        self.queue.put((self.share, done, total))


class WorkerEpochs:
    """The workers' epochs, read from a queue on a thread of the main
    process, so that the bar moves with every epoch of every share's loop.
    Only where the workers can reach this machine's queue (joblib's own
    workers or a local Dask cluster); else the bar moves by share. No queue
    server starts without a bar: it is a fork of this process, whose
    resident memory counts the pages it shares with it (a spawned one would
    run the user's unguarded script again)."""

    def __init__(self, progress, sizes, reachable):
        self.loops = [progress.loop(k) for k in sizes]
        self.manager = self.queue = self.thread = None
        if reachable and progress.bar is not None:
            self.manager = multiprocessing.Manager()
            self.queue = self.manager.Queue()
            self.thread = threading.Thread(target=self._drain, daemon=True)
            self.thread.start()

    def reporter(self, share):
        return None if self.queue is None else _EpochsToQueue(self.queue, share)

    def _drain(self):
        while (message := self.queue.get()) is not None:
            share, done, total = message
            self.loops[share][0](done, total)

    def finished(self, share):
        self.loops[share][1]()

    def close(self):
        if self.queue is not None:
            self.queue.put(None)
            self.thread.join()
            self.manager.shutdown()
