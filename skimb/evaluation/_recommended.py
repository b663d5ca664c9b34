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

from sklearn.model_selection import FixedThresholdClassifier

from ..datasets._builtin import label_counts
from ..estimators._persistence import save
from ._run import prepare
from ._scoring import RULES, at_data_prior, final_step, fitted_for_equal_priors
from ._verdict import better_rule, recommend

__all__ = ["MODEL_FILE", "at_threshold", "chosen", "finish", "with_rule"]

#: The file name of the saved model, in the output folder.
MODEL_FILE = "model.skimb"


def chosen(verdict, rows, metric):
    """``(method, rule)`` of the model to save for ``metric``, or None."""
    entry = verdict.get(metric)
    if entry is None:
        return None
    rule = entry["rule"]
    if rule not in RULES:  # 'any': a threshold-free metric
        rule = better_rule(rows, entry["method"])
    return entry["method"], rule


def with_rule(model, rule):
    """``model`` predicting under ``rule``: a skimb net's prior set to
    ``'balanced'`` for the balanced rule (a model fitted for equal priors is
    left as it is); as trained otherwise."""
    final = final_step(model)
    if rule == "balanced" and "prior" in final.get_params():
        final.set_params(prior="balanced")
    elif rule == "balanced" and not fitted_for_equal_priors(final):
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


def at_threshold(model, threshold, positive, train_prior):
    """``model`` deciding at ``threshold`` on the positive class's
    probability, its ``predict_proba`` answering at the data's own prior.

    A skimb net (alone or behind a pipeline's steps) is set to
    ``prior=train_prior`` (the training part's class frequencies before any
    resampling), the prior its threshold was chosen under; scikit-learn's
    :class:`~sklearn.model_selection.FixedThresholdClassifier` wraps the
    fitted model (no refit), so ``set_params(threshold=...)`` moves the
    point.
    """
    at_data_prior(model, train_prior)
    return FixedThresholdClassifier(
        model, threshold=threshold, pos_label=positive, response_method="predict_proba"
    )


def _decide(model, pick, plan, thresholds):
    """The saved model and how it decides: at the operating point's
    threshold when there is one, under the pick's rule otherwise."""
    point, first = plan.operating_point, next(iter(plan.seeds))
    threshold = (thresholds or {}).get((pick[0], first))
    if point is None or not point.thresholded:
        return with_rule(model, pick[1]), {"rule": pick[1]}
    if threshold is None:
        warnings.warn(
            f"the threshold of {pick[0]!r} at {point} needs every fold's scores "
            "of this run (a resumed method has none): the model is saved under "
            f"the {pick[1]} rule.",
            UserWarning,
            stacklevel=3,
        )
        return with_rule(model, pick[1]), {"rule": pick[1]}
    data = plan.seeds[first]
    prior = {c: n / len(data.y) for c, n in label_counts(data.y).items()}
    model = at_threshold(model, threshold, data.positive, prior)
    # A model fitted for equal class priors (class_weight='balanced', the
    # balanced forest) keeps answering at them: no prior to move it with.
    proba = (
        "balanced" if fitted_for_equal_priors(final_step(model.estimator)) else "data"
    )
    return model, {
        "rule": "threshold",
        "threshold": float(threshold),
        "proba_prior": proba,
    }


def finish(result, models, plan, options, thresholds=None):
    """Fill ``result``'s recommendation and recommended model, and save the
    model to the output folder (when there is one).

    ``models`` maps a method to its fitted model on the whole training part
    of the first seed; ``thresholds`` maps ``(method, seed)`` to the
    threshold its model decides at (:func:`~._scoring.decide_at`).
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
    result.model, decision = _decide(model, pick, plan, thresholds)
    result.model_info = {
        "path": None,
        "method": pick[0],
        **decision,
        "operating_point": str(plan.operating_point),
        "positive": plan.config.get("positive"),
        "recommended_for": options.recommend_for,
    }
    if result.output is not None:
        result.model_path = result.output / MODEL_FILE
        save(result.model, result.model_path)
        result.model_info["path"] = str(result.model_path)
    return result
