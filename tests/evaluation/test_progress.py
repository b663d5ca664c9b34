"""The run's progress: a bar counted in estimated work, read from the loops'
epoch reports (a stopped net's unused epochs count as done there), whose
remaining time follows the truth; and the workers' epochs read from a queue
whose reading ends quietly when its server is gone."""

import io
import threading
import warnings

import numpy as np
import pytest

import skimb.evaluation._progress as progress_module
from skimb import compare
from skimb.evaluation._progress import Progress, WorkerEpochs, _Bar, _Expected, _Loop


def _reports(groups, cap):
    """``fit_many``'s ``(done, total)`` after each epoch of ``groups`` (each
    a list of ``(rows, epochs)`` nets, trained in turn), with the rows each
    epoch trained: a stopped net counts its whole ``cap``."""
    total = sum(rows * cap for group in groups for rows, _ in group)
    reports, before = [], 0
    for group in groups:
        for epoch in range(1, max(e for _, e in group) + 1):
            done = before + sum(
                rows * (cap if epoch >= e < cap else min(epoch, e)) for rows, e in group
            )
            trained = sum(rows for rows, e in group if e >= epoch)
            reports.append((done, total, trained))
        before += sum(rows * cap for rows, _ in group)
    return reports


def _plan(groups, cap=100, epochs=30.0):
    """The work a plan of ``groups``' nets expects (a multiply-add a row)."""
    plan = _Expected()
    plan.loop_nets = sum(len(g) for g in groups)
    plan.loop_rows = float(sum(rows for g in groups for rows, _ in g))
    plan.loop_budget = plan.loop_rows * cap
    plan.cap, plan.epochs = cap, epochs
    return plan


class _FakeBar:
    """A tqdm stand-in that records its updates."""

    disable = False

    def __init__(self, *args, total=None, **kwargs):
        self.total, self.n, self.updates, self.closed = total, 0.0, [], False

    def update(self, n):
        self.updates.append(n)
        self.n += n

    def close(self):
        self.closed = True


# The stops of the measured 60,000-row run's nets (18 columns, 1 % positives,
# 2 workers): the plain nets of a batch of 128, the resampled ones of 256,
# the undersampled ones of 64, trained in turn.
_MEASURED = [
    [(32400, e) for e in (14, 19, 28, 28, 30, 33, 37, 37, 39, 45, 53, 53)],
    [(63860, e) for e in (12, 13, 15, 21, 22, 23, 24, 28, 30, 49)],
    [(940, e) for e in (22, 31, 38)],
]


@pytest.mark.parametrize(
    "groups",
    [
        _MEASURED,
        [[(100, 100), (50, 100)], [(30, 7), (20, 9), (10, 9)]],  # to the cap
        [[(70, 4)], [(60, 5), (40, 5)], [(60, 5), (10, 12)]],
    ],
)
def test_a_loop_reads_the_rows_trained_and_the_epochs_of_each_stop(groups):
    loop = _Loop(sum(map(len, groups)), cap=100)
    for done, total, _ in _reports(groups, 100):
        loop.report(done, total)
    loop.finish()
    trained = sum(rows * epochs for group in groups for rows, epochs in group)
    assert loop.done() == pytest.approx(trained)
    # Nets of one group that stop together are read as one.
    expected, read = {}, {}
    for i, group in enumerate(groups):
        for rows, epochs in group:
            expected[i, epochs] = expected.get((i, epochs), 0) + rows
    for rows, epochs in loop.learned:
        read[epochs] = read.get(epochs, 0) + rows
    by_epoch = {}
    for (_, epochs), rows in expected.items():
        by_epoch[epochs] = by_epoch.get(epochs, 0) + rows
    assert read == pytest.approx(by_epoch)


