"""Running the tasks: a task's data made ready (the early-stopping rows cut
before the resampler runs, so no validation row is a copy or a synthetic
neighbour of a training row; the steps' output is float32), a loop's
training sets dropped once its nets are trained (the progress bar's moves:
test_progress.py), parallel and Dask runs as serial ones, the workers
'auto' starts, and how a run stops (interrupts, SIGTERM, an inherited
ignored SIGINT) keeping what finished and saying where it is saved."""

import gc
import json
import signal
import warnings
import weakref

import numpy as np
import pandas as pd
import pytest
from imblearn.over_sampling import SMOTE, RandomOverSampler
from sklearn.datasets import make_classification

import skimb.evaluation._plan as plan_module
import skimb.evaluation._run as run_module
from skimb import compare
from skimb.estimators import NetClassifier as BaseNetClassifier
from skimb.evaluation._options import RunConfig
from skimb.evaluation._plan import plan_comparison
from skimb.evaluation._run import interrupted_message


# ---- a task's data made ready -------------------------------------------------
def _rows(X):
    """Each row of a float32 array as bytes (exact equality)."""
    X = np.ascontiguousarray(X, dtype=np.float32)
    return {row.tobytes() for row in X}


@pytest.fixture
def spied(monkeypatch):
    """Every sampler's ``(input, output)`` and every net's ``X_val`` in the
    order of the fits, however the nets train."""
    run_module._warm_up()  # its tiny fit is not the comparison's
    seen = {"sampled": [], "X_val": [], "nets": []}
    for sampler in (RandomOverSampler, SMOTE):
        real = sampler.fit_resample

        def spy(self, X, y, _real=real):
            Xr, yr = _real(self, X, y)
            seen["sampled"].append((np.array(X), np.array(Xr), type(self).__name__))
            return Xr, yr

        monkeypatch.setattr(sampler, "fit_resample", spy)
    real_fit, real_many = BaseNetClassifier.fit, run_module.fit_many

    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, **kw):
        seen["X_val"].append(X_val)
        seen["nets"].append(self)
        return real_fit(self, X, y, sample_weight, X_val=X_val, y_val=y_val, **kw)

    def many(estimators, Xs, ys, *args, X_vals=None, **kwargs):
        seen["X_val"].extend(X_vals)
        seen["nets"].extend(estimators)
        assert all(X.dtype == np.float32 for X in Xs)  # half the memory
        return real_many(estimators, Xs, ys, *args, X_vals=X_vals, **kwargs)

    monkeypatch.setattr(BaseNetClassifier, "fit", fit)
    monkeypatch.setattr(run_module, "fit_many", many)
    return seen


@pytest.mark.parametrize("fit_many", [True, False])
@pytest.mark.usefixtures("stop_on_any_split")
def test_no_validation_row_is_a_copy_or_a_synthetic_neighbour(spied, tiny, fit_many):
    X, y = make_classification(300, n_features=5, weights=[0.9], random_state=0)
    kwargs = dict(methods=["random-over", "smote"], output=None, **tiny)
    result = compare(X, y, fit_many=fit_many, **kwargs)
    assert (result.rows["status"] == "ok").all()
    plan = plan_comparison(X, y, RunConfig(**kwargs))
    tasks = plan.tasks("random-over") + plan.tasks("smote")
    assert len(spied["sampled"]) == len(spied["X_val"]) == len(tasks) == 6
    for task, (X_in, X_out, sampler), X_val, net in zip(
        tasks, spied["sampled"], spied["X_val"], spied["nets"], strict=True
    ):
        assert sampler == ("SMOTE" if task.method == "smote" else "RandomOverSampler")
        # The sampler saw the training rows only; the validation part, cut
        # before it, reached the net as its X_val.
        assert len(X_in) == len(task.train) and len(X_val) == len(task.stop)
        assert X_val.dtype == np.float32 and net.early_stopping is True
        # Oversampled: copies (or neighbours) of the rows it was given ...
        assert len(X_out) > len(X_in) and _rows(X_in) <= _rows(X_out)
        # ... and none of them is a validation row: not among the rows the
        # sampler copied or interpolated from, nor among what it made.
        assert not _rows(X_val) & _rows(X_in)
        assert not _rows(X_val) & _rows(X_out)


