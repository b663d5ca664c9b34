"""The verdict of a finished comparison, and the recommended model saved.

After the run, :func:`~._verdict.recommend` picks the best (method, rule)
for each deciding metric. The model of the pick for ``recommend_for`` is the
fit the held-out scores came from: the method fitted on the whole training
part of the first seed (kept in memory by the run; refitted once when its
rows came from an earlier run, ``resume``), its prior set to the rule,
preprocessing included. It is written with :func:`skimb.save` to
``OUTPUT/model.skimb``.
"""

import warnings

import numpy as np

from ..estimators._persistence import save
from ._prepare import prepare
from ._scoring import final_step
from ._verdict import RULES, _trained_balanced, recommend

__all__ = ["MODEL_FILE", "chosen", "finish", "with_rule"]

#: The file name of the saved model, in the output folder.
MODEL_FILE = "model.skimb"


def _better_rule(rows, method):
    """The rule with the better CV balanced accuracy of ``method``: the one a
    pick by a threshold-free metric (same under both rules) predicts with."""
    cv = rows[
        (rows["method"] == method)
        & (rows["status"] == "ok")
        & (rows["fold"].astype(str) != "test")
    ]
    if cv.empty or "balanced_accuracy" not in cv:
        return RULES[0]
    means = cv.groupby("rule")["balanced_accuracy"].mean()
    return max(RULES, key=lambda r: means.get(r, -np.inf))  # trained on a tie


def chosen(verdict, rows, metric):
    """``(method, rule)`` of the model to save for ``metric``, or None."""
    entry = verdict.get(metric)
    if entry is None:
        return None
    rule = entry["rule"]
    if rule not in RULES:  # 'any': a threshold-free metric
        rule = _better_rule(rows, entry["method"])
    return entry["method"], rule


def with_rule(model, rule):
    """``model`` predicting under ``rule``: a skimb net's prior set to
    ``'balanced'`` for the balanced rule (a model fitted for equal priors is
    left as it is); as trained otherwise."""
    final = final_step(model)
    if rule == "balanced" and "prior" in final.get_params():
        final.set_params(prior="balanced")
    elif rule == "balanced" and not _trained_balanced(final):
        warnings.warn(
            f"the balanced rule of a {type(final).__name__} divides its "
            "probabilities by the training frequencies, which the saved model "
            "cannot hold; it is saved as trained.",
            UserWarning,
            stacklevel=3,
        )
    return model


def _refit(method, plan):
    """``method`` fitted on the whole training part of the first seed, as
    the run fits it."""
    seed = next(iter(plan.seeds))
    prepared = prepare(plan.task(method, seed, "test"), plan.seeds[seed])
    prepared.fit()
    return prepared.estimator


def _model(method, models, plan):
    if method in models:
        return models[method]
    first = next(iter(plan.seeds))
    resumed = {(r["method"], r["seed"], str(r["fold"])) for r in plan.done}
    if (method, first, "test") not in resumed:
        return None  # its fit failed in this run: a refit would fail again
    try:
        return _refit(method, plan)
    except Exception as exc:
        warnings.warn(
            f"the recommended method {method!r} could not be refitted: {exc}",
            UserWarning,
            stacklevel=3,
        )
        return None


def finish(result, models, plan, options):
    """Fill ``result``'s recommendation and recommended model, and save the
    model to the output folder (when there is one).

    ``models`` maps a method to its fitted model on the whole training part
    of the first seed.
    """
    rows = result.rows
    if rows.empty or "rule" not in rows:
        return result
    result.recommendation = recommend(rows, cv=options.cv)
    pick = chosen(result.recommendation, rows, options.recommend_for)
    if pick is None:
        return result
    model = _model(pick[0], models, plan)
    if model is None:
        return result
    result.model = with_rule(model, pick[1])
    result.model_info = {
        "path": None,
        "method": pick[0],
        "rule": pick[1],
        "recommended_for": options.recommend_for,
    }
    if result.output is not None:
        result.model_path = result.output / MODEL_FILE
        save(result.model, result.model_path)
        result.model_info["path"] = str(result.model_path)
    return result
