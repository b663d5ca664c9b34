"""The result of a comparison: one row per fit, their summary, and its files.

``results.csv`` (one row per method x seed x fold, fold ``'test'`` for the
held-out part), ``summary.csv`` (per method: mean and standard deviation over
the CV folds, and the held-out part's scores) and ``results.json`` (the
configuration, the data set's name and class counts, every row with its
confusion matrix and curves, and the summary). Each file is replaced
atomically, so an interrupted run leaves complete files behind.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._utils.files import atomic_write
from ..metrics._scores import DECISION_METRICS, PROBABILITY_METRICS

__all__ = [
    "CORRECTED_METRICS",
    "METRICS",
    "TEST_METRICS",
    "ComparisonResult",
    "check_output_writable",
    "load_previous",
    "save_result",
]

#: Metrics with a mean and standard deviation over the CV folds.
METRICS = (*DECISION_METRICS, *PROBABILITY_METRICS, "fit_time", "samples_per_epoch")

#: Probability metrics after correcting a net's output to the training prior.
CORRECTED_METRICS = tuple(f"{m}_corrected" for m in ("log_loss", "brier", "ece"))

#: Metrics reported for the held-out test part (mean over seeds).
TEST_METRICS = (
    "balanced_accuracy",
    "macro_f1",
    "average_precision",
    "roc_auc",
    "log_loss",
    "brier",
    "ece",
    *CORRECTED_METRICS,
)

# The parts of the configuration that must match for --resume to reuse rows.
_RESUME_KEYS = ("dataset", "class_counts", "imbalance", "cv", "net", "test_size")


@dataclass
class ComparisonResult:
    """Rows (one per method x seed x fold, fold ``'test'`` for the held-out
    part) and their summary.

    Parameters
    ----------
    rows : pandas.DataFrame
        ``method, seed, fold, status, error``, one column per metric,
        ``recall_<label>`` per class and, on test rows, ``confusion`` (and
        ``pr_curve`` and ``reliability`` where probabilities exist).
    config : dict
        The options the run used, the data set's name and class counts, and
        the positive, majority and minority classes.
    output : pathlib.Path or None
        Where the files were written.
    classes : list
        The class labels, sorted.
    """

    rows: pd.DataFrame
    config: dict
    output: Path | None = None
    classes: list = field(default_factory=list)

    def summary(self):
        """Mean and standard deviation over CV folds (and seeds) per method,
        and the held-out test part's scores (``test_<metric>``), in the order
        the methods were asked for."""
        wanted = [*METRICS, *CORRECTED_METRICS]
        missing = [m for m in wanted if m not in self.rows.columns]
        rows = self.rows.reindex(columns=[*self.rows.columns, *missing])
        ok = rows[rows["status"] == "ok"]
        cv = ok[ok["fold"] != "test"]
        test = ok[ok["fold"] == "test"]
        out = []
        for method in self.config["methods"]:
            mrows = rows[rows["method"] == method]
            if mrows.empty:
                continue
            rec = {"method": method}
            errors = mrows[mrows["status"] == "error"]["error"]
            rec["error"] = errors.iloc[0] if len(errors) else ""
            rec["n_failed"] = int(len(errors))
            rec["n_runs"] = int(len(mrows))
            m_cv = cv[cv["method"] == method]
            for metric in wanted:
                values = pd.to_numeric(m_cv[metric], errors="coerce")
                rec[f"{metric}_mean"] = values.mean()
                rec[f"{metric}_std"] = values.std(ddof=0)
            m_test = test[test["method"] == method]
            for metric in TEST_METRICS:
                rec[f"test_{metric}"] = pd.to_numeric(
                    m_test[metric], errors="coerce"
                ).mean()
            out.append(rec)
        return pd.DataFrame(out)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
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


_CURVES = ["confusion", "pr_curve", "reliability"]


def _save_result(result, output):
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    rows = result.rows
    summary = result.summary()
    atomic_write(
        output / "results.csv",
        rows.drop(columns=_CURVES, errors="ignore").to_csv(index=False),
    )
    atomic_write(output / "summary.csv", summary.to_csv(index=False))
    payload = {
        "config": _jsonable(result.config),
        "dataset": result.config.get("dataset"),
        "class_counts": _jsonable(result.config.get("class_counts")),
        "classes": _jsonable(result.classes),
        "rows": _jsonable(rows.to_dict(orient="records")),
        "summary": _jsonable(summary.to_dict(orient="records")),
    }
    atomic_write(output / "results.json", json.dumps(payload, indent=1))


def load_previous(output, config):
    """The finished rows of an earlier run of the same configuration in
    ``output`` (for ``resume``); a different configuration is an error."""
    path = Path(output) / "results.json"
    if not path.exists():
        return []
    try:
        previous = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"resume: cannot read {path}: {exc}") from None
    old = previous.get("config", {})
    new = _jsonable({k: config.get(k) for k in _RESUME_KEYS})
    if any(old.get(k) != new[k] for k in _RESUME_KEYS):
        differs = [k for k in _RESUME_KEYS if old.get(k) != new[k]]
        raise ValueError(
            f"resume: {path} holds results of another data set or configuration "
            f"(differs in {differs}: { ({k: old.get(k) for k in differs}) }); use a "
            "new --output folder or drop --resume."
        )
    return [r for r in previous.get("rows", []) if r.get("status") == "ok"]
