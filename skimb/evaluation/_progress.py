"""The run's progress bar and its remaining time, estimated from the work
still to come, moved by every epoch of every loop of nets, also from
parallel workers.

Counted in fits, a loop of nets moved the bar by the fraction of its
budget (every net's cap of epochs) after each epoch, while
:func:`~skimb.estimators.fit_many` counts a stopped net's unused epochs as
done: the first epochs moved the bar by a hundredth of a fit each (hours
of remaining time for a run of a minute and a half), then the stops jumped
it (seconds). Here a loop's reports are split into the rows its nets
trained and the stopped nets' unused budget (:class:`_Loop`). The time
still to come is

- the nets' training still expected, in multiply-adds
  (:func:`~._plan.training_work`'s unit: the running nets' to the epochs
  the plan expects, then those the finished nets took; the nets yet to
  start likewise), at the rate of the loops' training so far (the start of
  the workers and the making of the nets' sets are not training);
- each fit's time besides its training (its scoring), as the loops' were;
- the fits run one at a time (the reference methods), from their estimated
  work, at the pace of those done once some are.

The bar is counted in seconds (the time elapsed out of the time elapsed
and still to come), so that its fill and its remaining time agree.
"""

import multiprocessing
import sys
import threading
import time
from collections import deque
from multiprocessing.managers import SyncManager

import numpy as np
from tqdm.auto import tqdm

from ._methods import fits_in_one_loop
from ._plan import n_features, trained_rows, work_per_row

__all__ = ["Progress", "WorkerEpochs", "start_progress"]

#: A fit of a reference method, in multiply-adds of net training per cell
#: (training row x column) it fits on: its seconds in a worker times
#: :data:`WORKER_RATE`. Measured on the 2-core CPU, a worker per core, on
#: folds of 36,000 rows and 18 columns (2026-12-05: logreg 0.3 s, hgb 1.2 s,
#: balanced-random-forest 2.6 s a fit; the others from their time alone,
#: doubled as those three's was); rough, as their iterations depend on the
#: data, and only until fits run one at a time have been timed. A method not
#: named counts as the balanced random forest.
REFERENCE_WORK = {
    "logreg": 1e3,
    "logreg-balanced": 1e3,
    "hgb": 5e3,
    "hgb-balanced": 3e4,
    "balanced-random-forest": 1e4,
    "easy-ensemble": 3e4,
    "rusboost": 1e3,
    "balanced-bagging": 5e3,
}

#: A net still running past the epochs expected is expected to train this
#: part of the epochs it trained more.
_LATER = 0.25
#: The plan's epochs weigh as this part of the loops' nets in the epochs
#: expected of an early-stopping net, against those the finished nets took.
#: Simulated runs of nets stopping at 8-15, 14-53 and 40-80 epochs (the
#: plan expects 30) kept the remaining time closest to the truth from 20 %
#: of the run on at 0.25 (0.1 to 0.5 tried).
_PRIOR = 0.25

#: Multiply-adds a second of a worker training a net: the work of a fit run
#: one at a time in seconds, until such fits have been timed (the pace of
#: the nets' loops is no guide: 42 small nets in one loop did 4e10 a second
#: on digits, two loops of large ones 9e9 on 60,000 rows, 2 cores).
WORKER_RATE = 3e9
#: Seconds a fit takes besides its training (building, scoring its rules,
#: sending its results) until a loop's have been timed: 0.09 measured on
#: digits (42 nets scored in 3.7 s), 0.1 to 0.25 on 60,000 rows.
FIT_SECONDS = 0.1

_BAR = "{desc}: {percentage:3.0f}%|{bar}| {fits} fits [{elapsed}<{remaining}]"


class _Bar(tqdm):
    """A tqdm bar counted in seconds, whose remaining time is the run's
    (:meth:`Progress.remaining`: '?' until known), with the fits done
    (``{fits}`` in its format)."""

    def __init__(self, *args, fits="", **kwargs):
        self.fits, self.progress = fits, None
        super().__init__(*args, **kwargs)

    @property
    def format_dict(self):
        values = super().format_dict
        values["fits"] = self.fits
        if self.progress is not None:
            # The rate that makes tqdm's remaining time the run's estimate;
            # 0 (not None: tqdm would use its own) shows '?'.
            eta, left = self.progress.eta, self.total - self.n
            values["rate"] = 0.0 if eta is None else (left / eta if eta else 1.0)
            values["fits"] = self.progress.fits_text()
        return values


