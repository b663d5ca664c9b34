"""The table of a comparison's result, and its verdict in words.

:func:`format_table` prints the per-method and rule summary as Markdown,
headed by the data set, its classes and the positive one;
:func:`format_verdict` the recommendation and how to load the saved model.
The figures are drawn by :func:`skimb.plotting.save_plots`.
"""

import textwrap

import numpy as np
from tabulate import tabulate

from ..metrics._registry import METRICS, metric_words
from ._methods import METHODS
from ._verdict import SIGNIFICANCE, describe, lead_words, standings

__all__ = [
    "NOTE",
    "WIDTH",
    "format_leaderboard",
    "format_table",
    "format_verdict",
    "leaderboard",
]

#: What the rule column means, printed under the table.
NOTE = (
    "rule: 'trained' scores each model as it predicts; 'balanced' scores the "
    "same fit with its probabilities moved to equal class priors (no refit). "
    "AP and ROC-AUC are threshold-free: the same under both rules. The "
    "(train prior) column is the trained net's output moved to the training "
    "prior."
)

# The fit's own columns of the wide table, after the metrics' CV columns.
_FIT_COLUMNS = (("fit_time", "fit s", "{:.2f}"), ("epochs", "epochs", "{:.1f}"))


def _wide_columns():
    """``(summary key, heading, format)`` of the wide table's CV columns
    (mean ± std), and ``(summary key, heading)`` of its held-out ones: the
    metrics the table of metrics shows there."""
    cv = [(n, m.label, "{:.3f}") for n, m in METRICS.items() if "cv" in m.shown]
    test = [(n, f"test {m.label}") for n, m in METRICS.items() if "test" in m.shown]
    return [*cv, *_FIT_COLUMNS], test


def _heading(config):
    parts = [f"data set: {config.get('dataset', '?')}"]
    counts = config.get("class_counts")
    recipe = (config.get("imbalance") or {}).get("recipe", "none")
    if recipe != "none" and config.get("trained_counts"):
        counts = config["trained_counts"]
        what = f"training classes after the {recipe!r} recipe"
        if len(config.get("seeds", ())) > 1:
            what += " (first seed)"
    else:
        what = "training classes"
    if counts:
        parts.append(f"{what}: " + ", ".join(f"{c}: {n}" for c, n in counts.items()))
    if config.get("positive") is not None:
        parts.append(f"positive class: {config['positive']!r}")
    if config.get("majority") is not None:
        parts.append(f"majority: {config['majority']!r}")
    minority = config.get("minority")
    if minority:
        parts.append(f"minority: {', '.join(map(repr, minority))}")
    return "; ".join(parts)


def format_table(result, *, heading=True):
    """One row per method, mean ± std over CV folds and seeds, and the held-out
    part's main scores, as a Markdown table.

    Examples
    --------
    >>> import pandas as pd
    >>> from skimb.evaluation import ComparisonResult
    >>> rows = pd.DataFrame([{"method": "baseline", "rule": "trained", "seed": 0,
    ...     "fold": 0, "status": "error", "error": "ValueError: boom"}])
    >>> result = ComparisonResult(rows, {"methods": ["baseline"]})
    >>> table = format_table(result, heading=False)
    >>> print(table.splitlines()[0][:48])
    | method | rule | bal. acc | macro F1 | G-mean |
    >>> print(table.splitlines()[2].split(" | ")[2])
    error: ValueError: boom
    """
    summary = result.summary()
    columns = _wide_columns()
    head = ["method", "rule", *[c[1] for part in columns for c in part]]
    lines = []
    if heading:
        lines += [_heading(result.config), ""]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, rec in summary.iterrows():
        cells = _cells(rec, columns)
        name = rec["method"]
        if 0 < rec.get("n_failed", 0) and len(cells[0]) and "error" not in cells[0]:
            name += f" ({rec['n_failed']}/{rec['n_runs']} runs failed)"
        lines.append("| " + " | ".join([name, rec["rule"], *cells]) + " |")
    return "\n".join([*lines, "", NOTE])


