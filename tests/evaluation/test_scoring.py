"""A fit's rows under the two rules and the decisions at the operating point:
the balanced rule moves a fit's probabilities to equal class priors; each
fold's threshold is chosen on the other folds' out-of-fold scores, never on
its own rows."""

import numpy as np
import pytest

from skimb.evaluation._scoring import SCORES, STOP_SCORES, balanced_proba, decide_at
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


def test_a_net_that_stopped_early_decides_on_its_own_stopping_rows():
    point = check_operating_point("alert-rate=0.1")
    rng = np.random.default_rng(3)
    scores = _folds(rng)
    rows = _rows(scores)
    own = {}
    for row in rows:
        if row["rule"] == "trained" and row["fold"] in (0, "test"):
            y = rng.random(300) < 0.1
            own[row["fold"]] = (y, rng.random(300) * 10)  # another scale
            row[STOP_SCORES] = own[row["fold"]]
    decide_at(rows, point, n_folds=3)
    by_fold = {(r["fold"], r["rule"]): r for r in rows}
    for fold in (0, "test"):
        assert by_fold[fold, "trained"]["threshold"] == choose_threshold(
            point, *own[fold]
        )
        assert (
            by_fold[fold, "balanced"]["threshold"]
            == (by_fold[fold, "trained"]["threshold"])
        )
    # The others still come from the out-of-fold scores.
    pooled = [scores[0], scores[2]]
    assert by_fold[1, "trained"]["threshold"] == choose_threshold(
        point,
        np.concatenate([p[0] for p in pooled]),
        np.concatenate([p[1] for p in pooled]),
    )


@pytest.mark.usefixtures("stop_on_any_split")
def test_in_a_comparison_each_stopping_net_has_its_own_threshold(monkeypatch, churn):
    import skimb.evaluation._compare as compare_module
    from skimb import compare

    seen = []
    real = compare_module.decide_at

    def spy(rows, point, n_folds):
        thresholds = real(rows, point, n_folds)
        seen.extend(dict(r) for r in rows)
        return thresholds

    monkeypatch.setattr(compare_module, "decide_at", spy)
    result = compare(
        churn(400, seed=2),
        target="label",
        methods=["weighted-loss", "logreg"],
        operating_point="alert-rate=0.1",
        cv=2,
        max_epochs=3,
        hidden_units=8,
        output=None,
        progress=False,
        device="cpu",
    )
    trained = [r for r in seen if r["rule"] == "trained"]
    nets = [r for r in trained if r["method"] == "weighted-loss"]
    assert nets and all(r.get(STOP_SCORES) is not None for r in nets)
    assert not any(
        r.get(STOP_SCORES) is not None for r in trained if r["method"] == "logreg"
    )
    point = check_operating_point("alert-rate=0.1")
    for r in nets:  # chosen on its own stopping rows, not on the scored ones
        assert r["threshold"] == choose_threshold(point, *r[STOP_SCORES])
        assert len(r[STOP_SCORES][0]) != len(r[SCORES][0])
    assert "_stop_scores" not in result.rows and "_scores" not in result.rows


def test_balanced_proba_of_a_net_is_its_balanced_prior(rng):
    from skimb import NetClassifier

    X = rng.normal(size=(80, 3)).astype(np.float32)
    y = np.r_[np.zeros(70, int), np.ones(10, int)]
    net = NetClassifier(max_epochs=2, module__hidden_units=4, device="cpu").fit(X, y)
    got = balanced_proba(net, X, net.predict_proba(X), [0.875, 0.125])
    expected = net.set_params(prior="balanced").predict_proba(X)
    np.testing.assert_array_equal(got, expected)
    assert net.set_params(prior=None).prior is None  # restored by the call


def test_balanced_proba_of_reference_models():
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression

    X = np.zeros((10, 1))
    y = np.r_[np.zeros(8, int), np.ones(2, int)]
    prior = DummyClassifier(strategy="prior").fit(X, y)
    proba = prior.predict_proba(X)
    # Dividing the training frequencies out leaves equal posteriors.
    np.testing.assert_allclose(balanced_proba(prior, X, proba, [0.8, 0.2]), 0.5)
    weighted = LogisticRegression(class_weight="balanced").fit(X, y)
    proba = weighted.predict_proba(X)
    assert balanced_proba(weighted, X, proba, [0.8, 0.2]) is proba
