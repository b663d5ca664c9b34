"""Run imbalance-handling methods side by side under stratified cross-validation.

Every method trains the same net (same epochs, batch size, learning rate,
width and seed); only the way it handles the imbalance differs. Folds run in
parallel through joblib, on a Dask distributed cluster when asked. Results are
written atomically after each method, so an interrupted run keeps what
finished and ``resume=True`` picks up the rest.
"""

import contextlib
import json
import os
import signal
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from imblearn.metrics import geometric_mean_score
from imblearn.over_sampling import ADASYN, SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    recall_score,
)
from sklearn.model_selection import StratifiedKFold
from tqdm.auto import tqdm

from .datasets import DATASETS, check_imbalance_options, load_dataset, make_imbalanced
from .estimators import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier
from .losses import FocalLoss, LDAMLoss, LogitAdjustedLoss

__all__ = [
    "DEFAULT_METHODS",
    "METHODS",
    "ComparisonResult",
    "check_compare_options",
    "run_comparison",
]

METRICS = (
    "balanced_accuracy",
    "macro_f1",
    "geometric_mean",
    "minority_recall",
    "majority_recall",
    "fit_time",
    "samples_per_epoch",
)


def _neighbors(y, wanted=5):
    # SMOTE/ADASYN need k < the smallest class; cap k rather than fail a fold.
    return max(
        1, min(wanted, int(np.bincount(np.unique(y, return_inverse=True)[1]).min()) - 1)
    )


def _resampled(sampler):
    def build(net, y, seed):
        return Pipeline([("resample", sampler(y, seed)), ("net", NetClassifier(**net))])

    return build


METHODS = {
    "baseline": lambda net, y, seed: NetClassifier(**net),
    "weighted-loss": lambda net, y, seed: WeightedLossClassifier(**net),
    "weighted-sampler": lambda net, y, seed: WeightedSamplerClassifier(**net),
    "random-over": _resampled(lambda y, s: RandomOverSampler(random_state=s)),
    "smote": _resampled(lambda y, s: SMOTE(k_neighbors=_neighbors(y), random_state=s)),
    "random-under": _resampled(lambda y, s: RandomUnderSampler(random_state=s)),
    "adasyn": _resampled(
        lambda y, s: ADASYN(n_neighbors=_neighbors(y), random_state=s)
    ),
    "logreg-balanced": lambda net, y, seed: LogisticRegression(
        class_weight="balanced", max_iter=2000, random_state=seed
    ),
    # Long-tail methods.
    "effective-number": lambda net, y, seed: WeightedLossClassifier(
        class_weight="effective", **net
    ),
    "sqrt-sampler": lambda net, y, seed: WeightedSamplerClassifier(
        class_weight="sqrt", **net
    ),
    "progressive-sampler": lambda net, y, seed: WeightedSamplerClassifier(
        schedule="progressive", **net
    ),
    # tau = 1: logit adjustment (Menon et al.), identical to Balanced Softmax.
    "logit-adjusted": lambda net, y, seed: WeightedLossClassifier(
        criterion=LogitAdjustedLoss, class_weight=None, **net
    ),
    "focal": lambda net, y, seed: WeightedLossClassifier(
        criterion=FocalLoss, class_weight="balanced", **net
    ),
    # SimpleNet's logits are not cosine-normalised, so LDAM's scale s is 1, not
    # the 30 of Cao et al.; DRW switches effective-number weights on at 80 %.
    "ldam-drw": lambda net, y, seed: WeightedLossClassifier(
        criterion=LDAMLoss,
        criterion__s=1.0,
        class_weight="effective",
        reweight_epoch=int(0.8 * net["max_epochs"]),
        **net,
    ),
    "posthoc-la": lambda net, y, seed: NetClassifier(posthoc_tau=1.0, **net),
}
"""Method name -> ``build(net_params, y_train, seed)`` -> an unfitted estimator."""

DEFAULT_METHODS = (
    "baseline",
    "weighted-loss",
    "weighted-sampler",
    "random-over",
    "smote",
    "random-under",
)


def check_compare_options(*, dataset, methods, cv, seeds, imbalance):
    """Validate the comparison's options before any work starts.

    Raises ``ValueError`` naming the option, the allowed values and what was
    received.
    """
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {list(DATASETS)}; got {dataset!r}.")
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(
            f"methods must be a non-empty subset of {list(METHODS)}; got "
            f"{list(methods)!r}" + (f" (unknown: {unknown})." if unknown else ".")
        )
    if isinstance(cv, bool) or not isinstance(cv, (int, np.integer)) or cv < 2:
        raise ValueError(f"cv must be an integer >= 2; got {cv!r}.")
    if not seeds or any(
        isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0
        for s in seeds
    ):
        raise ValueError(f"seeds must be non-negative integers; got {seeds!r}.")
    check_imbalance_options(
        imbalance["recipe"],
        majority_class=imbalance["majority_class"],
        majority_keep=imbalance["majority_keep"],
        minority_keep=imbalance["minority_keep"],
        ratio=imbalance["ratio"],
    )