def _cells(rec, columns):
    """The metric cells of one summary record, in ``columns``
    (:func:`_wide_columns`)."""
    cv_columns, test_columns = columns
    n_cells = len(cv_columns) + len(test_columns)
    if rec.get("n_na", 0) and rec["n_na"] == rec["n_runs"]:
        return ["n/a"] * n_cells  # no probabilities to move
    if np.isnan(rec["balanced_accuracy_mean"]) and np.isnan(
        rec["test_balanced_accuracy"]
    ):
        return [f"error: {rec['error']}"] + [""] * (n_cells - 1)
    cells = []
    for key, _, fmt in cv_columns:
        mean, std = rec[f"{key}_mean"], rec[f"{key}_std"]
        cells.append(
            "n/a" if np.isnan(mean) else f"{fmt.format(mean)} ± {fmt.format(std)}"
        )
    for key, _ in test_columns:
        value = rec[f"test_{key}"]
        cells.append("n/a" if np.isnan(value) else f"{value:.3f}")
    return cells


# (summary key, heading) of the decision columns at a threshold, held out.
_AT_POINT = (
    ("precision_at", "prec."),
    ("recall_at", "recall"),
    ("alert_rate_at", "alerts"),
)


def _point_scores(result):
    """``(summary key, heading)`` of the operating point's own score: its
    F-score (``F1``, ``F2``, ...) or its cost per row."""
    kind, text = _point(result)
    if kind == "f1":
        return [("fbeta_at", "F1")]
    if kind == "fbeta":
        return [("fbeta_at", f"F{float(text.partition('=')[2]):g}")]
    return [("cost_at", "cost")]


#: The leaderboard's width limit, in characters.
WIDTH = 100


def _pm(mean, std):
    if np.isnan(mean):
        return "n/a"
    return f"{mean:.3f}±{std:.3f}"


def _num(value, fmt="{:.3f}"):
    return "n/a" if value is None or np.isnan(value) else fmt.format(value)


def _point(result):
    """``(kind, text)`` of the run's operating point (``'balanced'`` for a
    result without one)."""
    text = str(result.config.get("operating_point") or "balanced")
    return text.partition("=")[0], text


def _thresholded(result):
    return result.config.get("positive") is not None and _point(result)[0] != (
        "balanced"
    )


def leaderboard(result):
    """The comparison at a glance: one row per method at its better rule,
    best first by the ranked metric (``recommend_for``).

    Columns: the rank (``~`` marks a lead of the first within the fold
    noise: paired corrected t-test p >= 0.05), the method, its rule (where
    the rule decides), the CV mean ± standard deviation of average
    precision and the CV ROC-AUC; then the held-out part's scores: at a
    threshold (binary operating points) its precision, recall, alert rate
    and F-score or cost, where the saved model decides; under the balanced
    rule (multiclass) its balanced accuracy and macro F1; and the seconds
    of a fit.

    Returns
    -------
    pandas.DataFrame
        Text cells, as printed.
    """
    import pandas as pd

    metric = result.config.get("recommend_for") or "average_precision"
    cv = result.config.get("cv", 5)
    thresholded = _thresholded(result)
    summary = result.summary()
    table = []
    placed = standings(result.rows, metric, cv=cv) if not result.rows.empty else []
    for i, entry in enumerate(placed):
        rec = summary[
            (summary["method"] == entry["method"]) & (summary["rule"] == entry["rule"])
        ].iloc[0]
        tied = i > 0 and not entry["p_value"] < SIGNIFICANCE
        row = {"#": f"{i + 1}{'~' if tied else ''}", "method": entry["method"]}
        if not thresholded:
            row["rule"] = entry["rule"]
        row["AP (CV)"] = _pm(
            rec["average_precision_mean"], rec["average_precision_std"]
        )
        row["ROC-AUC"] = _num(rec["roc_auc_mean"])
        row["AP"] = _num(rec["test_average_precision"])
        if thresholded:
            for key, heading in _AT_POINT:
                fmt = "{:.1%}" if key == "alert_rate_at" else "{:.3f}"
                row[heading] = _num(rec[f"test_{key}"], fmt)
            for key, heading in _point_scores(result):
                if not np.isnan(rec[f"test_{key}"]):
                    row[heading] = _num(rec[f"test_{key}"])
        else:
            row["bal. acc"] = _num(rec["test_balanced_accuracy"])
            row["macro F1"] = _num(rec["test_macro_f1"])
            if not np.isnan(rec["test_cost_at"]):
                row["cost"] = _num(rec["test_cost_at"])
        row["fit s"] = _num(rec["fit_time_mean"], "{:.2f}")
        table.append(row)
    ranked = {e["method"] for e in placed}
    for _, rec in summary.iterrows():
        if rec["method"] not in ranked and rec["rule"] == "trained":
            table.append(
                {
                    "#": "-",
                    "method": rec["method"],
                    "AP (CV)": f"failed: {rec['error']}",
                }
            )
            ranked.add(rec["method"])
    return pd.DataFrame(table).fillna("")