@pytest.mark.usefixtures("stop_on_any_split")
def test_the_validation_part_is_the_stop_rows_through_the_fitted_scaler(spied, tiny):
    from skimb import SmoothClipScaler

    X, y = make_classification(300, n_features=5, weights=[0.9], random_state=1)
    kwargs = dict(methods=["random-over"], output=None, **tiny)
    compare(X, y, **kwargs)
    plan = plan_comparison(X, y, RunConfig(**kwargs))
    for task, (X_in, _, _), X_val in zip(
        plan.tasks("random-over"), spied["sampled"], spied["X_val"], strict=True
    ):
        data = plan.seeds[task.seed]
        # The preprocessing is fitted on the training rows alone.
        scaler = SmoothClipScaler().fit(data.X[task.train])
        np.testing.assert_allclose(X_in, scaler.transform(data.X[task.train]), 1e-5)
        np.testing.assert_allclose(X_val, scaler.transform(data.X[task.stop]), 1e-5)


def test_a_fold_that_cannot_be_split_trains_without_early_stopping(
    spied, tiny, monkeypatch
):
    monkeypatch.setattr(plan_module, "MIN_STOPPING_ROWS", 5)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1200, 4))
    # 60 positives in training: 6 validation rows for the whole training
    # part, 3 for a fold's: below the 5 that early stopping needs here.
    y = np.r_[np.zeros(1120, int), np.ones(80, int)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = compare(
            X, y, methods=["baseline"], output=None, test_size=0.25, **tiny
        )
    assert (result.rows["status"] == "ok").all()
    message = [str(w.message) for w in caught if "early stopping is off" in str(w)]
    assert message and "fold(s) " in message[0]
    by_fold = dict(zip(result.rows["fold"], result.rows["epochs"], strict=False))
    assert set(by_fold) == {0, 1, "test"}
    stopping = [net.early_stopping for net in spied["nets"]]
    given = [X_val is not None for X_val in spied["X_val"]]
    assert stopping == given and False in stopping  # off exactly without a split
    assert True in stopping  # the whole training part's 60 positives can
    epochs = [
        net.max_epochs
        for net, on in zip(spied["nets"], stopping, strict=True)
        if not on
    ]
    assert set(epochs) == {tiny["max_epochs"]}  # the fixed epochs without it


def test_a_fold_s_methods_share_one_fitted_preprocessing(tiny, monkeypatch):
    """In one loop the preprocessing is fitted once per fold, and the rows
    equal each task fitting its own."""
    from sklearn.compose import ColumnTransformer

    X, y = make_classification(300, n_features=5, weights=[0.9], random_state=1)
    frame = pd.DataFrame(X, columns=list("abcde")).assign(label=y)
    fits, real = [], ColumnTransformer.fit_transform

    def counted(self, *args, **kwargs):
        fits.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ColumnTransformer, "fit_transform", counted)
    methods = ["baseline", "weighted-loss", "random-over", "smote"]
    kwargs = dict(target="label", methods=methods, output=None, **tiny)
    together = compare(frame, **kwargs)
    n_shared = len(fits)
    fits.clear()
    alone = compare(frame, fit_many=False, **kwargs)
    # 2 folds + the test part, each fitted once instead of once per method
    # (the plan's own check of the data fits one more, in both runs).
    assert len(fits) - n_shared == 3 * (len(methods) - 1)
    columns = ["method", "rule", "fold", "balanced_accuracy", "log_loss"]
    pd.testing.assert_frame_equal(
        together.rows[columns].reset_index(drop=True),
        alone.rows[columns].reset_index(drop=True),
        atol=1e-6,
    )


# ---- the loops of nets ----------------------------------------------------------
def test_the_loop_sets_are_dropped_before_scoring(split, tiny, monkeypatch):
    refs, alive_at_scoring = [], []
    real_many, real_score = run_module.fit_many, run_module._score

    def many(estimators, Xs, ys, *args, **kwargs):
        refs.extend(weakref.ref(X) for X in Xs)
        assert all(X.dtype == np.float32 for X in Xs)
        return real_many(estimators, Xs, ys, *args, **kwargs)

    def score(*args, **kwargs):
        gc.collect()
        alive_at_scoring.append(sum(r() is not None for r in refs))
        return real_score(*args, **kwargs)

    monkeypatch.setattr(run_module, "fit_many", many)
    monkeypatch.setattr(run_module, "_score", score)
    result = compare(split, methods=["random-over"], output=None, **tiny)
    assert (result.rows["status"] == "ok").all()
    assert len(refs) == 3 and alive_at_scoring == [0, 0, 0]


