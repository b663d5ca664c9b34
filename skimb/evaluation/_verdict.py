"""The verdict of a comparison: which method and decision rule to use, and
the recommended model saved.

Every method is judged under two decision rules from the same fit: as
trained, and under the balanced rule (its probabilities moved to equal class
priors). For each deciding metric the best (method, rule) by mean over the
cross-validation folds is recommended, with a paired test against the best
other method over the same folds and seeds, so that a lead within the fold
noise is said to be one.

The model of the pick for ``recommend_for`` is the fit the held-out scores
came from: the method fitted on the whole training part of the first seed
(kept in memory by the run; refitted once when its rows came from an
earlier run, ``resume``), its prior set to the rule, preprocessing
included. It is written with :func:`skimb.save` to ``OUTPUT/model.skimb``.
"""

import math
import warnings

import numpy as np
from sklearn.model_selection import FixedThresholdClassifier

from ..estimators._persistence import save
from ..metrics._paired import corrected_resampled_ttest
from ..metrics._registry import METRICS, metric_words, recommendable_metrics
from ._run import prepare
from ._scoring import (
    RULES,
    at_data_prior,
    check_rule,
    class_frequencies,
    final_step,
    fitted_for_equal_priors,
)

__all__ = [
    "MODEL_FILE",
    "RULES",
    "at_threshold",
    "better_rule",
    "describe",
    "lead_words",
    "pick_for",
    "recommend",
    "record_verdict",
    "rule_label",
    "standings",
    "with_rule",
]

#: A lead is called larger than the fold noise below this p-value.
SIGNIFICANCE = 0.05


def _threshold_free(metric):
    """Whether ``metric`` is the same under both rules (it ranks the
    probabilities alone), so that the rule is reported as ``'any'``."""
    return metric in METRICS and METRICS[metric].kind == "threshold-free"


def rule_label(method, rule):
    """How tables and plots name a method under a rule: ``'baseline
    (balanced)'``."""
    return f"{method} ({check_rule(rule)})"


def _cv_scores(rows, metric):
    """``{(method, rule): Series indexed by (seed, fold)}`` of CV scores."""
    cv = rows[(rows["fold"].astype(str) != "test") & (rows["status"] == "ok")]
    if metric not in cv or cv.empty:
        return {}
    if _threshold_free(metric):
        cv = cv[cv["rule"] == RULES[0]]
    out = {}
    for (method, rule), group in cv.groupby(["method", "rule"], sort=False):
        scores = group.set_index(["seed", "fold"])[metric].astype(float)
        if scores.notna().any():
            out[method, rule] = scores
    return out


def _paired_p(a, b, cv):
    """The corrected resampled t-test's p-value of two methods' scores over
    the same (seed, fold)s."""
    a, b = a.align(b, join="inner")
    keep = a.notna() & b.notna()
    _, p = corrected_resampled_ttest(
        a[keep].to_numpy(), b[keep].to_numpy(), test_train_ratio=1 / max(cv - 1, 1)
    )
    return p


def better_rule(rows, method):
    """The rule with the better CV balanced accuracy of ``method``: the one it
    is shown and saved with when a threshold-free metric ranks it (the
    trained rule on a tie, or without scores)."""
    cv = rows[
        (rows["method"] == method)
        & (rows["status"] == "ok")
        & (rows["fold"].astype(str) != "test")
    ]
    if cv.empty or "balanced_accuracy" not in cv:
        return RULES[0]
    means = cv.groupby("rule")["balanced_accuracy"].mean()
    return max(RULES, key=lambda r: means.get(r, -np.inf))


def standings(rows, metric, *, cv):
    """Every scored method once, best first by its CV mean of ``metric``,
    with the p-value of the paired test against the first.

    A method stands at its better rule: for a rule-dependent metric the
    rule with the better mean of it, for a threshold-free one
    :func:`better_rule`.

    Returns
    -------
    list of dict
        ``{"method", "rule", "cv_mean", "p_value"}``; ``p_value`` is NaN
        for the first, and a p-value at or above 0.05 is a lead within the
        fold noise.
    """
    scores = _cv_scores(rows, metric)
    sign = 1 if metric not in METRICS or METRICS[metric].higher_is_better else -1
    best = {}
    for key, values in scores.items():
        held = best.get(key[0])
        if held is None or sign * values.mean() > sign * scores[held].mean():
            best[key[0]] = key
    order = sorted(best.values(), key=lambda k: -sign * scores[k].mean())
    out = []
    for i, key in enumerate(order):
        rule = better_rule(rows, key[0]) if _threshold_free(metric) else key[1]
        p = math.nan if i == 0 else _paired_p(scores[order[0]], scores[key], cv)
        out.append(
            {
                "method": key[0],
                "rule": rule,
                "cv_mean": float(scores[key].mean()),
                "p_value": p,
            }
        )
    return out


