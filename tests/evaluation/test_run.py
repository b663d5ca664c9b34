"""Running the tasks: the progress bar moves with the work (per epoch of a
loop of nets), and a loop's materialised training sets are dropped once
its nets are trained."""

import gc
import weakref

import numpy as np
import pytest

import skimb.evaluation._compare as compare_module
import skimb.evaluation._run as run_module
from skimb import compare


class _Bar:
    """A tqdm stand-in that records its updates."""

    made = []

    def __init__(self, *args, total=None, **kwargs):
        self.total, self.n, self.updates = total, 0.0, []
        _Bar.made.append(self)

    def update(self, n):
        self.updates.append(n)
        self.n += n

    def close(self):
        pass


@pytest.fixture
def bar(monkeypatch):
    _Bar.made = []
    monkeypatch.setattr(compare_module, "tqdm", _Bar)
    return _Bar.made


@pytest.mark.parametrize("fit_many", [True, False])
def test_the_bar_moves_every_epoch_of_a_loop(split, tiny, bar, fit_many):
    epochs = 5
    compare(
        split,
        methods=["baseline", "logreg-balanced"],
        output=None,
        fit_many=fit_many,
        **{**tiny, "progress": True, "max_epochs": epochs},
    )
    (made,) = bar
    assert made.total == 2 * 3 and made.n == pytest.approx(made.total)
    assert all(n > 0 for n in made.updates)
    if fit_many:
        # The 3 baseline nets train in one loop: a step per epoch, by the
        # fraction of their work done, then one fit per reference task.
        loop = made.updates[:-3]
        assert len(loop) >= epochs and sum(loop) == pytest.approx(3)
        assert all(n < 3 for n in loop)
        assert made.updates[-3:] == [1, 1, 1]
    else:
        assert made.updates == [1] * 6  # one at a time: a step per fit


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