def test_fit_many_s_reports_read_as_the_rows_its_nets_trained(rng):
    """The reading holds for fit_many's own reports: nets of two batch sizes
    (two groups) on labels of noise, stopping early at their own epochs."""
    from skimb import NetClassifier
    from skimb.estimators import fit_many

    sizes = [120, 160, 200, 400, 600]
    nets = [
        NetClassifier(
            max_epochs=40,
            batch_size=16 if n < 300 else 32,
            module__hidden_units=8,
            early_stopping=True,
            n_iter_no_change=2,
            device="cpu",
            random_state=i,
        )
        for i, n in enumerate(sizes)
    ]
    Xs = [rng.normal(size=(n, 4)).astype(np.float32) for n in sizes]
    ys = [rng.integers(0, 2, size=n) for n in sizes]
    X_vals = [rng.normal(size=(60, 4)).astype(np.float32) for _ in sizes]
    y_vals = [rng.integers(0, 2, size=60) for _ in sizes]
    loop = _Loop(len(nets), cap=40)
    fit_many(nets, Xs, ys, X_vals=X_vals, y_vals=y_vals, on_epoch=loop.report)
    loop.finish()
    epochs = [len(net.history_) for net in nets]
    assert min(epochs) < 40  # some stopped early
    assert loop.done() == sum(n * e for n, e in zip(sizes, epochs, strict=True))
    read = sorted(e for _, e in loop.learned)
    assert set(read) == set(epochs)


@pytest.mark.parametrize("parallel", [False, True])
def test_the_remaining_time_stays_within_twice_the_truth(monkeypatch, parallel):
    """With the measured run's stops, 400,000 rows trained a second after an
    untimed start-up, and 0.2 s a fit of scoring, the remaining time is
    within a factor 2 of the truth from 20 % of the run on; counted as a
    fraction of each net's cap of epochs, it was over five times the truth."""
    clock = [0.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: clock[0])
    shares = [_MEASURED, _MEASURED] if parallel else [_MEASURED]
    bar = _FakeBar()
    progress = Progress(bar, _plan([g for s in shares for g in s]), len(shares))
    loops = [progress.loop(sum(map(len, s))) for s in shares]
    reports = [_reports(s, 100) for s in shares]
    k, rate, scoring = sum(map(len, _MEASURED)), 4e5, 0.2
    training = sum(t for _, _, t in reports[0]) / rate  # the shares side by side
    start_up = 10.0
    end = start_up + training + k * scoring
    clock[0] = start_up
    ratios, naive = [], []
    for rows in zip(*reports, strict=True):
        clock[0] += rows[0][2] / rate
        for (on_epoch, _), (done, total, _) in zip(loops, rows, strict=True):
            on_epoch(done, total)
        if 0.2 <= clock[0] / end <= 0.9:
            ratios.append(progress.remaining() / (end - clock[0]))
            done, total, _ = rows[0]
            naive.append(clock[0] * (total - done) / done / (end - clock[0]))
    clock[0] += k * scoring
    for _, finished in loops:
        finished()
    assert 0.5 <= min(ratios) and max(ratios) <= 2
    assert max(naive) > 5
    assert progress.remaining() == 0
    assert bar.n == pytest.approx(bar.total) == pytest.approx(end)


def test_fits_run_one_at_a_time_go_at_the_pace_of_those_done(monkeypatch):
    """Reference fits estimated at a second each that take three: once one
    is done, the others are expected to take three each."""
    clock = [0.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: clock[0])
    plan = _Expected()
    plan.alone.extend([progress_module.WORKER_RATE * 0.9] * 4)
    progress = Progress(_FakeBar(), plan)
    assert progress.remaining() is None  # nothing timed yet
    clock[0] = 3.0
    progress.advance(1)
    assert progress.remaining() == pytest.approx(9.0)


def test_the_bar_never_passes_its_total_without_warning(monkeypatch):
    """Nets that train to their cap (the plan expected 5 epochs) and more
    fits than planned: the total grows with the time, tqdm never clamps,
    and the remaining time is never negative."""
    clock = [0.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: clock[0])
    groups = [[(100, 100), (60, 100)], [(40, 100)]]
    plan = _plan(groups, epochs=5.0)
    plan.alone.extend([1e3, 1e3])
    bar = _Bar(
        total=1.0, file=io.StringIO(), mininterval=0, bar_format=progress_module._BAR
    )
    progress = Progress(bar, plan)
    on_epoch, finished = progress.loop(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a TqdmWarning fails the test
        for done, total, trained in _reports(groups, 100):
            clock[0] += trained / 1000
            on_epoch(done, total)
            assert bar.n <= bar.total
            assert "<-" not in str(bar)
        finished()
        progress.advance(4)  # two more than planned
        assert bar.n <= bar.total
        progress.close()
    assert bar.n == bar.total


def test_the_reading_thread_ends_quietly_when_the_server_is_gone(monkeypatch):
    """A SIGTERM to the whole process group stops the queue's server with
    the run: the thread reading it ends without a traceback, a worker's
    later epoch is dropped and closing raises nothing."""
    errors = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args))
    progress = Progress(_FakeBar())
    epochs = WorkerEpochs(progress, [2], reachable=True)
    report = epochs.reporter(0)
    report(10, 100)
    epochs.manager.shutdown()
    epochs.thread.join()
    report(20, 100)
    epochs.close()
    assert errors == []
    assert not epochs.thread.is_alive()