class _Expected:
    """The work a comparison's plan expects, read before any fit.

    ``loop_nets`` nets train in loops on ``loop_rows`` training rows,
    ``loop_budget`` at their cap of epochs: those that cannot stop early
    (``fixed_budget``) train all of theirs, the others an expected
    ``epochs`` of their ``cap``; ``per_row`` multiply-adds a row. ``alone``
    holds the work of each fit run one at a time, in the order they finish.
    """

    def __init__(self, plan=None, options=None):
        self.loop_nets, self.loop_rows = 0, 0.0
        self.loop_budget = self.fixed_budget = 0.0
        self.per_row, self.cap, self.epochs = 1.0, 1, 1.0
        self.alone = deque()
        self.n_fits = self.fits_done = 0
        if plan is not None:
            self._read(plan, options)

    def _read(self, plan, options):
        methods = plan.config["methods"]
        self.n_fits = len(methods) * len(options.seeds) * (options.cv + 1)
        per_row = work_per_row(plan, options)
        self.cap = options.net_settings()["max_epochs"]
        # An early-stopping net is expected to train the epochs
        # training_work counts (never above the cap); most stop sooner,
        # some later.
        self.epochs = float(options.unstopped_epochs)
        loop_work, n_tasks, columns = 0.0, 0, {}
        for method in methods:
            tasks = plan.tasks(method)
            n_tasks += len(tasks)
            in_loop = options.fit_many and fits_in_one_loop(method)
            for task in tasks:
                data = plan.seeds[task.seed]
                if fits_in_one_loop(method):
                    rows = trained_rows(task, data)
                    budget = task.net_settings["max_epochs"]
                    expected = budget if task.stop is None else self.epochs
                    if in_loop:
                        self.loop_nets += 1
                        self.loop_rows += rows
                        self.loop_budget += rows * budget
                        self.fixed_budget += rows * budget * (task.stop is None)
                        loop_work += rows * budget * per_row[task.seed]
                        continue
                    work = rows * expected * per_row[task.seed]
                else:
                    if task.seed not in columns:
                        columns[task.seed] = n_features(data)
                    cost = REFERENCE_WORK.get(
                        method, REFERENCE_WORK["balanced-random-forest"]
                    )
                    work = len(task.train) * columns[task.seed] * cost
                self.alone.append(work)
        self.fits_done = self.n_fits - n_tasks
        if self.loop_budget:
            self.per_row = loop_work / self.loop_budget

    def share(self, epochs):
        """The part of a budget not started yet its nets are expected to
        train, when an early-stopping net trains ``epochs``."""
        fixed = self.fixed_budget / self.loop_budget if self.loop_budget else 0.0
        return fixed + (1 - fixed) * min(epochs, self.cap) / self.cap