def _caption(result):
    kind, text = _point(result)
    metric = result.config.get("recommend_for") or "average_precision"
    lines = [
        f"Ranked by CV {metric_words(metric)}; ~: within the fold noise of the "
        "first (paired corrected t-test p >= 0.05).",
    ]
    if _thresholded(result):
        lines.append(
            f"Held out (AP, prec., recall, alerts, F/cost) at {text}: the fit on the "
            "whole training part at its threshold, chosen on rows it did not train "
            "on (a net's own early-stopping rows, else the folds' out-of-fold "
            "scores)."
        )
    elif kind == "balanced":
        lines.append(
            "Held out (AP, bal. acc, macro F1): the fit on the whole training part "
            "under its rule (balanced: probabilities moved to equal class priors)."
        )
    else:
        lines.append(
            "Held out (AP, bal. acc, macro F1, cost per row): the fit on the whole "
            "training part; cost: its least-expected-cost decisions."
        )
    return lines


def format_leaderboard(result, *, heading=True):
    """The leaderboard (:func:`leaderboard`) as text within :data:`WIDTH`
    characters, with its caption."""
    table = leaderboard(result)
    lines = [_wrap(_heading(result.config)), ""] if heading else []
    failed = table[table["#"] == "-"]
    table = table[table["#"] != "-"]
    body = _columns(table)
    lines.append(body)
    for _, row in failed.iterrows():  # under the table: an error is long
        text = f"{row['method']} {row['AP (CV)']}"
        lines.append(text if len(text) <= WIDTH else text[: WIDTH - 3] + "...")
    lines += ["", *map(_wrap, _caption(result))]
    return "\n".join(lines)


def _columns(table):
    """``table`` as aligned text: a header, dashes, the rows; text columns
    to the left, numbers to the right, two spaces apart."""
    right = [i >= 3 and c != "rule" for i, c in enumerate(table.columns)]
    cells = [list(map(str, table.columns))] + table.astype(str).values.tolist()
    return aligned(cells, right, "simple")


def aligned(cells, right, tablefmt):
    """``cells`` (the header first) as tabulate's ``tablefmt`` lays them out,
    each column as wide as its widest cell, those flagged in ``right`` to the
    right.

    tabulate pads a header two spaces beyond its column, which would push the
    leaderboard and the benchmark's ranks past :data:`WIDTH`: the header goes
    in as the first row, and the rule tabulate draws above a table without
    one is moved under it (the rule it draws below, if any, dropped).
    """
    rule, head, *rows = tabulate(
        cells,
        tablefmt=tablefmt,
        disable_numparse=True,
        colalign=["right" if r else "left" for r in right],
    ).splitlines()
    if rows and rows[-1] == rule:
        rows = rows[:-1]
    return "\n".join(line.rstrip() for line in [head, rule, *rows])


def _wrap(text, indent=""):
    return textwrap.fill(text, WIDTH, subsequent_indent=indent, break_on_hyphens=False)


_FAMILIES = {"net": "a net", "trees": "a tree ensemble", "linear": "a linear model"}


def _p(p):
    return "n/a" if np.isnan(p) else f"{p:.2g}"


def _kinds_line(result, metric):
    """Whether a net or another kind of model leads, and by how much."""
    placed = standings(result.rows, metric, cv=result.config.get("cv", 5))
    if not placed:
        return None
    family = {e["method"]: _family(e["method"]) for e in placed}
    first = placed[0]
    other = next(
        (
            e
            for e in placed
            if (family[e["method"]] == "net") != (family[first["method"]] == "net")
        ),
        None,
    )
    if other is None:
        return None
    p = other["p_value"]  # the paired test against the first
    scored = (
        f"has CV {metric_words(metric)} {other['cv_mean']:.3f} "
        f"(p = {_p(p)}: {lead_words(p < SIGNIFICANCE)})"
    )
    if family[first["method"]] == "net":
        return (
            f"a net leads: {first['method']}; the best other model, "
            f"{other['method']} ({_FAMILIES[family[other['method']]]}), {scored}"
        )
    return (
        f"{_FAMILIES[family[first['method']]]} leads every net: "
        f"{first['method']}; the best net, {other['method']}, {scored}"
    )


