"""How a run executes: in parallel and on Dask as serially, and how it stops
(interrupts, SIGTERM, an inherited ignored SIGINT) keeping what finished."""

import json
import signal

import pandas as pd
import pytest

from skimb import compare


def test_interrupt_keeps_finished_methods_and_resume_finishes(
    split, tmp_path, monkeypatch, tiny, failing_method
):
    failing_method("weighted-loss", KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        compare(split, methods=["baseline", "weighted-loss"], output=tmp_path, **tiny)
    saved = json.loads((tmp_path / "results.json").read_text())
    assert {r["method"] for r in saved["rows"]} == {"baseline"}
    assert len(saved["rows"]) == 3 * 2  # 2 folds + test, two rules
    assert not list(tmp_path.glob(".*.tmp"))  # no half-written files left

    monkeypatch.undo()
    resumed = compare(
        split,
        methods=["baseline", "weighted-loss"],
        output=tmp_path,
        resume=True,
        **tiny,
    )
    rows = resumed.rows
    assert len(rows) == 12 and (rows["status"] == "ok").all()
    # the baseline rows were taken from disk, not recomputed
    before = [r["fit_time"] for r in saved["rows"]]
    after = rows[rows["method"] == "baseline"]["fit_time"].tolist()
    assert before == after


def test_parallel_and_dask_match_serial(split, tiny):
    pytest.importorskip("distributed")
    kwargs = dict(data=split, methods=["baseline", "smote"], output=None, **tiny)
    serial = compare(**kwargs)
    parallel = compare(n_jobs=2, **kwargs)
    dask = compare(n_jobs=2, dask=True, **kwargs)
    cols = ["method", "rule", "seed", "fold", "balanced_accuracy", "macro_f1"]
    pd.testing.assert_frame_equal(serial.rows[cols], parallel.rows[cols])
    pd.testing.assert_frame_equal(serial.rows[cols], dask.rows[cols])


def test_external_dask_scheduler(split, tiny):
    distributed = pytest.importorskip("distributed")
    kwargs = dict(data=split, methods=["weighted-sampler"], output=None, **tiny)
    serial = compare(**kwargs)
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        remote = compare(scheduler=cluster.scheduler_address, **kwargs)
    cols = ["method", "seed", "fold", "balanced_accuracy"]
    pd.testing.assert_frame_equal(serial.rows[cols], remote.rows[cols])


def _interrupt_third_epoch(monkeypatch, signum):
    from skimb.estimators._training import _Loop

    real = _Loop.run_epoch
    seen = []

    def interrupting(self, *args, **kwargs):
        seen.append(1)
        if len(seen) == 3:
            signal.raise_signal(signum)  # its Python handler runs right here
        return real(self, *args, **kwargs)

    monkeypatch.setattr(_Loop, "run_epoch", interrupting)


def test_interrupt_inside_a_fit_stops_the_run(split, tmp_path, monkeypatch, tiny):
    """skorch swallows KeyboardInterrupt in fit; the run must still stop and must
    not record the half-trained net."""
    # Whatever disposition the test runner inherited, this test needs Python's
    # default handler, as an interactive session has.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _interrupt_third_epoch(monkeypatch, signal.SIGINT)
        with pytest.raises(KeyboardInterrupt, match="signal"):
            compare(
                split, methods=["baseline"], output=tmp_path, fit_many=False, **tiny
            )
        assert not (tmp_path / "results.json").exists()
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, previous)


