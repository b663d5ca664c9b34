"""Which tasks train together: every net of a comparison in one loop, split
by method and then by fold when their materialised sets would not fit in the
memory budget; the estimate of a set's size, of the nets' work and of the
data a worker holds; the workers' shares."""

import dataclasses
from types import SimpleNamespace

import pytest
from imblearn.over_sampling import RandomOverSampler
from imblearn.under_sampling import RandomUnderSampler

import skimb.evaluation._plan as plan_module
from skimb.evaluation._options import RunConfig
from skimb.evaluation._plan import (
    FOLD_STEP_WORK,
    MEMORY_FRACTION,
    available_memory,
    data_bytes,
    loop_step_work,
    n_features,
    plan_comparison,
    task_bytes,
    task_groups,
    training_work,
    worker_shares,
)

METHODS = ["baseline", "random-over", "logreg-balanced"]


@pytest.fixture(scope="module")
def planned(split, tiny):
    # Every fold stops early, however small its validation part, so that the
    # estimate counts validation parts too (the conftest's stop_on_any_split,
    # for a module-wide plan).
    options = RunConfig(methods=METHODS, output=None, **tiny)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plan_module, "MIN_STOPPING_ROWS", 1)
        return plan_comparison(split, None, options), options


def _methods(groups):
    return [[t.method for t in group] for group in groups]


def test_all_nets_in_one_group_then_the_other_methods(planned):
    plan, options = planned
    groups = task_groups(plan, METHODS, options, memory=10**12)
    assert _methods(groups) == [
        ["baseline"] * 3 + ["random-over"] * 3,
        ["logreg-balanced"] * 3,
    ]
    alone = dataclasses.replace(options, fit_many=False)
    assert _methods(task_groups(plan, METHODS, alone)) == [[m] * 3 for m in METHODS]


def test_a_small_memory_splits_by_method_then_by_fold(planned):
    plan, options = planned
    features = n_features(plan.seeds[0])
    sizes = {
        m: [task_bytes(t, plan.seeds[0], features) for t in plan.tasks(m)]
        for m in METHODS[:2]
    }
    per_method = max(map(sum, sizes.values())) / MEMORY_FRACTION
    groups = task_groups(plan, METHODS, options, memory=per_method)
    assert _methods(groups) == [[m] * 3 for m in METHODS]
    tiny_memory = task_groups(plan, METHODS, options, memory=1)
    assert _methods(tiny_memory) == [
        *([m] for m in ["baseline"] * 3 + ["random-over"] * 3),
        ["logreg-balanced"] * 3,
    ]


def test_the_estimate_is_the_resampled_set_and_the_validation_part(planned):
    plan, _ = planned
    data = plan.seeds[0]
    features = n_features(data)
    assert features == data.X.shape[1] == 64
    samplers = {"random-over": RandomOverSampler, "random-under": RandomUnderSampler}
    for method in ("random-over", "random-under", "baseline"):
        for fold in (0, 1, "test"):
            task = plan.task(method, 0, fold)
            X, y = data.X[task.train], data.y[task.train]
            if method in samplers:
                X, y = samplers[method](random_state=0).fit_resample(X, y)
            expected = 4 * (len(y) + len(task.stop)) * features
            assert task_bytes(task, data, features) == expected


def test_available_memory_is_a_positive_number():
    memory = available_memory()
    assert memory is None or memory > 0


def test_data_bytes_counts_the_data_as_given_and_preprocessed(split, tiny):

    options = RunConfig(methods=["baseline"], output=None, **tiny)
    plan = plan_comparison(split, None, options)
    data = plan.seeds[0]
    as_given = data.X.nbytes + plan.split.X_test.nbytes
    preprocessed = 4 * data.X.shape[0] * data.X.shape[1]
    assert data_bytes(plan) == as_given + preprocessed


def test_training_work_counts_resampled_rows_and_nets_only(split, tiny):

    def work(methods, **kw):
        options = RunConfig(methods=methods, output=None, **{**tiny, **kw})
        return training_work(plan_comparison(split, None, options), options)

    base = work(["baseline"])
    assert base > 0
    assert work(["logreg-balanced"]) == 0  # not a net
    assert work(["random-over"]) > base > work(["random-under"])
    assert work(["baseline", "weighted-loss"]) == pytest.approx(2 * base)
    assert work(["baseline"], hidden_units=2 * tiny["hidden_units"]) > 1.9 * base


def test_shares_are_whole_folds_of_about_equal_rows_or_every_nth_task():

    def task(method, fold, rows):
        return SimpleNamespace(method=method, seed=0, fold=fold, train=range(rows))

    tasks = [
        task(m, f, 125 if f == "test" else 100)
        for m in "ab"
        for f in [0, 1, 2, 3, 4, "test"]
    ]
    shares = worker_shares(tasks, 2)
    folds = [{t.fold for t in share} for share in shares]
    assert folds[0].isdisjoint(folds[1]) and folds[0] | folds[1] == {
        0,
        1,
        2,
        3,
        4,
        "test",
    }
    loads = [sum(len(t.train) for t in share) for share in shares]
    assert sorted(loads) == [600, 650]  # 3.25 and 3 folds' rows, two methods each
    # Fewer folds than shares: every n-th task, each share a mix.
    shares = worker_shares(tasks[:2] + tasks[6:8], 3)
    assert [len(s) for s in shares] == [2, 1, 1]
    # Whole folds would load 4 or 5 workers unevenly: every n-th task.
    for n in (4, 5):
        shares = worker_shares(tasks, n)
        assert sorted(len(s) for s in shares) == sorted(
            len(tasks[i::n]) for i in range(n)
        )
        assert any(len({t.fold for t in s}) == len(s) > 1 for s in shares)


def test_large_folds_are_a_share_each_taken_by_the_next_free_worker(split, tiny):

    options = RunConfig(methods=["baseline", "random-over"], output=None, **tiny)
    plan = plan_comparison(split, None, options)
    tasks = [t for m in options.methods for t in plan.tasks(m)]
    n_folds = tiny["cv"] + 1
    # A step: each net's batch x (3 x (64 x hidden + hidden x 10)) multiply-adds.
    data = plan.seeds[0]
    per_row = 3 * (64 * options.hidden_units + options.hidden_units * 10)
    test = [t for t in tasks if t.fold == "test"]
    step_work = loop_step_work(plan, options)
    assert step_work(test) == sum(
        data.net_settings["batch_size"] * per_row for _ in test
    )
    # Digits' folds take far less than FOLD_STEP_WORK a step: two shares.
    assert step_work(test) < FOLD_STEP_WORK
    shares = worker_shares(tasks, 2, step_work)
    assert len(shares) == 2
    # Large folds: one share per fold, the whole training part's first.
    shares = worker_shares(tasks, 2, lambda fold: FOLD_STEP_WORK)
    assert len(shares) == n_folds
    assert [{str(t.fold) for t in s} for s in shares][0] == {"test"}
    assert all(len({t.fold for t in s}) == 1 and len(s) == 2 for s in shares)
    # No more folds than workers: n shares.
    assert len(worker_shares(tasks, n_folds, lambda fold: FOLD_STEP_WORK)) == n_folds
