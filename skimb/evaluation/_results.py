"""The result of a comparison: one row per fit and decision rule, their
summary, the recommendation, and its files.

``results.csv`` (one row per method x rule x seed x fold, fold ``'test'``
for the held-out part), ``summary.csv`` (per method and rule: mean and
standard deviation over the CV folds, and the held-out part's scores) and
``results.json`` (the configuration, the data set's name and class counts,
every row with its confusion matrix and curves, the summary, the
recommendation and the saved model's path). Each file is replaced
atomically, so an interrupted run leaves complete files behind.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._utils.files import atomic_write
from ..metrics._operating_point import POINT_METRICS
from ..metrics._registry import METRICS
from ._scoring import RULES, SCORES, STOP_SCORES, check_rule, fit_key

__all__ = [
    "ComparisonResult",
    "check_output_writable",
    "jsonable",
    "load_previous",
    "save_result",
]

#: What the rows record of a fit, summarised beside the metrics.
_FIT = ("fit_time", "samples_per_epoch", "epochs")


def _columns():
    """The summary's CV columns (a mean and a standard deviation each), then
    its held-out ones, as the table of metrics has them."""
    own = [n for n, m in METRICS.items() if not m.at_data_prior]
    at_prior = [n for n, m in METRICS.items() if m.at_data_prior]
    held_out = [n for n, m in METRICS.items() if m.held_out]
    return [*own, *POINT_METRICS, *_FIT, *at_prior], [*held_out, *POINT_METRICS]


# The parts of the configuration that must match for --resume to reuse rows.
_RESUME_KEYS = (
    "dataset",
    "class_counts",
    "imbalance",
    "cv",
    "net",
    "test_size",
    "preprocessing",
)


@dataclass
class ComparisonResult:
    """Rows (one per method x rule x seed x fold, fold ``'test'`` for the
    held-out part), their summary and the verdict.

    Parameters
    ----------
    rows : pandas.DataFrame
        ``method, rule, seed, fold, status, error``, one column per metric,
        ``recall_<label>`` per class and, on test rows, ``confusion`` (and,
        on the trained rows, ``pr_curve`` and ``reliability`` where
        probabilities exist). ``rule`` is ``'trained'`` or ``'balanced'``;
        ``status`` is ``'ok'``, ``'error'`` or ``'n/a'`` (a balanced row of
        a model without probabilities).
    config : dict
        The options the run used, the data set's name and class counts, and
        the positive, majority and minority classes.
    output : pathlib.Path or None
        Where the files were written.
    classes : list
        The class labels, sorted.
    recommendation : dict
        ``{metric: {"method", "rule", "cv_mean", "runner_up", "p_value",
        ...}}``, as :func:`~skimb.evaluation._verdict.recommend` gives it.
    model : estimator or None
        The recommended model (for ``config["recommend_for"]``), fitted on
        the whole training part, its prior set to the recommended rule,
        with its preprocessing.
    model_path : pathlib.Path or None
        Where the model was saved (``OUTPUT/model.skimb``).
    model_info : dict
        The saved model's ``path``, ``method``, ``rule`` and the metric it
        was ``recommended_for`` (empty without a model).
    """

    rows: pd.DataFrame
    config: dict
    output: Path | None = None
    classes: list = field(default_factory=list)
    recommendation: dict = field(default_factory=dict)
    model: object = None
    model_path: Path | None = None
    model_info: dict = field(default_factory=dict)

    def summary(self, rule=None):
        """Mean and standard deviation over CV folds (and seeds) per method
        and rule, and the held-out test part's scores (``test_<metric>``),
        in the order the methods were asked for, each method's trained row
        first.

        Parameters
        ----------
        rule : {'trained', 'balanced'} or None, default=None
            Only this rule's rows; None gives both.

        Returns
        -------
        pandas.DataFrame
        """
        rules = RULES if rule is None else (check_rule(rule),)
        rows = self.rows
        if "rule" not in rows:
            rows = rows.assign(rule=RULES[0])
        wanted, held_out = _columns()
        missing = [m for m in wanted if m not in rows.columns]
        rows = rows.reindex(columns=[*rows.columns, *missing])
        out = []
        for method in self.config["methods"]:
            for r in rules:
                group = rows[(rows["method"] == method) & (rows["rule"] == r)]
                if not group.empty:
                    out.append(_summary_record(group, method, r, wanted, held_out))
        return pd.DataFrame(out)

    def table(self, wide=False):
        """The leaderboard: one row per method at its better rule, best
        first, as :func:`skimb.compare` prints it (a notebook shows it as a
        table); ``wide=True`` gives every metric of both rules
        (:meth:`summary`).

        Returns
        -------
        pandas.DataFrame
        """
        if wide:
            return self.summary()
        from ._report import leaderboard

        return leaderboard(self)


def _summary_record(group, method, rule, wanted, held_out):
    """One (method, rule)'s summary record."""
    rec = {"method": method, "rule": rule}
    errors = group[group["status"] == "error"]["error"]
    rec["error"] = errors.iloc[0] if len(errors) else ""
    rec["n_failed"] = int(len(errors))
    rec["n_na"] = int((group["status"] == "n/a").sum())
    rec["n_runs"] = int(len(group))
    ok = group[group["status"] == "ok"]
    cv, test = ok[ok["fold"] != "test"], ok[ok["fold"] == "test"]
    for metric in wanted:
        values = pd.to_numeric(cv[metric], errors="coerce")
        rec[f"{metric}_mean"] = values.mean()
        rec[f"{metric}_std"] = values.std(ddof=0)
    for metric in held_out:
        rec[f"test_{metric}"] = pd.to_numeric(test[metric], errors="coerce").mean()
    return rec