def _entry(scores, key, higher, cv):
    method, rule = key
    mean = float(scores[key].mean())
    others = [k for k in scores if k[0] != method]
    entry = {
        "method": method,
        "rule": rule,
        "cv_mean": mean,
        "runner_up": None,
        "runner_up_rule": None,
        "runner_up_cv_mean": math.nan,
        "p_value": math.nan,
        "significant": False,
    }
    if not others:
        return entry
    sign = 1 if higher else -1
    runner = max(others, key=lambda k: sign * scores[k].mean())
    p = _paired_p(scores[key], scores[runner], cv)
    entry.update(
        runner_up=runner[0],
        runner_up_rule=runner[1],
        runner_up_cv_mean=float(scores[runner].mean()),
        p_value=p,
        significant=bool(p < SIGNIFICANCE),
    )
    return entry


def recommend(rows, *, cv, metrics=None):
    """The best (method, rule) per metric, with a paired test against the
    runner-up (the best other method, under its best rule).

    Parameters
    ----------
    rows : pandas.DataFrame
        A comparison's rows (``method, rule, seed, fold, status`` and one
        column per metric).
    cv : int
        The number of folds (the t-test's correction uses ``1 / (cv - 1)``).
    metrics : dict or None, default=None
        Metric -> whether higher is better; None: the table of metrics'
        ``recommended`` ones, in their order.

    Returns
    -------
    dict
        ``{metric: {"method", "rule", "cv_mean", "runner_up",
        "runner_up_rule", "runner_up_cv_mean", "p_value", "significant"}}``;
        ``rule`` is ``'any'`` for a threshold-free metric. A metric no method
        was scored on is left out.
    """
    if metrics is None:
        metrics = {m.name: m.higher_is_better for m in recommendable_metrics()}
    verdict = {}
    for metric, higher in metrics.items():
        scores = _cv_scores(rows, metric)
        if not scores:
            continue
        sign = 1 if higher else -1
        best = max(scores, key=lambda k: sign * scores[k].mean())
        entry = _entry(scores, best, higher, cv)
        if _threshold_free(metric):
            entry["rule"] = "any"
        verdict[metric] = entry
    return verdict


def lead_words(significant):
    """How a lead reads: larger than the fold noise when ``significant``
    (its paired test's p-value below :data:`SIGNIFICANCE`), else within it."""
    if significant:
        return "a lead larger than the fold noise"
    return "within the fold noise"


def describe(verdict):
    """The recommendation in words, one line per metric."""
    lines = []
    for metric, e in verdict.items():
        rule = "" if e["rule"] == "any" else f" ({e['rule']} rule)"
        line = (
            f"best {metric_words(metric)}: {e['method']}{rule}, "
            f"CV mean {e['cv_mean']:.3f}"
        )
        if e["runner_up"] is not None:
            other = "" if e["rule"] == "any" else f" ({e['runner_up_rule']})"
            p = "n/a" if np.isnan(e["p_value"]) else f"{e['p_value']:.3g}"
            line += (
                f"; runner-up {e['runner_up']}{other} {e['runner_up_cv_mean']:.3f}"
                f" (paired corrected t-test p = {p}: {lead_words(e['significant'])})"
            )
        lines.append(line)
    return lines


# ---- the recommended model ----------------------------------------------------
#: The file name of the saved model, in the output folder.
MODEL_FILE = "model.skimb"


def pick_for(verdict, rows, metric):
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
    seed = plan.first_seed
    prepared = prepare(plan.task(method, seed, "test"), plan.seeds[seed])
    prepared.fit()
    return prepared.estimator


def _model(method, models, plan):
    if method in models:
        return models[method]
    if (method, plan.first_seed, "test") not in plan.done_keys:
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
    point, first = plan.operating_point, plan.first_seed
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
    model = at_threshold(model, threshold, data.positive, class_frequencies(data.y))
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


def record_verdict(result, models, plan, options, thresholds=None):
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
    pick = pick_for(result.recommendation, rows, options.recommend_for)
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
