"""Tables and plots of a comparison's result.

:func:`format_table` prints the per-method summary as Markdown, headed by the
data set, its classes and the positive one; :func:`save_plots` writes the
PNG figures (per-class recall, balanced accuracy against fit time, confusion
matrices normalised per true class, and for binary problems the
precision-recall curves; reliability diagrams for every problem).
"""

from pathlib import Path

import numpy as np

__all__ = ["format_table", "save_plots"]

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
    >>> rows = pd.DataFrame([{"method": "baseline", "seed": 0, "fold": 0,
    ...     "status": "error", "error": "ValueError: boom"}])
    >>> result = ComparisonResult(rows, {"methods": ["baseline"]})
    >>> table = format_table(result, heading=False)
    >>> print(table.splitlines()[0][:41])
    | method | bal. acc | macro F1 | G-mean |
    >>> print(table.splitlines()[-1].split(" | ")[1])
    error: ValueError: boom
    """
    summary = result.summary()
    head = ["method", *[c[1] for c in _CV_COLUMNS], *[c[1] for c in _TEST_COLUMNS]]
    lines = []
    if heading:
        lines += [_heading(result.config), ""]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    n_cells = len(head) - 1
    for _, rec in summary.iterrows():
        if np.isnan(rec["balanced_accuracy_mean"]) and np.isnan(
            rec["test_balanced_accuracy"]
        ):
            cells = [f"error: {rec['error']}"] + [""] * (n_cells - 1)
        else:
            cells = []
            for key, _, fmt in _CV_COLUMNS:
                mean, std = rec[f"{key}_mean"], rec[f"{key}_std"]
                cells.append(
                    "n/a"
                    if np.isnan(mean)
                    else f"{fmt.format(mean)} ± {fmt.format(std)}"
                )
            for key, _ in _TEST_COLUMNS:
                value = rec[f"test_{key}"]
                cells.append("n/a" if np.isnan(value) else f"{value:.3f}")
        name = rec["method"]
        if 0 < rec.get("n_failed", 0) and len(cells[0]) and "error" not in cells[0]:
            name += f" ({rec['n_failed']}/{rec['n_runs']} runs failed)"
        lines.append("| " + " | ".join([name, *cells]) + " |")
    return "\n".join(lines)


def _save(fig, path, paths):
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    paths.append(path)


def save_plots(result, output):
    """Write the comparison's PNG plots into ``output``; return their paths.

    - ``recall_by_class.png``: per-class recall on the CV folds, grouped by
      method; the majority class is marked and a zero recall shows as a thin
      red bar, not as nothing.
    - ``accuracy_vs_time.png``: balanced accuracy against fit time (log axis
      with plain-number ticks).
    - ``confusion_<method>.png``: the held-out part's confusion matrix,
      normalised per true class (each row is that class's recall), with the
      counts.
    - ``precision_recall.png`` (binary problems): the held-out part's
      precision-recall curve per method, with its average precision.
    - ``reliability.png``: the held-out part's reliability diagram per method
      (positive-class probability for binary problems, top-label confidence
      otherwise).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    rows = result.rows
    if rows.empty or "balanced_accuracy" not in rows:
        return []
    ok = rows[rows["status"] == "ok"]
    cv = ok[ok["fold"] != "test"]
    test = ok[ok["fold"] == "test"]
    methods = [m for m in result.config["methods"] if m in set(ok["method"])]
    classes = result.classes
    majority = result.config.get("majority")
    paths = []

    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(classes) + 2), 4))
    width = 0.8 / max(1, len(methods))
    x = np.arange(len(classes))
    for i, method in enumerate(methods):
        m = cv[cv["method"] == method]
        means = np.array([m[f"recall_{c}"].astype(float).mean() for c in classes])
        xs = x + i * width - 0.4 + width / 2
        ax.bar(xs, means, width, label=method)
        zero = np.nan_to_num(means) == 0
        if zero.any():
            ax.bar(xs[zero], 0.015, width, color="red", zorder=3)
    names = [f"{c}\n(majority)" if c == majority else str(c) for c in classes]
    ax.set_xticks(x, names)
    ax.set_xlabel("class (a thin red bar: recall 0)")
    ax.set_ylabel("recall (CV mean)")
    ax.set_ylim(0, 1.05)
    ax.legend(
        fontsize="small",
        ncols=min(4, max(1, len(methods))),
        loc="upper center",
        bbox_to_anchor=(0.5, -0.3),
    )
    ax.set_title("Per-class recall by method")
    _save(fig, output / "recall_by_class.png", paths)

    fig, ax = plt.subplots(figsize=(6.5, 4))
    for method in methods:
        m = cv[cv["method"] == method]
        t, b = m["fit_time"].astype(float), m["balanced_accuracy"].astype(float)
        ax.errorbar(
            t.mean(),
            b.mean(),
            xerr=t.std(ddof=0),
            yerr=b.std(ddof=0),
            fmt="o",
            capsize=3,
            label=method,
        )
    ax.set_xscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(plain)
    ax.tick_params(axis="x", which="minor", labelsize=7)
    ax.set_xlabel("fit time per fold (s, log scale)")
    ax.set_ylabel("balanced accuracy (CV)")
    ax.legend(fontsize="small")
    ax.set_title("Balanced accuracy against fit time")
    _save(fig, output / "accuracy_vs_time.png", paths)

    for method in methods:
        mats = [
            np.asarray(c)
            for c in test[test["method"] == method].get("confusion", [])
            if isinstance(c, list)
        ]
        if not mats:
            continue
        cm = np.sum(mats, axis=0)
        recall = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
        fig, ax = plt.subplots(figsize=(5.5, 4.8))
        im = ax.imshow(recall, cmap="Blues", vmin=0, vmax=1)
        ax.set_xticks(range(len(classes)), [str(c) for c in classes])
        ax.set_yticks(range(len(classes)), [str(c) for c in classes])
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        small = len(classes) > 6
        for (i, j), v in np.ndenumerate(cm):
            ax.text(
                j,
                i,
                f"{recall[i, j]:.2f}" + ("" if small else f"\n({v})"),
                ha="center",
                va="center",
                fontsize=6 if small else 8,
                color="white" if recall[i, j] > 0.5 else "black",
            )
        fig.colorbar(im, ax=ax, label="fraction of the true class")
        ax.set_title(f"{method}: held-out part, normalised per true class")
        _save(fig, output / f"confusion_{method}.png", paths)

    if result.config.get("positive") is not None and "pr_curve" in test:
        fig, ax = plt.subplots(figsize=(5.5, 4.5))
        for method in methods:
            curves = test[test["method"] == method]["pr_curve"]
            curve = next((c for c in curves if isinstance(c, dict)), None)
            if curve is None:
                continue
            ap = test[test["method"] == method]["average_precision"].astype(float)
            ax.step(
                curve["recall"],
                curve["precision"],
                where="post",
                label=f"{method} (AP {ap.mean():.3f})",
            )
        counts = result.config.get("test_counts") or {}
        total = sum(counts.values())
        share = counts.get(result.config["positive"], 0) / total if total else None
        if share:
            ax.axhline(share, color="grey", ls=":", label=f"chance ({share:.3f})")
        ax.set_xlabel("recall")
        ax.set_ylabel("precision")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize="small")
        ax.set_title(f"Precision-recall, positive class {result.config['positive']!r}")
        _save(fig, output / "precision_recall.png", paths)

    if "reliability" in test:
        fig, ax = plt.subplots(figsize=(5.5, 4.5))
        ax.plot([0, 1], [0, 1], color="grey", ls=":", label="calibrated")
        for method in methods:
            curves = test[test["method"] == method]["reliability"]
            curve = next((c for c in curves if isinstance(c, dict)), None)
            if curve is None or not curve["predicted"]:
                continue
            ax.plot(curve["predicted"], curve["observed"], "o-", ms=3, label=method)
        binary = result.config.get("positive") is not None
        ax.set_xlabel("predicted probability" if binary else "confidence (top class)")
        ax.set_ylabel("observed frequency" if binary else "accuracy")
        ax.legend(fontsize="small")
        ax.set_title("Reliability on the held-out part")
        _save(fig, output / "reliability.png", paths)
    return paths
