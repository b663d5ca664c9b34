"""Every figure skimb draws, in one style.

:func:`save_plots` writes the figures of a comparison and
:func:`plot_critical_difference` the critical difference diagram of a
benchmark. Where scikit-learn has a Display for a figure, it draws it from the
numbers the comparison stored: :class:`~sklearn.metrics.ConfusionMatrixDisplay`
the confusion matrices, :class:`~sklearn.metrics.PrecisionRecallDisplay` the
precision-recall curves and :class:`~sklearn.calibration.CalibrationDisplay`
the reliability diagram.

matplotlib is imported inside the functions, so that ``import skimb`` does not
import it. Figures are :class:`matplotlib.figure.Figure` objects, not pyplot's:
no backend is chosen, nothing is left in pyplot's registry, nothing needs
closing, and a headless machine needs no setting.
"""

import os
from pathlib import Path

import numpy as np
import pandas as pd

from ._utils.validation import check_number
from .evaluation._verdict import RULES, check_rule, rule_label
from .metrics._ranking import _cliques

__all__ = ["plot_critical_difference", "save_plots"]

# The one style of every figure: resolution, legend and title sizes.
_DPI = 110
_LEGEND = {"fontsize": "small"}
_TITLE = {"fontsize": 11}


def _figure(width, height):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="tight")
    return fig, fig.add_subplot()


def _save(fig, path):
    path = Path(os.fspath(path))
    fig.savefig(path, format="png", dpi=_DPI, bbox_inches="tight")
    return path


def _check_rules(rules):
    if rules is None:
        return RULES
    if isinstance(rules, str):
        rules = [rules]
    return tuple(check_rule(r, "rules") for r in rules)


def save_plots(result, output, *, rules=None):
    """Write the comparison's PNG plots into ``output``; return their paths.

    Each method is drawn under each decision rule, named ``'baseline
    (trained)'``, ``'baseline (balanced)'``.

    - ``recall_by_class.png``: per-class recall on the CV folds, grouped by
      method and rule; the majority class is marked and a zero recall shows
      as a thin red bar, not as nothing.
    - ``accuracy_vs_time.png``: balanced accuracy against fit time (log axis
      with plain-number ticks); both rules share their fit's time.
    - ``confusion_<method>_<rule>.png``: the held-out part's confusion
      matrix, normalised per true class (each row is that class's recall),
      with the counts.
    - ``precision_recall.png`` (binary problems): the held-out part's
      precision-recall curve per method, with its average precision (the
      same under both rules).
    - ``reliability.png``: the held-out part's reliability diagram per method
      as trained (positive-class probability for binary problems, top-label
      confidence otherwise).

    Parameters
    ----------
    result : ComparisonResult
        What :func:`skimb.compare` returned (or loaded from its folder).
    output : str or path-like
        The folder, created if missing.
    rules : {'trained', 'balanced'}, list of them, or None, default=None
        The decision rules to draw; None draws both.

    Returns
    -------
    paths : list of Path
        The files written, in the order above; empty when no run succeeded.
    """
    rules = _check_rules(rules)
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    rows = result.rows
    if rows.empty or "balanced_accuracy" not in rows:
        return []
    if "rule" not in rows:
        rows = rows.assign(rule=RULES[0])
    ok = rows[rows["status"] == "ok"]
    cv, test = ok[ok["fold"] != "test"], ok[ok["fold"] == "test"]
    present = set(zip(ok["method"], ok["rule"], strict=True))
    entries = [
        (m, r) for m in result.config["methods"] for r in rules if (m, r) in present
    ]
    classes, config = result.classes, result.config
    positive = config.get("positive")
    figure = _recall_by_class(cv, entries, classes, config.get("majority"))
    paths = [_save(figure, output / "recall_by_class.png")]
    paths.append(_save(_accuracy_vs_time(cv, entries), output / "accuracy_vs_time.png"))
    for method, rule in entries:
        counts = _summed_confusion(_of(test, method, rule))
        if counts is not None:
            figure = _confusion_matrix(counts, classes, rule_label(method, rule))
            paths.append(_save(figure, output / f"confusion_{method}_{rule}.png"))
    test = test[test["rule"] == RULES[0]]  # the curves: the same fit as trained
    methods = list(dict.fromkeys(m for m, _ in entries))
    if positive is not None and "pr_curve" in test:
        test_counts = config.get("test_counts") or {}
        figure = _precision_recall(test, methods, positive, test_counts)
        paths.append(_save(figure, output / "precision_recall.png"))
    if "reliability" in test:
        figure = _reliability(test, methods, binary=positive is not None)
        paths.append(_save(figure, output / "reliability.png"))
    return paths


def _colors(n):
    """``n`` distinct colours: matplotlib's tab10, then tab20."""
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def _of(rows, method, rule):
    return rows[(rows["method"] == method) & (rows["rule"] == rule)]


