"""The table of a comparison's result, and its verdict in words.

:func:`format_table` prints the per-method and rule summary as Markdown,
headed by the data set, its classes and the positive one;
:func:`format_verdict` the recommendation and how to load the saved model.
The figures are drawn by :func:`skimb.plotting.save_plots`.
"""

import numpy as np

from ._verdict import describe

__all__ = ["NOTE", "format_table", "format_verdict"]

#: What the rule column means, printed under the table.
NOTE = (
    "rule: 'trained' scores each model as it predicts; 'balanced' scores the "
    "same fit with its probabilities moved to equal class priors (no refit). "
    "AP and ROC-AUC are threshold-free: the same under both rules. The "
    "(train prior) column is the trained net's output moved to the training "
    "prior."
)

# How the verdict names the deciding metrics.
_METRIC_NAMES = {
    "balanced_accuracy": "balanced accuracy",
    "average_precision": "AP",
    "log_loss": "log loss",
}

# (summary key, heading, format); CV columns are mean ± std, test ones means.
_CV_COLUMNS = (
    ("balanced_accuracy", "bal. acc", "{:.3f}"),
    ("macro_f1", "macro F1", "{:.3f}"),
    ("geometric_mean", "G-mean", "{:.3f}"),
    ("minority_recall", "minority rec.", "{:.3f}"),
    ("majority_recall", "majority rec.", "{:.3f}"),
    ("average_precision", "AP", "{:.3f}"),
    ("roc_auc", "ROC-AUC", "{:.3f}"),
    ("log_loss", "log loss", "{:.3f}"),
    ("fit_time", "fit s", "{:.2f}"),
    ("epochs", "epochs", "{:.1f}"),
)
_TEST_COLUMNS = (
    ("balanced_accuracy", "test bal. acc"),
    ("average_precision", "test AP"),
    ("log_loss", "test log loss"),
    ("brier", "test Brier"),
    ("log_loss_corrected", "test log loss (train prior)"),
)


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
    head = [
        "method",
        "rule",
        *[c[1] for c in _CV_COLUMNS],
        *[c[1] for c in _TEST_COLUMNS],
    ]
    lines = []
    if heading:
        lines += [_heading(result.config), ""]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, rec in summary.iterrows():
        cells = _cells(rec, len(head) - 2)
        name = rec["method"]
        if 0 < rec.get("n_failed", 0) and len(cells[0]) and "error" not in cells[0]:
            name += f" ({rec['n_failed']}/{rec['n_runs']} runs failed)"
        lines.append("| " + " | ".join([name, rec["rule"], *cells]) + " |")
    return "\n".join([*lines, "", NOTE])


def _cells(rec, n_cells):
    """The metric cells of one summary record."""
    if rec.get("n_na", 0) and rec["n_na"] == rec["n_runs"]:
        return ["n/a"] * n_cells  # no probabilities to move
    if np.isnan(rec["balanced_accuracy_mean"]) and np.isnan(
        rec["test_balanced_accuracy"]
    ):
        return [f"error: {rec['error']}"] + [""] * (n_cells - 1)
    cells = []
    for key, _, fmt in _CV_COLUMNS:
        mean, std = rec[f"{key}_mean"], rec[f"{key}_std"]
        cells.append(
            "n/a" if np.isnan(mean) else f"{fmt.format(mean)} ± {fmt.format(std)}"
        )
    for key, _ in _TEST_COLUMNS:
        value = rec[f"test_{key}"]
        cells.append("n/a" if np.isnan(value) else f"{value:.3f}")
    return cells


def format_verdict(result):
    """The recommendation under the table, in words, and the two lines that
    load and use the saved model.

    Parameters
    ----------
    result : ComparisonResult

    Returns
    -------
    str
        Empty when there is nothing to recommend.
    """
    lines = []
    if result.recommendation:
        lines.append(
            "Recommendation (CV means; the lead over the runner-up tested over "
            "the same folds and seeds):"
        )
        lines += [
            f"- {line}" for line in describe(result.recommendation, _METRIC_NAMES)
        ]
    info = result.model_info
    if info:
        what = (
            f"{info['method']} ({info['rule']} rule), recommended for "
            f"{_METRIC_NAMES.get(info['recommended_for'], info['recommended_for'])}"
        )
        steps = getattr(result.model, "named_steps", {})
        fitted = "fitted on the whole training part" + (
            " with its preprocessing" if "preprocess" in steps else ""
        )
        if info.get("path"):
            lines += [
                "",
                f"The recommended model, {what}, {fitted}, is saved to {info['path']}:",
                "",
                "    import skimb",
                f'    model = skimb.load("{info["path"]}")',
                "    model.predict(X_new)  # X_new: rows with the training columns",
            ]
        else:
            lines += ["", f"The recommended model, {what}, {fitted}: result.model"]
    return "\n".join(lines)