def jsonable(value):
    """``value`` with numpy types, tuples and non-finite floats made into
    what ``json`` writes (NaN and infinities as null)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def check_output_writable(output):
    """Create ``output`` and prove a file can be written there, before any work."""
    output = Path(output)
    try:
        output.mkdir(parents=True, exist_ok=True)
        atomic_write(output / ".skimb-write-test", "ok")
        (output / ".skimb-write-test").unlink()
    except OSError as exc:
        raise OSError(
            f"cannot write to the output folder {str(output)!r}: {exc.strerror or exc}."
        ) from exc


def save_result(result, output):
    """Write ``results.csv``, ``summary.csv`` and ``results.json`` atomically.

    A failed write raises ``OSError`` naming the folder; files written earlier
    stay as they were (each is replaced only by a complete new version).
    """
    try:
        _save_result(result, output)
    except OSError as exc:
        raise OSError(
            f"could not write results to {str(output)!r} ({exc.strerror or exc}); "
            "the files written before are intact. Free space or choose another "
            "--output, then rerun with --resume."
        ) from exc


# Kept out of results.csv (nested values); the out-of-fold scores of the
# operating point's thresholds are kept out of every file.
_CURVES = ["confusion", "pr_curve", "reliability"]


def _save_result(result, output):
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    rows = result.rows.drop(columns=[SCORES, STOP_SCORES], errors="ignore")
    summary = result.summary()
    atomic_write(
        output / "results.csv",
        rows.drop(columns=_CURVES, errors="ignore").to_csv(index=False),
    )
    atomic_write(output / "summary.csv", summary.to_csv(index=False))
    payload = {
        "config": jsonable(result.config),
        "dataset": result.config.get("dataset"),
        "class_counts": jsonable(result.config.get("class_counts")),
        "classes": jsonable(result.classes),
        "rows": jsonable(rows.to_dict(orient="records")),
        "summary": jsonable(summary.to_dict(orient="records")),
        "recommendation": jsonable(result.recommendation),
        "model": jsonable(result.model_info) or None,
    }
    atomic_write(output / "results.json", json.dumps(payload, indent=1))


def _finished(rows):
    """The rows of the fits whose every rule's row finished (scored, or n/a)."""
    rules = {}
    for r in rows:
        if r.get("status") in ("ok", "n/a"):
            rules.setdefault(fit_key(r), set()).add(r.get("rule"))
    done = {key for key, found in rules.items() if found >= set(RULES)}
    return [r for r in rows if fit_key(r) in done and r.get("status") in ("ok", "n/a")]


def load_previous(output, config):
    """The finished rows of an earlier run of the same configuration in
    ``output`` (for ``resume``): both rules' rows of each finished fit; a
    different configuration is an error."""
    path = Path(output) / "results.json"
    if not path.exists():
        return []
    try:
        previous = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"resume: cannot read {path}: {exc}") from None
    old = previous.get("config", {})
    new = jsonable({k: config.get(k) for k in _RESUME_KEYS})
    if any(old.get(k) != new[k] for k in _RESUME_KEYS):
        differs = [k for k in _RESUME_KEYS if old.get(k) != new[k]]
        raise ValueError(
            f"resume: {path} holds results of another data set or configuration "
            f"(differs in {differs}: { ({k: old.get(k) for k in differs}) }); use a "
            "new --output folder or drop --resume."
        )
    return _finished(previous.get("rows", []))