def _recall_by_class(cv, entries, classes, majority):
    fig, ax = _figure(max(6, 0.9 * len(classes) + 2), 4)
    width = 0.8 / max(1, len(entries))
    x = np.arange(len(classes))
    # One colour per method, its balanced rule hatched and lighter beside it:
    # a method's two bars read as a pair, with no colour repeated.
    methods = list(dict.fromkeys(method for method, _ in entries))
    palette = _colors(len(methods))
    for i, (method, rule) in enumerate(entries):
        m = _of(cv, method, rule)
        means = np.array([m[f"recall_{c}"].astype(float).mean() for c in classes])
        xs = x + i * width - 0.4 + width / 2
        balanced = rule == "balanced"
        ax.bar(
            xs,
            means,
            width,
            label=rule_label(method, rule),
            color=palette[methods.index(method)],
            alpha=0.55 if balanced else 1.0,
            hatch="//" if balanced else None,
            edgecolor="white" if balanced else None,
            linewidth=0,
        )
        zero = np.nan_to_num(means) == 0
        if zero.any():
            ax.bar(xs[zero], 0.015, width, color="red", zorder=3)
    names = [f"{c}\n(majority)" if c == majority else str(c) for c in classes]
    ax.set_xticks(x, names)
    ax.set_xlabel("class (a thin red bar: recall 0)")
    ax.set_ylabel("recall (CV mean)")
    ax.set_ylim(0, 1.05)
    ax.legend(
        ncols=min(4, max(1, len(entries))),
        loc="upper center",
        bbox_to_anchor=(0.5, -0.3),
        **_LEGEND,
    )
    ax.set_title("Per-class recall by method and rule", **_TITLE)
    return fig


def _accuracy_vs_time(cv, entries):
    from matplotlib.ticker import FuncFormatter

    fig, ax = _figure(6.5, 4)
    for method, rule in entries:
        m = _of(cv, method, rule)
        t, b = m["fit_time"].astype(float), m["balanced_accuracy"].astype(float)
        ax.errorbar(
            t.mean(),
            b.mean(),
            xerr=t.std(ddof=0),
            yerr=b.std(ddof=0),
            fmt="o",
            capsize=3,
            label=rule_label(method, rule),
        )
    ax.set_xscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(plain)
    ax.tick_params(axis="x", which="minor", labelsize=7)
    ax.set_xlabel("fit time per fold (s, log scale)")
    ax.set_ylabel("balanced accuracy (CV)")
    ax.legend(**_LEGEND)
    ax.set_title("Balanced accuracy against fit time", **_TITLE)
    return fig


def _summed_confusion(test):
    # The held-out confusion counts of every seed, summed; None without any.
    matrices = [np.asarray(c) for c in test.get("confusion", []) if isinstance(c, list)]
    return np.sum(matrices, axis=0) if matrices else None


def _normalise_rows(counts):
    # Each true class's row divided by its size: the row is that class's
    # recall (scikit-learn's normalize="true"; an empty row stays 0).
    return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)


def _confusion_matrix(counts, classes, method):
    from sklearn.metrics import ConfusionMatrixDisplay

    recall = _normalise_rows(counts)
    small = len(classes) > 6
    fig, ax = _figure(5.5, 4.8)
    display = ConfusionMatrixDisplay(
        recall, display_labels=[str(c) for c in classes]
    ).plot(
        ax=ax,
        cmap="Blues",
        values_format=".2f",
        im_kw={"vmin": 0, "vmax": 1},
        text_kw={"fontsize": 6 if small else 8},
    )
    if not small:  # room for the counts under the fractions
        for (i, j), count in np.ndenumerate(counts):
            display.text_[i, j].set_text(f"{recall[i, j]:.2f}\n({count})")
    display.im_.colorbar.set_label("fraction of the true class")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{method}: held-out part, normalised per true class", **_TITLE)
    return fig


def _first_curve(cells):
    # The first seed's stored curve (a dict); None when no run stored one.
    return next((c for c in cells if isinstance(c, dict)), None)


def _precision_recall(test, methods, positive, test_counts):
    from sklearn.metrics import PrecisionRecallDisplay

    fig, ax = _figure(5.5, 4.5)
    for method in methods:
        rows = test[test["method"] == method]
        curve = _first_curve(rows["pr_curve"])
        if curve is None:
            continue
        ap = rows["average_precision"].astype(float).mean()
        display = PrecisionRecallDisplay(
            np.asarray(curve["precision"]),
            np.asarray(curve["recall"]),
            average_precision=ap,
        ).plot(ax=ax, name=method)
        display.line_.set_label(f"{method} (AP {ap:.3f})")
    total = sum(test_counts.values())
    share = test_counts.get(positive, 0) / total if total else None
    if share:
        ax.axhline(share, color="grey", ls=":", label=f"chance ({share:.3f})")
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.legend(**_LEGEND)
    ax.set_title(f"Precision-recall, positive class {positive!r}", **_TITLE)
    return fig