class _Loop:
    """A loop of ``k`` nets, read from its ``on_epoch(done, total)``
    reports (training rows; a stopped net's unused epochs count as done):
    the rows its nets trained and those they are still expected to.

    A report's increment is the rows of an epoch of the running nets, plus,
    for each net that stopped after that epoch, its rows times its unused
    epochs (its credit). The nets of a group train in step and only stop,
    so plain epochs repeat the same increment, and one above the running
    nets' rows carries credits; a report is read once the next one shows
    which it was. The groups of one call train in turn: a new increment
    that the stops do not explain starts a group. The rows and epochs of a
    finished group's nets are ``learned``.
    """

    def __init__(self, k, cap):
        self.k, self.cap = k, cap
        self.budget = None  # the loop's total: its nets' rows x their cap
        self.reported = 0.0  # the last report's done
        self.trained = 0.0  # rows trained, of the reports read
        self.pending = None  # the last increment, read with the next one
        self.running = None  # rows of an epoch of the group's running nets
        self.leaving = 0.0  # rows of the nets that stopped since
        self.epoch = 0  # the group's epochs
        self.stops = []  # (rows, epochs) of the group's stopped nets
        self.learned = []  # the same of the finished groups
        self.finished = False
        self.last = None  # when it last reported

    def report(self, done, total):
        self.budget = total
        step = done - self.reported
        if step <= 0:
            return
        self.reported = done
        if self.pending is not None:
            self._read(self.pending, step)
        self.epoch += 1
        if step == self.running and not self.leaving:
            self.trained += step  # a plain epoch
        else:
            self.pending = step

    def _read(self, step, following):
        self.pending = None
        left = None if self.running is None else self.running - self.leaving
        if step == following or left is None or step <= left:
            self._plain(step)
            self.trained += step
            return
        self.trained += left  # the nets that trained this epoch, then credits
        rows = (step - left) / max(self.cap - self.epoch, 1)
        self.stops.append((rows, self.epoch))
        self.leaving += rows

    def _plain(self, step):
        """A plain epoch of ``step`` rows: of the running group's nets left
        after the stops, or of a new group's."""
        left = (self.running or 0.0) - self.leaving
        if self.running is None or abs(step - left) > 0.01 * step:
            self._end_group(self.epoch - 1)
            self.epoch = 1
        self.running, self.leaving = step, 0.0

    def _end_group(self, epochs):
        left = (self.running or 0.0) - self.leaving
        if left > 0.5:  # nets that trained their whole budget
            self.stops.append((left, epochs))
        self.learned.extend(self.stops)
        self.stops = []

    def finish(self):
        if self.pending is not None:
            self._read(self.pending, None)
        self._end_group(self.epoch)
        self.running, self.leaving, self.finished = None, 0.0, True

    def done(self):
        """Rows trained; of the last report, at most its running nets'."""
        if self.pending is None:
            return self.trained
        if self.running is None:
            return self.trained + self.pending
        return self.trained + min(self.pending, self.running - self.leaving)

    def remaining(self, epochs, share):
        """Rows still to train when an early-stopping net trains ``epochs``
        and the nets not started yet train ``share`` of their budget; None
        before the first report."""
        if self.finished:
            return 0.0
        if self.budget is None:
            return None
        left = max(self.budget - self.reported, 0.0)
        if self.running is None:
            return left * share
        running = max(self.running - self.leaving, 0.0)
        budget = min(left, running * max(self.cap - self.epoch, 0))
        return running * self._more(epochs, running) + (left - budget) * share

    def _more(self, epochs, running):
        """The epochs the group's ``running`` rows of nets are expected to
        train still: to ``epochs``, and once past them :data:`_LATER` of
        those they trained; sooner where the group's own stops came faster
        (the rate of its stops since the first, as of a constant hazard)."""
        epoch = self.epoch
        more = max(epochs - epoch, _LATER * epoch)
        if self.stops:
            first = min(e for _, e in self.stops)
            stopped = sum(r for r, _ in self.stops)
            exposed = sum(r * (e - first + 1) for r, e in self.stops)
            exposed += running * (epoch - first + 1)
            more = min(more, exposed / stopped)
        return max(min(more, self.cap - epoch), 0.0)

    def least_epochs(self):
        """The mean epochs of the running group's nets, their running ones
        counted as stopping now: the least the group's nets will train."""
        if self.running is None:
            return 0.0
        running = max(self.running - self.leaving, 0.0)
        rows = running + sum(r for r, _ in self.stops)
        epochs = running * self.epoch + sum(r * e for r, e in self.stops)
        return epochs / rows if rows else 0.0


