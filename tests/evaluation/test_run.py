"""Running the tasks: a loop's materialised training sets are dropped once
its nets are trained (the progress bar's moves: test_progress.py)."""

import gc
import weakref

import numpy as np

import skimb.evaluation._run as run_module
from skimb import compare


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