@pytest.fixture
def bars(monkeypatch):
    made = []

    class Recorded(_FakeBar):
        """Records the fits done at each move."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fits = []
            made.append(self)

        def update(self, n):
            super().update(n)
            self.fits.append(self.progress.fits_text())

    monkeypatch.setattr(progress_module, "_Bar", Recorded)
    return made


@pytest.mark.parametrize("fit_many", [True, False])
def test_the_bar_moves_every_epoch_of_a_loop(split, tiny, bars, fit_many):
    epochs = 5
    compare(
        split,
        methods=["baseline", "logreg-balanced"],
        output=None,
        fit_many=fit_many,
        **{**tiny, "progress": True, "max_epochs": epochs},
    )
    (bar,) = bars
    assert bar.closed and bar.n == pytest.approx(bar.total)
    assert all(n > 0 for n in bar.updates)
    assert bar.fits[-1] == "6/6"
    if fit_many:
        # The 3 baseline nets train in one loop: a move per epoch (the first
        # untimed) before any fit is done, then one per reference fit.
        assert bar.fits.count("0/6") >= epochs - 1
        assert {"4/6", "5/6"} <= set(bar.fits)
    else:
        assert {f"{n}/6" for n in range(1, 7)} <= set(bar.fits)  # per fit


@pytest.mark.parametrize("dask", [False, True])
def test_parallel_workers_move_the_bar_every_epoch(split, tiny, monkeypatch, dask):
    """Each worker's loop reports its epochs to the main process's bar (2
    shares x 2 epochs), not only once per share."""
    if dask:
        pytest.importorskip("distributed")
    reports, loop = {}, Progress.loop

    def counted(self, k):
        on_epoch, finished = loop(self, k)
        key = len(reports)
        reports[key] = 0

        def counting(done, total):
            reports[key] += 1
            on_epoch(done, total)

        return counting, finished

    monkeypatch.setattr(Progress, "loop", counted)
    result = compare(
        split,
        methods=["baseline", "smote"],
        output=None,
        n_jobs=2,
        dask=dask,
        **{**tiny, "progress": True},
    )
    assert (result.rows["status"] == "ok").all()
    assert len(reports) == 2
    assert all(n >= tiny["max_epochs"] for n in reports.values())


def test_the_first_line_says_what_was_loaded_and_how_many_fits(split, tiny, capsys):
    compare(
        split,
        methods=["baseline", "logreg-balanced"],
        output=None,
        **{**tiny, "progress": True},
    )
    rows = len(split.y_train) + len(split.y_test)
    err = capsys.readouterr().err
    assert (
        f"{split.name}: {rows} rows x 64 columns; 6 fits: 2 methods x "
        "1 seed x (2 folds + the held-out fit)"
    ) in err


def test_the_bar_never_goes_back_when_the_estimate_grows(monkeypatch):
    """A larger estimate slows the bar; the remaining time shown is the
    estimate itself."""
    bar = _Bar(
        total=1.0, fits="0/1", file=io.StringIO(), bar_format=progress_module._BAR
    )
    progress = Progress(bar)
    estimates = iter([10.0, 1.0, 50.0, 200.0, 5.0, 0.5])
    monkeypatch.setattr(Progress, "remaining", lambda self: next(estimates))
    clock = iter([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    created = progress.created
    monkeypatch.setattr(
        progress_module.time, "monotonic", lambda: created + next(clock)
    )
    shares = []
    for _ in range(6):
        progress._show()
        shares.append(bar.n / bar.total)
        rate = bar.format_dict["rate"]
        # tqdm's remaining time, (total - n) / rate, is the estimate.
        assert (bar.total - bar.n) / rate == pytest.approx(progress.eta)
    assert shares == sorted(shares) and shares[-1] <= 1
    bar.close()