class Progress:
    """The run's progress: its remaining time, from the work still to come
    (see the module), and its bar.

    ``bar`` is a tqdm bar or None (nothing shown; a disabled tqdm bar
    counts as none); ``expected`` the work the plan expects
    (:func:`start_progress`; None: nothing expected beyond what the loops
    report); ``workers`` how many fits run at once.

    :meth:`advance` counts fits run one at a time, in the order of the
    plan's groups of tasks; :meth:`loop` a loop of nets. The bar is counted
    in seconds: the time elapsed out of it and the time remaining, so that
    its fill and its remaining time agree.
    """

    def __init__(self, bar=None, expected=None, workers=1):
        self.bar = None if getattr(bar, "disable", False) else bar
        self.expected = expected if expected is not None else _Expected()
        self.workers = max(1, workers)
        # Workers' epochs arrive on a thread while the main one ends shares.
        self.lock = threading.RLock()
        self.loops = []
        self.unclaimed = self.expected.loop_nets  # loop nets no loop has taken yet
        self.fits_done = self.expected.fits_done
        self.created = self.alone_start = time.monotonic()
        # The nets' training, timed while a loop trains: (work, seconds),
        # and the time of the last report of a loop.
        self.trained, self.last = [0.0, 0.0], None
        self.scoring = [0.0, 0]  # loops' seconds after their last epoch, fits
        self.alone = [0.0, 0]  # estimated seconds of the fits done alone, fits
        self.eta = None  # seconds remaining, None until some work is timed
        self.shown = 0.0  # the share of the run the bar shows: never backwards
        if self.bar is not None:
            self.bar.progress = self

    def advance(self, n):
        """``n`` more fits run one at a time are done."""
        with self.lock:
            fit = self._fit_seconds()
            for _ in range(n):
                work = self.expected.alone.popleft() if self.expected.alone else 0.0
                self.alone[0] += work / WORKER_RATE + fit
                self.alone[1] += 1
            self.fits_done += n
            self._show()

    def loop(self, k):
        """``(on_epoch, done)`` for a loop of ``k`` nets: ``on_epoch(done,
        total)`` as :func:`~skimb.estimators.fit_many` calls it, ``done()``
        once the loop is over."""
        loop = _Loop(k, self.expected.cap)
        with self.lock:
            self.loops.append(loop)
            self.unclaimed = max(self.unclaimed - k, 0)

        def on_epoch(done, total):
            with self.lock:  # a late epoch after done() moves nothing
                if loop.finished:
                    return
                now = time.monotonic()
                # The time since the last report is the nets' when a loop
                # was training; a loop's first epoch ran with the start of
                # its worker and the making of its nets' sets: not timed.
                training = any(
                    ell.budget is not None and not ell.finished for ell in self.loops
                )
                first, before = loop.budget is None, loop.done()
                loop.report(done, total)
                if training and self.last is not None:
                    self.trained[1] += now - self.last
                if not first:
                    self.trained[0] += (loop.done() - before) * self.expected.per_row
                self.last = loop.last = now
                self._show()

        def finished():
            with self.lock:
                if loop.finished:
                    return
                now = time.monotonic()
                loop.finish()
                if loop.last is not None:  # its nets' scoring, sending
                    self.scoring[0] += now - loop.last
                    self.scoring[1] += k
                if all(ell.finished for ell in self.loops):
                    self.alone_start, self.last = now, None
                self.fits_done += k
                self._show()

        return on_epoch, finished

    def _epochs(self):
        """The epochs an early-stopping net is expected to train: the mean
        of the finished groups' nets (by rows) and the plan's (weighing
        :data:`_PRIOR` of the loops' nets: a group holds nets of like sizes,
        one batch size, often of one resampler, so the first to finish
        tells only part of the others), at least what a running group's
        nets have trained."""
        rows = self.expected.loop_rows * _PRIOR
        epochs = rows * self.expected.epochs
        least = 0.0
        for loop in self.loops:
            for r, e in loop.learned:
                rows, epochs = rows + r, epochs + r * e
            least = max(least, loop.least_epochs())
        return max(epochs / rows if rows else self.expected.epochs, least)

    def _fit_seconds(self):
        """A fit's seconds besides its training, as the loops' were."""
        seconds, fits = self.scoring
        return seconds / fits if fits else FIT_SECONDS

    def remaining(self):
        """Seconds still to run, None until some work is timed: the nets'
        training at its rate so far, their fits' other seconds, and the fits
        run one at a time (at the pace of those done, else as estimated)."""
        expected, now = self.expected, time.monotonic()
        epochs = self._epochs()
        share = expected.share(epochs)
        per_net = (
            expected.loop_budget / expected.loop_nets if expected.loop_nets else 0.0
        )
        rows, fits = self.unclaimed * per_net * share, self.unclaimed
        for loop in self.loops:
            left = loop.remaining(epochs, share)
            rows += loop.k * per_net * share if left is None else left
            fits += 0 if loop.finished else loop.k
        work, seconds = self.trained
        estimated, done = self.alone
        if rows and not (work and seconds) or not (rows or work or done):
            return None if rows or fits or expected.alone else 0.0
        fit = self._fit_seconds()
        alone = sum(w / WORKER_RATE + fit for w in expected.alone)
        if done:  # at the pace of those done (a worker each, the others idle)
            alone *= (now - self.alone_start) * min(done, self.workers) / estimated
        train = rows * expected.per_row * seconds / work if rows else 0.0
        return train + (fits * fit + alone) / self.workers

    def fits_text(self):
        return f"{self.fits_done}/{self.expected.n_fits}"

    def _show(self):
        self.eta = self.remaining()
        bar = self.bar
        if bar is None or self.eta is None:
            return
        elapsed = time.monotonic() - self.created
        step = elapsed - bar.n
        # Never past the total: tqdm would clamp it with a warning, and
        # the remaining time would be negative. Never backwards either: a
        # larger estimate slows the bar (the remaining time, shown apart,
        # says how much is left).
        done = elapsed / (elapsed + self.eta) if elapsed + self.eta > 0 else 0.0
        self.shown = max(self.shown, min(done, 1.0))
        bar.total = elapsed / self.shown if self.shown > 0 else elapsed + self.eta
        if step > 0:
            bar.update(step)

    def close(self):
        """End the bar, every fit done: at its total."""
        bar = self.bar
        if bar is None:
            return
        with self.lock:
            elapsed = time.monotonic() - self.created
            bar.total = max(elapsed, bar.n, 1e-9)
            if bar.total > bar.n:
                bar.update(bar.total - bar.n)
            bar.close()