@dataclass
class ComparisonResult:
    """Rows (one per method x seed x fold, fold ``'test'`` for the held-out
    part) and their summary.

    The parameters are kept as attributes of the same names.

    Parameters
    ----------
    rows : pandas.DataFrame
        ``method, seed, fold, status, error`` and one column per metric plus
        ``recall_<label>`` per class and ``confusion`` (test rows only).
    config : dict
        The options the run used.
    output : pathlib.Path or None, default=None
        Where the files were written.
    classes : list, default=[]
        The sorted class labels: the order of the ``recall_<label>`` columns
        and of the confusion matrices' rows and columns.
    """

    rows: pd.DataFrame
    config: dict
    output: Path | None = None
    classes: list = field(default_factory=list)

    def summary(self):
        """Mean and standard deviation over CV folds (and seeds) per method,
        plus the held-out test score, in the order the methods were asked for."""
        missing = [m for m in METRICS if m not in self.rows.columns]
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
            for metric in METRICS:
                values = pd.to_numeric(m_cv[metric], errors="coerce")
                rec[f"{metric}_mean"] = values.mean()
                rec[f"{metric}_std"] = values.std(ddof=0)
            m_test = test[test["method"] == method]
            rec["test_balanced_accuracy"] = pd.to_numeric(
                m_test["balanced_accuracy"], errors="coerce"
            ).mean()
            out.append(rec)
        return pd.DataFrame(out)


def _atomic_write(path, text):
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes 0600 files
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def check_output_writable(output):
    """Create ``output`` and prove a file can be written there, before any work."""
    output = Path(output)
    try:
        output.mkdir(parents=True, exist_ok=True)
        _atomic_write(output / ".skimb-write-test", "ok")
        os.unlink(output / ".skimb-write-test")
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


def _save_result(result, output):
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    rows = result.rows
    flat = rows.drop(columns=["confusion"], errors="ignore")
    summary = result.summary()
    _atomic_write(output / "results.csv", flat.to_csv(index=False))
    _atomic_write(output / "summary.csv", summary.to_csv(index=False))
    payload = {
        "config": _jsonable(result.config),
        "classes": result.classes,
        "rows": _jsonable(rows.to_dict(orient="records")),
        "summary": _jsonable(summary.to_dict(orient="records")),
    }
    _atomic_write(output / "results.json", json.dumps(payload, indent=1))


def _samples_per_epoch(estimator):
    net = estimator[-1] if isinstance(estimator, Pipeline) else estimator
    history = getattr(net, "history_", None)
    if not history:
        return np.nan
    return float(sum(history[-1, "batches", :, "train_batch_size"]))


def _score(estimator, X, y, classes, majority, minority):
    y_pred = estimator.predict(X)
    with warnings.catch_warnings():
        # A small validation fold may lack a rare class: its recall is 0 by the
        # zero_division convention, which the metrics would warn about per fold.
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        warnings.filterwarnings("ignore", "y_pred contains classes not in y_true")
        return _metrics(y, y_pred, classes, majority, minority), y_pred


def _metrics(y, y_pred, classes, majority, minority):
    recalls = recall_score(y, y_pred, labels=classes, average=None, zero_division=0)
    row = {
        "balanced_accuracy": balanced_accuracy_score(y, y_pred),
        "macro_f1": f1_score(
            y, y_pred, labels=classes, average="macro", zero_division=0
        ),
        "geometric_mean": geometric_mean_score(
            y, y_pred, labels=classes, average="multiclass"
        ),
        "majority_recall": recalls[classes.index(majority)],
        "minority_recall": (
            float(np.mean([recalls[classes.index(c)] for c in minority]))
            if minority
            else np.nan
        ),
    }
    for label, r in zip(classes, recalls, strict=True):
        row[f"recall_{label}"] = r
    return row


_WARM = []


def _warm_up():
    """One tiny untimed fit per process, so that the first method's fit time
    does not carry torch's one-off start-up costs."""
    if not _WARM:
        _WARM.append(True)
        X = np.zeros((4, 2), dtype=np.float32)
        NetClassifier(max_epochs=1, device="cpu").fit(X, np.array([0, 1, 0, 1]))