# ---- parallel runs and their workers; interrupts -------------------------------
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

    monkeypatch.setattr("os.cpu_count", lambda: 8)
    assert run_module.worker_threads(RunConfig()) is None  # serial: torch's own threads
    assert run_module.worker_threads(RunConfig(n_jobs=2)) == 4
    assert run_module.worker_threads(RunConfig(n_jobs=16)) == 1
    assert run_module.run_parallel(RunConfig(n_jobs=3)).n_jobs == 3
    assert (
        run_module.run_parallel(RunConfig(dask=True)).n_jobs == -1
    )  # every Dask worker


def test_each_parallel_worker_trains_a_share_of_the_nets_in_one_loop(
    split, tiny, monkeypatch
):
    """With n_jobs=2 the nets are dealt into two shares of whole folds, each
    one loop (the workers run here, one after the other, to be watched);
    the rows are the serial run's."""
    import joblib

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
    monkeypatch.setattr(run_module, "_cores", lambda: 4)
    enough = run_module.AUTO_WORKERS_WORK
    assert run_module.auto_workers(enough, "cpu") == 4
    assert run_module.auto_workers(enough / 2, "cpu") == 1
    assert run_module.auto_workers(enough, "cuda") == 1  # one GPU: one process
    monkeypatch.setattr(run_module, "_cores", lambda: 1)
    assert run_module.auto_workers(10 * enough, "cpu") == 1


def test_auto_workers_start_no_more_workers_than_the_memory_holds(monkeypatch):
    monkeypatch.setattr(run_module, "_cores", lambda: 8)
    work, gib = run_module.AUTO_WORKERS_WORK, 2**30
    each = run_module.WORKER_BYTES + gib  # a worker's runtime and its data
    quarter = run_module.WORKERS_MEMORY_FRACTION
    assert run_module.auto_workers(work, "cpu", data_bytes=gib, memory=None) == 8
    assert run_module.auto_workers(work, "cpu", data_bytes=gib, memory=100 * gib) == 8
    memory = 3 * each / quarter + 1
    assert run_module.auto_workers(work, "cpu", data_bytes=gib, memory=memory) == 3
    # Room for one worker only: one process, not one worker beside it.
    memory = 1.5 * each / quarter
    assert run_module.auto_workers(work, "cpu", data_bytes=gib, memory=memory) == 1


def test_auto_n_jobs_resolves_before_the_run(split, tiny, monkeypatch):
    """Serial on small work; every core once the work is large enough, and
    on a Dask cluster every worker it has."""
    import skimb.evaluation._compare as compare_module

    options = RunConfig(methods=["baseline"], output=None, **tiny)
    assert options.n_jobs == "auto" and not options.parallel
    plan = plan_comparison(split, None, options)
    assert compare_module._resolve_workers(options, plan).n_jobs == 1
    monkeypatch.setattr(run_module, "_cores", lambda: 3)
    monkeypatch.setattr(run_module, "AUTO_WORKERS_WORK", 0.0)
    resolved = compare_module._resolve_workers(options, plan)
    assert resolved.n_jobs == 3 and resolved.parallel
    dask = RunConfig(methods=["baseline"], output=None, dask=True, **tiny)
    assert compare_module._resolve_workers(dask, plan).n_jobs == -1
    fixed = RunConfig(methods=["baseline"], output=None, n_jobs=2, **tiny)
    assert compare_module._resolve_workers(fixed, plan).n_jobs == 2


def test_a_run_stopped_before_any_result_names_no_folder(tmp_path):
    (tmp_path / "out").mkdir()  # made by the plan's write check, left empty
    message = interrupted_message(tmp_path / "out", "methods")
    assert "nothing was saved" in message
    assert str(tmp_path) not in message


def test_a_run_stopped_after_a_result_names_its_folder(tmp_path):
    (tmp_path / "keel-yeast4").mkdir()
    (tmp_path / "keel-yeast4" / "results.csv").write_text("method\n")
    message = interrupted_message(tmp_path, "data sets")
    assert f"finished data sets are saved in {tmp_path}/" in message
    assert "--resume" in message