def _family(method):
    return METHODS[method].family if method in METHODS else "net"


def _decision_line(result, info):
    """The saved model's decisions on the held-out part, as the table has
    them."""
    summary = result.summary()
    rule = info["rule"] if info["rule"] in ("trained", "balanced") else "trained"
    rec = summary[(summary["method"] == info["method"]) & (summary["rule"] == rule)]
    if rec.empty:
        return None
    rec = rec.iloc[0]
    if info["rule"] == "threshold":
        parts = [
            f"precision {_num(rec['test_precision_at'])}",
            f"recall {_num(rec['test_recall_at'])}",
            f"alerts {_num(rec['test_alert_rate_at'], '{:.1%}')} of the rows",
        ]
        for key, heading in _point_scores(result):
            if not np.isnan(rec[f"test_{key}"]):
                parts.append(f"{heading} {_num(rec[f'test_{key}'])}")
        return (
            f"at {info['operating_point']} on the held-out part: "
            + ", ".join(parts)
            + f" (threshold {info['threshold']:.4g}, chosen on rows it did not "
            "train on)"
        )
    return (
        f"under the {rule} rule on the held-out part: balanced accuracy "
        f"{_num(rec['test_balanced_accuracy'])}, macro F1 "
        f"{_num(rec['test_macro_f1'])}"
    )


def format_verdict(result):
    """The recommendation under the table, in words: the best method by the
    ranked metric and the runner-up's paired test, whether a net or another
    kind of model leads, the decisions of the saved model at the operating
    point, the other metrics' best, and the lines that load, use and move
    the saved model.

    Parameters
    ----------
    result : ComparisonResult

    Returns
    -------
    str
        Empty when there is nothing to recommend.
    """
    lines = []
    verdict = result.recommendation
    metric = result.config.get("recommend_for") or "average_precision"
    info = result.model_info
    if verdict:
        lines.append(
            "Verdict (CV means; each lead tested over the same folds and seeds):"
        )
        first = {metric: verdict[metric]} if metric in verdict else {}
        lines += [_wrap(f"- {line}", "  ") for line in describe(first)]
        kinds = _kinds_line(result, metric) if first else None
        if kinds:
            lines.append(_wrap(f"- {kinds}", "  "))
        decided = _decision_line(result, info) if info else None
        if decided:
            lines.append(_wrap(f"- {info['method']} {decided}", "  "))
        rest = {k: v for k, v in verdict.items() if k != metric}
        if rest:
            also = "- also: " + "; ".join(
                f"best {metric_words(k)}: {v['method']}"
                + ("" if v["rule"] == "any" else f" ({v['rule']})")
                + f" {v['cv_mean']:.3f}"
                for k, v in rest.items()
            )
            lines.append(_wrap(also, "  "))
    if not info:
        return "\n".join(lines)
    if info["rule"] == "threshold":
        how = f"deciding at {info['operating_point']}"
    else:
        how = f"under the {info['rule']} rule"
    steps = getattr(result.model, "named_steps", None) or getattr(
        getattr(result.model, "estimator", None), "named_steps", {}
    )
    fitted = "fitted on the whole training part" + (
        " with its preprocessing" if "preprocess" in steps else ""
    )
    what = f"{info['method']} ({how})"
    where = f'skimb.load("{info["path"]}")' if info.get("path") else "result.model"
    if info.get("path"):
        saved = f"The recommended model, {what}, {fitted}, is saved to {info['path']}:"
    else:
        saved = f"The recommended model, {what}, {fitted}: result.model"
    lines += ["", _wrap(saved)]
    lines += ["", "    import skimb", f"    model = {where}"]
    lines.append(
        "    model.predict(X_new)        # X_new: rows with the training columns"
    )
    if info["rule"] == "threshold":
        lines += [
            "    model.predict_proba(X_new)  # probabilities at "
            + (
                "equal class priors (trained balanced)"
                if info.get("proba_prior") == "balanced"
                else "the data's own class prior"
            ),
            f"    model.set_params(threshold={info['threshold']:.4g})  # moves the "
            "point, no refit: higher flags fewer",
        ]
    return "\n".join(lines)