def _run_task(
    task, X, y, X_test, y_test, net, classes, majority, minority, threads=None
):
    """Fit one method on one fold (or the whole train part) and score it."""
    if threads is not None:
        # Parallel workers share the cores: oversubscribed torch threads spin
        # against each other and can be tens of times slower.
        import torch

        torch.set_num_threads(threads)
    method, seed, fold, train_idx, val_idx = task
    base = {"method": method, "seed": seed, "fold": fold}
    _warm_up()
    try:
        Xtr, ytr = X[train_idx], y[train_idx]
        if fold == "test":
            Xev, yev = X_test, y_test
        else:
            Xev, yev = X[val_idx], y[val_idx]
        estimator = METHODS[method]({**net, "random_state": seed}, ytr, seed)
        start = time.perf_counter()
        estimator.fit(Xtr, ytr)
        fit_time = time.perf_counter() - start
        row, y_pred = _score(estimator, Xev, yev, classes, majority, minority)
        row.update(fit_time=fit_time, samples_per_epoch=_samples_per_epoch(estimator))
        if fold == "test":
            row["confusion"] = confusion_matrix(yev, y_pred, labels=classes).tolist()
        return {**base, "status": "ok", "error": "", **row}
    except Exception as exc:  # one failing method must not stop the others
        return {**base, "status": "error", "error": f"{type(exc).__name__}: {exc}"}


class _Interrupted(BaseException):
    """Raised by the run's signal handler; skorch swallows KeyboardInterrupt
    inside ``fit`` (to stop training early), which would record a half-trained
    net as a result."""


@contextlib.contextmanager
def _interrupts_stop_the_run():
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise _Interrupted(signum)

    # An inherited SIG_IGN for SIGINT is a background job's convention (nohup,
    # many CI runners): keep it, so a Ctrl-C meant for the terminal does not
    # stop the run; SIGTERM always stops it cleanly.
    signals = [signal.SIGTERM]
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signals.append(signal.SIGINT)
    previous = {sig: signal.signal(sig, handler) for sig in signals}
    try:
        yield
    except _Interrupted as exc:
        raise KeyboardInterrupt(f"interrupted by signal {exc.args[0]}") from None
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _load_previous(output, config):
    path = Path(output) / "results.json"
    if not path.exists():
        return []
    try:
        previous = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"resume: cannot read {path}: {exc}") from None
    keys = ("dataset", "imbalance", "cv", "net", "test_size")
    if any(previous.get("config", {}).get(k) != config[k] for k in keys):
        raise ValueError(
            f"resume: {path} holds results of another configuration "
            f"({ {k: previous.get('config', {}).get(k) for k in keys} }); use a new "
            "--output folder or drop --resume."
        )
    return [r for r in previous.get("rows", []) if r.get("status") == "ok"]


