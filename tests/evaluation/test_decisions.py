"""A comparison's decisions at the operating point: each fold's threshold is
chosen on the other folds' out-of-fold scores, never on its own rows."""

import numpy as np
import pytest

from skimb.evaluation._decisions import SCORES, decide_at
from skimb.metrics._operating_point import check_operating_point, choose_threshold


def _rows(scores):
    """Both rules' rows of one method and seed, the trained one holding the
    fold's (is_positive, scores)."""
    rows = []
    for fold, pair in scores.items():
        rows.append(
            {
                "method": "m",
                "seed": 0,
                "fold": fold,
                "rule": "trained",
                "status": "ok",
                SCORES: pair,
            }
        )
        rows.append(
            {"method": "m", "seed": 0, "fold": fold, "rule": "balanced", "status": "ok"}
        )
    return rows


def _folds(rng, n=200):
    out = {}
    for fold in [0, 1, 2, "test"]:
        y = rng.random(n) < 0.1
        out[fold] = (y, rng.random(n) + 0.5 * y)
    return out


@pytest.mark.parametrize("text", ["alert-rate=0.05", "recall=0.8", "f1", "cost=20"])
def test_a_folds_threshold_comes_from_the_other_folds_only(text):
    point = check_operating_point(text)
    scores = _folds(np.random.default_rng(0))
    rows = _rows(scores)
    thresholds = decide_at(rows, point, n_folds=3)
    by_fold = {(r["fold"], r["rule"]): r for r in rows}
    for fold in (0, 1, 2):
        others = [scores[f] for f in (0, 1, 2) if f != fold]
        expected = choose_threshold(
            point,
            np.concatenate([o[0] for o in others]),
            np.concatenate([o[1] for o in others]),
        )
        assert by_fold[fold, "trained"]["threshold"] == expected
        # Both rules decide alike: the same threshold and decisions.
        assert (
            by_fold[fold, "balanced"]["recall_at"]
            == (by_fold[fold, "trained"]["recall_at"])
        )
    everything = [scores[f] for f in (0, 1, 2)]
    expected = choose_threshold(
        point,
        np.concatenate([o[0] for o in everything]),
        np.concatenate([o[1] for o in everything]),
    )
    assert thresholds == {("m", 0): expected}
    assert by_fold["test", "trained"]["threshold"] == expected


def test_the_scored_rows_never_move_their_own_threshold():
    point = check_operating_point("alert-rate=0.1")
    scores = _folds(np.random.default_rng(1))
    rows = _rows(scores)
    decide_at(rows, point, n_folds=3)
    before = {r["fold"]: r["threshold"] for r in rows if r["rule"] == "trained"}
    # Fold 0 and the held-out part scored very differently: their own
    # thresholds stay; the other folds' (chosen on fold 0's scores) move.
    changed = dict(scores)
    changed[0] = (scores[0][0], scores[0][1] * 100)
    changed["test"] = (scores["test"][0], scores["test"][1] * 100)
    rows = _rows(changed)
    decide_at(rows, point, n_folds=3)
    after = {r["fold"]: r["threshold"] for r in rows if r["rule"] == "trained"}
    assert after[0] == before[0] and after[1] != before[1]
    # The held-out part's threshold is chosen on the folds, not on itself.
    assert after["test"] != before["test"]
    rows = _rows({**scores, "test": changed["test"]})
    decide_at(rows, point, n_folds=3)
    again = {r["fold"]: r["threshold"] for r in rows if r["rule"] == "trained"}
    assert again["test"] == before["test"]


def test_an_unfinished_method_or_another_point_decides_nothing():
    scores = _folds(np.random.default_rng(2))
    del scores[2]  # a fold still to run
    rows = _rows(scores)
    assert decide_at(rows, check_operating_point("f1"), n_folds=3) == {}
    assert not any("threshold" in r for r in rows)
    rows = _rows(_folds(np.random.default_rng(2)))
    assert decide_at(rows, check_operating_point("balanced"), n_folds=3) == {}
    assert decide_at(rows, None, n_folds=3) == {}