def _first_line(plan, n_fits, fits_done):
    """What was loaded and how many fits will run."""
    split = plan.split
    rows = len(split.y_train) + len(split.y_test)
    columns = int(np.prod(np.shape(split.X_train)[1:]))
    config = plan.config
    seeds = len(config["seeds"])
    line = (
        f"{split.name}: {rows} rows x {columns} columns; {n_fits} fits: "
        f"{len(config['methods'])} methods x {seeds} seed{'s' * (seeds > 1)} "
        f"x ({config['cv']} folds + the held-out fit)"
    )
    if fits_done:
        line += f", {fits_done} done before"
    return line


def start_progress(plan, options):
    """The :class:`Progress` of a comparison's run: its bar (stderr) when
    ``options.progress``, after a first line saying what was loaded and how
    many fits will run."""
    expected = _Expected(plan, options)
    if options.progress:
        tqdm.write(
            _first_line(plan, expected.n_fits, expected.fits_done), file=sys.stderr
        )
    bar = _Bar(
        total=1.0,
        fits=f"{expected.fits_done}/{expected.n_fits}",
        desc="fits",
        disable=not options.progress,
        bar_format=_BAR,
    )
    return Progress(bar, expected, options.n_workers)


class _EpochsToQueue:
    """A worker's ``on_epoch(done, total)``: sent to the main process, whose
    :class:`WorkerEpochs` moves the bar."""

    def __init__(self, queue, share):
        self.queue, self.share = queue, share

    def __call__(self, done, total):
        try:
            self.queue.put((self.share, done, total))
        except (EOFError, OSError):
            pass  # the main process is gone or stopping: no bar to move


def _ignore_interrupts():
    """The queue server leaves a Ctrl-C (sent to the whole process group)
    to the main process, which shuts it down in turn."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


class WorkerEpochs:
    """The workers' epochs, read from a queue on a thread of the main
    process, so that the bar moves with every epoch of every share's loop.
    Only where the workers can reach this machine's queue (joblib's own
    workers or a local Dask cluster); else the bar moves by share. No queue
    server starts without a bar: it is a fork of this process, whose
    resident memory counts the pages it shares with it (a spawned one would
    run the user's unguarded script again).

    A server that is gone (a SIGTERM to the whole process group stops it
    with the run) ends the reading quietly: the run's own interrupt says
    what happened."""

    def __init__(self, progress, sizes, reachable):
        self.loops = [progress.loop(k) for k in sizes]
        self.manager = self.queue = self.thread = None
        if reachable and progress.bar is not None:
            self.manager = SyncManager(ctx=multiprocessing.get_context())
            self.manager.start(_ignore_interrupts)
            self.queue = self.manager.Queue()
            self.thread = threading.Thread(target=self._drain, daemon=True)
            self.thread.start()

    def reporter(self, share):
        return None if self.queue is None else _EpochsToQueue(self.queue, share)

    def _drain(self):
        try:
            while (message := self.queue.get()) is not None:
                share, done, total = message
                self.loops[share][0](done, total)
        except (EOFError, OSError):
            pass  # the server is gone: no more epochs to read

    def finished(self, share):
        self.loops[share][1]()

    def close(self):
        if self.queue is None:
            return
        try:
            self.queue.put(None)
        except (EOFError, OSError):
            pass  # the server is gone: the reading thread has ended
        else:
            self.thread.join()
        try:
            self.manager.shutdown()
        except (EOFError, OSError):
            pass
        self.thread.join()
