"""Which tasks train together: every net of a comparison in one loop, split
by method and then by fold when their materialised sets would not fit in the
memory budget; the estimate of a set's size."""

import dataclasses

import pytest
from imblearn.over_sampling import RandomOverSampler
from imblearn.under_sampling import RandomUnderSampler

import skimb.evaluation._plan as plan_module
from skimb.evaluation._groups import (
    MEMORY_FRACTION,
    _n_features,
    available_memory,
    plan_batches,
    task_bytes,
)
from skimb.evaluation._options import RunConfig
from skimb.evaluation._plan import plan_comparison

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


def _methods(batches):
    return [[t.method for t in batch] for batch in batches]


def test_all_nets_in_one_batch_then_the_other_methods(planned):
    plan, options = planned
    batches = plan_batches(plan, METHODS, options, memory=10**12)
    assert _methods(batches) == [
        ["baseline"] * 3 + ["random-over"] * 3,
        ["logreg-balanced"] * 3,
    ]
    alone = dataclasses.replace(options, fit_many=False)
    assert _methods(plan_batches(plan, METHODS, alone)) == [[m] * 3 for m in METHODS]


def test_a_small_memory_splits_by_method_then_by_fold(planned):
    plan, options = planned
    features = _n_features(plan.seeds[0])
    sizes = {
        m: [task_bytes(t, plan.seeds[0], features) for t in plan.tasks(m)]
        for m in METHODS[:2]
    }
    per_method = max(map(sum, sizes.values())) / MEMORY_FRACTION
    batches = plan_batches(plan, METHODS, options, memory=per_method)
    assert _methods(batches) == [[m] * 3 for m in METHODS]
    tiny_memory = plan_batches(plan, METHODS, options, memory=1)
    assert _methods(tiny_memory) == [
        *([m] for m in ["baseline"] * 3 + ["random-over"] * 3),
        ["logreg-balanced"] * 3,
    ]


def test_the_estimate_is_the_resampled_set_and_the_validation_part(planned):
    plan, _ = planned
    data = plan.seeds[0]
    features = _n_features(data)
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