def test_ignored_sigint_stays_ignored_and_sigterm_still_stops(
    split, tmp_path, monkeypatch, tiny
):
    """A background job inherits SIGINT ignored: the run leaves that in place
    (a stray Ctrl-C in the terminal must not stop it) but stops on SIGTERM."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _interrupt_third_epoch(monkeypatch, signal.SIGINT)
        result = compare(
            split, methods=["baseline"], output=tmp_path, fit_many=False, **tiny
        )
        assert (result.rows["status"] == "ok").all()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN

        _interrupt_third_epoch(monkeypatch, signal.SIGTERM)
        with pytest.raises(KeyboardInterrupt, match="signal"):
            compare(split, methods=["baseline"], output=None, fit_many=False, **tiny)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_parallel_workers_share_the_cores(monkeypatch):
    from skimb.evaluation._execution import run_parallel, worker_threads
    from skimb.evaluation._options import RunConfig

    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert worker_threads(RunConfig()) is None  # serial: torch's own threads
    assert worker_threads(RunConfig(n_jobs=2)) == 4
    assert worker_threads(RunConfig(n_jobs=16)) == 1
    assert run_parallel(RunConfig(n_jobs=3)).n_jobs == 3
    assert run_parallel(RunConfig(dask=True)).n_jobs == -1  # every Dask worker


def test_each_parallel_worker_trains_a_share_of_the_nets_in_one_loop(
    split, tiny, monkeypatch
):
    """With n_jobs=2 the nets are dealt into two shares of whole folds, each
    one loop (the workers run here, one after the other, to be watched);
    the rows are the serial run's."""
    import joblib

    import skimb.evaluation._run as run_module

    kwargs = dict(data=split, methods=["baseline", "smote", "logreg-balanced"])
    kwargs.update(output=None, **tiny)
    serial = compare(**kwargs)
    shares, loops = [], []
    real_group, real_many = run_module.run_group, run_module.fit_many

    def group(tasks, *args, **kw):
        shares.append([(t.method, t.seed, str(t.fold)) for t in tasks])
        return real_group(tasks, *args, **kw)

    def many(estimators, *args, **kw):
        loops.append(len(estimators))
        return real_many(estimators, *args, **kw)

    monkeypatch.setattr(run_module, "run_group", group)
    monkeypatch.setattr(run_module, "fit_many", many)
    monkeypatch.setattr(
        run_module,
        "run_parallel",
        lambda options, **kw: joblib.Parallel(n_jobs=1, return_as="generator"),
    )
    parallel = compare(n_jobs=2, **kwargs)
    # 2 net methods x 3 fits: the largest fit (the whole training part) in
    # one share, the two folds in the other.
    assert loops == [2, 4]
    assert sorted(sum(shares, [])) == sorted(
        (m, 0, f) for m in ("baseline", "smote") for f in ("0", "1", "test")
    )
    assert [sorted({f for _, _, f in share}) for share in shares] == [
        ["test"],
        ["0", "1"],
    ]
    assert all({m for m, _, _ in share} == {"baseline", "smote"} for share in shares)
    cols = ["method", "rule", "seed", "fold", "balanced_accuracy", "log_loss"]
    pd.testing.assert_frame_equal(serial.rows[cols], parallel.rows[cols])


def test_auto_workers_only_for_enough_work_on_a_multicore_cpu(monkeypatch):
    import skimb.evaluation._execution as execution

    monkeypatch.setattr(execution, "_cores", lambda: 4)
    enough = execution.AUTO_WORKERS_WORK
    assert execution.auto_workers(enough, "cpu") == 4
    assert execution.auto_workers(enough / 2, "cpu") == 1
    assert execution.auto_workers(enough, "cuda") == 1  # one GPU: one process
    monkeypatch.setattr(execution, "_cores", lambda: 1)
    assert execution.auto_workers(10 * enough, "cpu") == 1


def test_auto_workers_start_no_more_workers_than_the_memory_holds(monkeypatch):
    import skimb.evaluation._execution as execution

    monkeypatch.setattr(execution, "_cores", lambda: 8)
    work, gib = execution.AUTO_WORKERS_WORK, 2**30
    each = execution.WORKER_BYTES + gib  # a worker's runtime and its data
    quarter = execution.WORKERS_MEMORY_FRACTION
    assert execution.auto_workers(work, "cpu", data_bytes=gib, memory=None) == 8
    assert execution.auto_workers(work, "cpu", data_bytes=gib, memory=100 * gib) == 8
    memory = 3 * each / quarter + 1
    assert execution.auto_workers(work, "cpu", data_bytes=gib, memory=memory) == 3
    # Room for one worker only: one process, not one worker beside it.
    memory = 1.5 * each / quarter
    assert execution.auto_workers(work, "cpu", data_bytes=gib, memory=memory) == 1


def test_auto_n_jobs_resolves_before_the_run(split, tiny, monkeypatch):
    """Serial on small work; every core once the work is large enough, and
    on a Dask cluster every worker it has."""
    import skimb.evaluation._compare as compare_module
    import skimb.evaluation._execution as execution
    from skimb.evaluation._options import RunConfig
    from skimb.evaluation._plan import plan_comparison

    options = RunConfig(methods=["baseline"], output=None, **tiny)
    assert options.n_jobs == "auto" and not options.parallel
    plan = plan_comparison(split, None, options)
    assert compare_module._resolve_workers(options, plan).n_jobs == 1
    monkeypatch.setattr(execution, "_cores", lambda: 3)
    monkeypatch.setattr(execution, "AUTO_WORKERS_WORK", 0.0)
    resolved = compare_module._resolve_workers(options, plan)
    assert resolved.n_jobs == 3 and resolved.parallel
    dask = RunConfig(methods=["baseline"], output=None, dask=True, **tiny)
    assert compare_module._resolve_workers(dask, plan).n_jobs == -1
    fixed = RunConfig(methods=["baseline"], output=None, n_jobs=2, **tiny)
    assert compare_module._resolve_workers(fixed, plan).n_jobs == 2
