"""Tables and plots of a comparison, and :func:`compare`, the main job.

``compare`` = :func:`skimb.comparison.run_comparison` + the PNG plots; the
``skimb compare`` command only parses options and calls it.
"""

from pathlib import Path

import numpy as np

from .comparison import METRICS, ComparisonResult, run_comparison

__all__ = ["compare", "format_table", "save_plots"]

_COLUMNS = (
    ("balanced_accuracy", "bal. acc", "{:.3f}"),
    ("macro_f1", "macro F1", "{:.3f}"),
    ("geometric_mean", "G-mean", "{:.3f}"),
    ("minority_recall", "minority rec.", "{:.3f}"),
    ("majority_recall", "majority rec.", "{:.3f}"),
    ("fit_time", "fit s", "{:.2f}"),
    ("samples_per_epoch", "samples/epoch", "{:.0f}"),
)
assert {c[0] for c in _COLUMNS} == set(METRICS)


def format_table(result):
    """One row per method, mean ± std over folds and seeds, as a Markdown table.

    Examples
    --------
    >>> import pandas as pd
    >>> from skimb.comparison import ComparisonResult
    >>> rows = pd.DataFrame([{"method": "baseline", "seed": 0, "fold": 0,
    ...     "status": "error", "error": "ValueError: boom"}])
    >>> table = format_table(ComparisonResult(rows, {"methods": ["baseline"]}))
    >>> print(table.splitlines()[0][:41])
    | method | bal. acc | macro F1 | G-mean |
    >>> print(table.splitlines()[-1])
    | baseline | error: ValueError: boom |  |  |  |  |  |  |  |
    """
    summary = result.summary()
    head = ["method", *[c[1] for c in _COLUMNS], "test bal. acc"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, rec in summary.iterrows():
        if np.isnan(rec["balanced_accuracy_mean"]):
            cells = [f"error: {rec['error']}"] + [""] * len(_COLUMNS)
        else:
            cells = []
            for key, _, fmt in _COLUMNS:
                mean, std = rec[f"{key}_mean"], rec[f"{key}_std"]
                cells.append(
                    "n/a"
                    if np.isnan(mean)
                    else f"{fmt.format(mean)} ± {fmt.format(std)}"
                )
            test = rec["test_balanced_accuracy"]
            cells.append("n/a" if np.isnan(test) else f"{test:.3f}")
        name = rec["method"]
        if 0 < rec.get("n_failed", 0) and not np.isnan(rec["balanced_accuracy_mean"]):
            name += f" ({rec['n_failed']}/{rec['n_runs']} runs failed)"
        lines.append("| " + " | ".join([name, *cells]) + " |")
    return "\n".join(lines)


def save_plots(result, output):
    """Write the comparison's PNG plots into ``output``; return their paths.

    ``recall_by_class.png`` (per-class recall on the CV folds, grouped by
    method), ``accuracy_vs_time.png`` (balanced accuracy against fit time) and
    ``confusion_<method>.png`` (confusion matrix on the held-out test part).
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    rows = result.rows
    if rows.empty or "balanced_accuracy" not in rows:
        return []
    ok = rows[rows["status"] == "ok"]
    cv = ok[ok["fold"] != "test"]
    methods = [m for m in result.config["methods"] if m in set(ok["method"])]
    classes = result.classes
    paths = []

    fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(classes) + 2), 4))
    width = 0.8 / max(1, len(methods))
    x = np.arange(len(classes))
    for i, method in enumerate(methods):
        m = cv[cv["method"] == method]
        means = [m[f"recall_{c}"].astype(float).mean() for c in classes]
        ax.bar(x + i * width - 0.4 + width / 2, means, width, label=method)
    ax.set_xticks(x, [str(c) for c in classes])
    ax.set_xlabel("class")
    ax.set_ylabel("recall (CV mean)")
    ax.set_ylim(0, 1.05)
    ax.legend(
        fontsize="small",
        ncols=min(4, max(1, len(methods))),
        loc="upper center",
        bbox_to_anchor=(0.5, -0.15),
    )
    ax.set_title("Per-class recall by method")
    fig.tight_layout()
    paths.append(output / "recall_by_class.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(6, 4))
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
    ax.set_xlabel("fit time per fold (s, log scale)")
    ax.set_ylabel("balanced accuracy (CV)")
    ax.legend(fontsize="small")
    ax.set_title("Balanced accuracy against fit time")
    fig.tight_layout()
    paths.append(output / "accuracy_vs_time.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    test = ok[ok["fold"] == "test"]
    for method in methods:
        mats = [
            np.asarray(c)
            for c in test[test["method"] == method]["confusion"]
            if isinstance(c, list)
        ]
        if not mats:
            continue
        cm = np.sum(mats, axis=0)
        fig, ax = plt.subplots(figsize=(5, 4.5))
        im = ax.imshow(cm, cmap="Blues")
        ax.set_xticks(range(len(classes)), [str(c) for c in classes])
        ax.set_yticks(range(len(classes)), [str(c) for c in classes])
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        for (i, j), v in np.ndenumerate(cm):
            ax.text(
                j,
                i,
                str(v),
                ha="center",
                va="center",
                fontsize=7,
                color="white" if v > cm.max() / 2 else "black",
            )
        fig.colorbar(im, ax=ax)
        ax.set_title(f"{method}: test-part confusion matrix")
        fig.tight_layout()
        paths.append(output / f"confusion_{method}.png")
        fig.savefig(paths[-1], dpi=110)
        plt.close(fig)
    return paths


def compare(dataset="digits", *, plots=True, **options) -> ComparisonResult:
    """Run the comparison and write its files and plots.

    Takes the options of :func:`skimb.comparison.run_comparison`; with
    ``plots=True`` (and an ``output`` folder) the PNG plots are written too.

    Parameters
    ----------
    dataset : str, default='digits'
        A name from :data:`skimb.datasets.DATASETS`.
    plots : bool, default=True
        Also write the plots of :func:`save_plots` into the output folder.
    **options
        The keyword options of :func:`skimb.comparison.run_comparison`.

    Returns
    -------
    ComparisonResult
        ``result.rows`` holds a row per method x seed x fold;
        ``result.summary()`` the per-method means and standard deviations.
    """
    result = run_comparison(dataset, **options)
    if plots and result.output is not None:
        save_plots(result, result.output)
    return result