def run_comparison(
    dataset="digits",
    *,
    methods=DEFAULT_METHODS,
    imbalance="seed",
    majority_class=0,
    majority_keep=0.9,
    minority_keep=0.1,
    ratio=10.0,
    cv=5,
    seeds=(0,),
    max_epochs=30,
    batch_size=64,
    lr=1e-3,
    hidden_units=256,
    device="auto",
    test_size=0.25,
    data_dir=None,
    download=False,
    n_jobs=1,
    scheduler=None,
    dask=False,
    output="skimb-results",
    resume=False,
    progress=True,
    data=None,
):
    """Compare imbalance-handling methods on one data set.

    Parameters
    ----------
    dataset : str, default='digits'
        A name from :data:`skimb.datasets.DATASETS`.
    methods : sequence of str, default=DEFAULT_METHODS
        Names from :data:`METHODS`.
    imbalance : {'none', 'seed', 'step', 'longtail'}, default='seed'
        Recipe applied to the train part (the test part stays untouched).
    majority_class, majority_keep, minority_keep, ratio
        The recipe's options (see :func:`skimb.datasets.make_imbalanced`).
    cv : int, default=5
        Stratified folds on the imbalanced train part.
    seeds : sequence of int, default=(0,)
        Each seed repeats everything (imbalance draw, folds, nets, resamplers).
    max_epochs, batch_size, lr, hidden_units, device
        Reach every net.
    n_jobs : int, default=1
        Folds in parallel through joblib.
    scheduler : str or None
        Address of a Dask distributed scheduler; tasks go there through
        joblib's ``'dask'`` backend.
    dask : bool, default=False
        Start a local Dask cluster (``n_jobs`` workers) for the run.
    output : str, path or None, default='skimb-results'
        Folder for ``results.csv``, ``summary.csv`` and ``results.json``
        (rewritten atomically after each method); None writes nothing.
    resume : bool, default=False
        Skip the (method, seed, fold) results already in ``output``.
    data : DataSplit, optional
        Use this split instead of loading ``dataset``.

    Returns
    -------
    ComparisonResult
    """
    methods = list(methods)
    seeds = [int(s) if isinstance(s, (np.integer,)) else s for s in seeds]
    imb = dict(
        recipe=imbalance,
        majority_class=majority_class,
        majority_keep=majority_keep,
        minority_keep=minority_keep,
        ratio=ratio,
    )
    check_compare_options(
        dataset=dataset, methods=methods, cv=cv, seeds=seeds, imbalance=imb
    )
    if resume and output is None:
        raise ValueError("resume=True needs an output folder; got output=None.")
    net = dict(
        max_epochs=max_epochs,
        batch_size=batch_size,
        lr=lr,
        module__hidden_units=hidden_units,
        device=device,
        verbose=0,
    )
    config = {
        "dataset": dataset,
        "methods": methods,
        "imbalance": imb,
        "cv": cv,
        "seeds": seeds,
        "net": net,
        "test_size": test_size,
    }
    if output is not None:
        check_output_writable(output)
    done = _load_previous(output, config) if resume else []
    done_keys = {(r["method"], r["seed"], str(r["fold"])) for r in done}

    split = (
        data
        if data is not None
        else load_dataset(
            dataset,
            data_dir=data_dir,
            download=download,
            test_size=test_size,
            random_state=0,
        )
    )
    classes = sorted(np.unique(split.y_train).tolist())
    per_seed = {}
    for seed in seeds:
        X, y = make_imbalanced(split.X_train, split.y_train, random_state=seed, **imb)
        counts = {c: int(np.sum(y == c)) for c in classes}
        majority = max(counts, key=counts.get)
        minority = [c for c in classes if counts[c] <= counts[majority] / 2]
        smallest = min(counts.values())
        if smallest < cv:
            warnings.warn(
                f"seed {seed}: the rarest class has {smallest} training sample(s), "
                f"fewer than cv={cv}; some validation folds miss it (its recall "
                "counts as 0 there) and resamplers that need neighbours may fail "
                "on it (error rows).",
                UserWarning,
                stacklevel=2,
            )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "The least populated class")
            folds = list(
                StratifiedKFold(cv, shuffle=True, random_state=seed).split(X, y)
            )
        per_seed[seed] = (X, y, majority, minority, folds)

    rows = list(done)
    result = ComparisonResult(
        pd.DataFrame(rows),
        config,
        Path(output) if output is not None else None,
        classes,
    )
    n_tasks = len(methods) * len(seeds) * (cv + 1)
    bar = tqdm(total=n_tasks, desc="methods x folds", disable=not progress)
    bar.update(len(done_keys))
    parallel_run = n_jobs != 1 or dask
    workers = joblib.effective_n_jobs(n_jobs)
    threads = max(1, (os.cpu_count() or 1) // workers) if parallel_run else None
    with _interrupts_stop_the_run(), _backend(n_jobs, scheduler, dask):
        for method in methods:
            tasks = []
            for seed in seeds:
                X, y, majority, minority, folds = per_seed[seed]
                all_idx = np.arange(len(y))
                for fold, (tr, va) in [*enumerate(folds), ("test", (all_idx, None))]:
                    if (method, seed, str(fold)) not in done_keys:
                        tasks.append((seed, (method, seed, fold, tr, va)))
            if not tasks:
                continue
            parallel = joblib.Parallel(
                n_jobs=n_jobs if scheduler is None and not dask else -1,
                return_as="generator",
            )
            for out in parallel(
                joblib.delayed(_run_task)(
                    task,
                    per_seed[seed][0],
                    per_seed[seed][1],
                    split.X_test,
                    split.y_test,
                    net,
                    classes,
                    per_seed[seed][2],
                    per_seed[seed][3],
                    threads,
                )
                for seed, task in tasks
            ):
                rows.append(out)
                bar.update(1)
            result.rows = _ordered(pd.DataFrame(rows), methods)
            if output is not None:
                save_result(result, output)
    bar.close()
    result.rows = _ordered(pd.DataFrame(rows), methods)
    return result


def _ordered(rows, methods):
    if rows.empty:
        return rows
    order = {m: i for i, m in enumerate(methods)}
    rows = rows.assign(
        _m=rows["method"].map(order),
        _f=rows["fold"].map(lambda f: 10**9 if f == "test" else int(f)),
    )
    return (
        rows.sort_values(["_m", "seed", "_f"])
        .drop(columns=["_m", "_f"])
        .reset_index(drop=True)
    )


@contextlib.contextmanager
def _backend(n_jobs, scheduler, dask):
    """joblib's default backend, or its Dask backend on a given or local cluster."""
    if scheduler is None and not dask:
        yield
        return
    from distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        if scheduler is not None:
            client = stack.enter_context(Client(scheduler))
        else:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=joblib.effective_n_jobs(n_jobs),
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
            )
            client = stack.enter_context(Client(cluster))
        stack.enter_context(joblib.parallel_backend("dask", client=client))
        yield