def _reliability(test, methods, *, binary):
    from sklearn.calibration import CalibrationDisplay

    fig, ax = _figure(5.5, 4.5)
    for method in methods:
        curve = _first_curve(test[test["method"] == method]["reliability"])
        if curve is None or not curve["predicted"]:
            continue
        # The binned points were stored, not the probabilities (y_prob).
        CalibrationDisplay(
            np.asarray(curve["observed"]), np.asarray(curve["predicted"]), None
        ).plot(ax=ax, name=method, marker="o", markersize=3)
    ax.set_xlabel("predicted probability" if binary else "confidence (top class)")
    ax.set_ylabel("observed frequency" if binary else "accuracy")
    ax.legend(**_LEGEND)
    ax.set_title("Reliability on the held-out part", **_TITLE)
    return fig


def plot_critical_difference(ranks, cd, path, title=None):
    """Draw Demšar's critical difference diagram and save it as a PNG.

    Methods hang from a mean-rank axis with 1 (best) at the left. A bar of
    length ``cd`` shows the critical difference, and thick lines join the
    methods whose ranks differ by less, which the Nemenyi test cannot tell
    apart.

    Parameters
    ----------
    ranks : Series
        Mean rank per method, as :func:`skimb.metrics.mean_ranks` returns.
    cd : float > 0
        The critical difference, from
        :func:`skimb.metrics.nemenyi_critical_difference`.
    path : str or path-like
        Where to write the PNG.
    title : str, default=None
        Drawn above the diagram.

    Returns
    -------
    path : Path
        The file written.

    Examples
    --------
    >>> import os, tempfile
    >>> import pandas as pd
    >>> ranks = pd.Series({"a": 1.4, "b": 2.1, "c": 2.5})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = plot_critical_difference(ranks, 0.9, os.path.join(folder, "cd.png"))
    ...     path.read_bytes()[:4]
    b'\\x89PNG'
    """
    if not isinstance(ranks, pd.Series) or len(ranks) < 2:
        raise TypeError(
            "ranks must be a pandas Series of mean ranks indexed by method, with at "
            f"least 2 methods; got {type(ranks).__name__} of length "
            f"{len(ranks) if hasattr(ranks, '__len__') else 'none'}."
        )
    cd = check_number(
        cd,
        "cd",
        min_val=0,
        include_boundaries="neither",
        allowed="a positive real number",
    )
    ranks = ranks.astype(np.float64).sort_values(kind="stable")
    fig = _critical_difference(
        [str(n) for n in ranks.index], ranks.to_numpy(), cd, title
    )
    return _save(fig, path)


def _critical_difference(names, values, cd, title):
    from matplotlib.figure import Figure

    k = len(values)
    cliques = _cliques(values, cd)
    left = (k + 1) // 2  # the better half hangs to the left
    clique_step, label_step = 0.12, 0.28
    label_top = -0.25 - clique_step * len(cliques)
    depth = [label_top - label_step * i for i in range(left)] + [
        label_top - label_step * (k - 1 - i) for i in range(left, k)
    ]
    fig = Figure(figsize=(7, 1.6 + 0.32 * max(left, k - left) + 0.1 * len(cliques)))
    ax = fig.add_axes((0.22, 0.02, 0.56, 0.9 if title is None else 0.82))
    ax.set_axis_off()
    ax.set_xlim(1, max(k, 1 + cd))
    ax.set_ylim(min(depth) - 0.3, 1.0)

    line = {"color": "black", "linewidth": 1, "clip_on": False}
    ax.plot([1, k], [0, 0], **line)
    for tick in range(1, k + 1):
        ax.plot([tick, tick], [0, 0.07], **line)
        ax.text(tick, 0.12, str(tick), ha="center", va="bottom", fontsize=9)
    # The CD bar, from rank 1, above the axis.
    ax.plot([1, 1 + cd], [0.62, 0.62], color="black", linewidth=1.5, clip_on=False)
    for end in (1, 1 + cd):
        ax.plot([end, end], [0.57, 0.67], **line)
    ax.text(1 + cd / 2, 0.7, f"CD = {cd:.2f}", ha="center", va="bottom", fontsize=9)

    for c, (i, j) in enumerate(cliques):
        y = -0.2 - clique_step * c
        ax.plot(
            [values[i] - 0.03, values[j] + 0.03],
            [y, y],
            color="black",
            linewidth=4,
            solid_capstyle="butt",
            clip_on=False,
        )
    for i, (name, value, y) in enumerate(zip(names, values, depth, strict=True)):
        edge = 1 - 0.15 * (k - 1) ** 0.5 if i < left else k + 0.15 * (k - 1) ** 0.5
        ax.plot([value, value, edge], [0, y, y], **line)
        ax.text(
            edge,
            y,
            f" {name} ({value:.2f}) " if i >= left else f"{name} ({value:.2f}) ",
            ha="right" if i < left else "left",
            va="center",
            fontsize=9,
        )
    if title is not None:
        fig.suptitle(title, **_TITLE)
    return fig
