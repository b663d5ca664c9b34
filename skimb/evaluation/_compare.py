"""Run imbalance-handling methods side by side under stratified cross-validation.

:func:`compare` is the main job, on a built-in data set or on the user's own
(a table file, a DataFrame, X/y or a :class:`~skimb.datasets.DataSplit`).
Every method trains the same net (same epochs, batch size, learning rate,
width and seed) on the same preprocessed features; only the way it handles
the imbalance differs. Folds run in parallel through joblib, on a Dask
distributed cluster when asked. Results are written atomically after each
method, so an interrupted run keeps what finished and ``resume=True`` picks
up the rest.
"""

import numbers
import os
import sys
import time
import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import StratifiedKFold
from tqdm.auto import tqdm

from .._utils.validation import check_number
from ..datasets._builtin import (
    check_imbalance_options,
    label_counts,
    make_imbalanced,
)
from ..datasets._sources import load_data
from ..datasets._user import (
    check_target,
)
from ..estimators._base import BaseNetClassifier
from ..estimators._classifiers import NetClassifier
from ..estimators._fit_many import fit_many
from ..metrics._scores import (
    decision_metrics,
    pr_curve,
    probability_metrics,
    reliability_curve,
)
from ._execution import interrupts_stop_the_run, parallel_backend
from ._methods import DEFAULT_METHODS, METHODS, build
from ._preprocessing import check_encodable, make_preprocessor
from ._results import (
    ComparisonResult,
    check_output_writable,
    load_previous,
    save_result,
)

__all__ = ["check_compare_options", "compare"]


def check_compare_options(
    *,
    methods=DEFAULT_METHODS,
    cv=5,
    seeds=(0,),
    imbalance="none",
    majority_class=None,
    majority_keep=0.9,
    minority_keep=0.1,
    ratio=10.0,
    max_epochs=30,
    batch_size=64,
    lr=1e-3,
    hidden_units=256,
    test_size=0.25,
    n_jobs=1,
):
    """Validate the comparison's options before any work starts.

    Raises ``ValueError`` (or ``TypeError``) naming the option, the allowed
    values and what was received. The ``skimb compare`` command calls it too.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(
            f"methods must be a non-empty subset of {list(METHODS)}; got "
            f"{list(methods)!r}" + (f" (unknown: {unknown})." if unknown else ".")
        )
    check_number(cv, "cv", numbers.Integral, min_val=2, allowed="an integer >= 2")
    if not seeds or any(
        isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0
        for s in seeds
    ):
        raise ValueError(f"seeds must be non-negative integers; got {seeds!r}.")
    check_imbalance_options(
        imbalance if imbalance is not None else "none",
        majority_class=majority_class,
        majority_keep=majority_keep,
        minority_keep=minority_keep,
        ratio=ratio,
    )
    check_number(max_epochs, "max_epochs", numbers.Integral, min_val=0)
    check_number(batch_size, "batch_size", numbers.Integral, min_val=1)
    check_number(lr, "lr", min_val=0, include_boundaries="neither")
    check_number(hidden_units, "hidden_units", numbers.Integral, min_val=1)
    check_number(
        test_size,
        "test_size",
        min_val=0,
        max_val=1,
        include_boundaries="neither",
        allowed="a float in the open interval (0, 1)",
    )
    if n_jobs != -1:
        check_number(
            n_jobs, "n_jobs", numbers.Integral, min_val=1, allowed="-1 or an int >= 1"
        )


def _take(X, index):
    return X.iloc[index] if hasattr(X, "iloc") else X[index]


def _samples_per_epoch(estimator):
    net = estimator[-1] if hasattr(estimator, "steps") else estimator
    history = getattr(net, "history_", None)
    if not history:
        return np.nan
    return float(sum(history[-1, "batches", :, "train_batch_size"]))


_WARM = []


def _warm_up():
    """One tiny untimed fit per process, so that the first method's fit time
    does not carry torch's one-off start-up costs."""
    if not _WARM:
        _WARM.append(True)
        X = np.zeros((4, 2), dtype=np.float32)
        NetClassifier(max_epochs=1, device="cpu").fit(X, np.array([0, 1, 0, 1]))


def _score(estimator, X, y, context, *, train_prior, test):
    """Decision and probability metrics (and the curves on the test part)."""
    classes = context["classes"]
    proba = None
    if hasattr(estimator, "predict_proba"):
        # One pass: every method's predict is the argmax of its probabilities.
        proba = estimator.predict_proba(X)
        y_pred = np.asarray(estimator.classes_)[proba.argmax(axis=1)]
    else:
        y_pred = estimator.predict(X)
    row = decision_metrics(
        y,
        y_pred,
        classes=classes,
        majority=context["majority"],
        minority=context["minority"],
    )
    if test:
        row["confusion"] = confusion_matrix(y, y_pred, labels=classes).tolist()
    if proba is None:
        return row
    positive = context["positive"]
    row.update(probability_metrics(y, proba, classes=classes, positive=positive))
    if test:
        row["reliability"] = reliability_curve(
            y, proba, classes=classes, positive=positive
        )
        if positive is not None:
            row["pr_curve"] = pr_curve(y, proba, classes=classes, positive=positive)
    final = estimator[-1] if hasattr(estimator, "steps") else estimator
    if "prior" in final.get_params():
        # The same fitted net, its output moved to the training data's class
        # prior (Saerens et al., 2002): calibrated probabilities, no refit.
        saved = final.get_params()["prior"]
        final.set_params(prior=train_prior)
        try:
            corrected = probability_metrics(
                y, estimator.predict_proba(X), classes=classes, positive=positive
            )
        finally:
            final.set_params(prior=saved)
        for key in ("log_loss", "brier", "ece"):
            row[f"{key}_corrected"] = corrected[key]
    return row


def _fold_data(task, X, y, X_test, y_test):
    method, seed, fold, train_idx, val_idx = task
    Xtr, ytr = _take(X, train_idx), y[train_idx]
    if fold == "test":
        return Xtr, ytr, X_test, y_test
    return Xtr, ytr, _take(X, val_idx), y[val_idx]


def _finish(task, estimator, fit_time, ytr, Xev, yev, context):
    method, seed, fold = task[:3]
    train_prior = {c: n / len(ytr) for c, n in label_counts(ytr).items()}
    row = _score(
        estimator, Xev, yev, context, train_prior=train_prior, test=fold == "test"
    )
    row.update(fit_time=fit_time, samples_per_epoch=_samples_per_epoch(estimator))
    return {
        "method": method,
        "seed": seed,
        "fold": fold,
        "status": "ok",
        "error": "",
    } | row


def _error_row(task, exc):
    method, seed, fold = task[:3]
    return {
        "method": method,
        "seed": seed,
        "fold": fold,
        "status": "error",
        "error": f"{type(exc).__name__}: {exc}",
    }


def _run_task(task, X, y, X_test, y_test, context, threads=None):
    """Fit one method on one fold (or the whole train part) and score it."""
    if threads is not None:
        # Parallel workers share the cores: oversubscribed torch threads spin
        # against each other and can be tens of times slower.
        import torch

        torch.set_num_threads(threads)
    method, seed = task[:2]
    _warm_up()
    try:
        Xtr, ytr, Xev, yev = _fold_data(task, X, y, X_test, y_test)
        estimator = build(
            method,
            net=context["net"],
            seed=seed,
            y=ytr,
            preprocessor=context["preprocessor"],
        )
        start = time.perf_counter()
        estimator.fit(Xtr, ytr)
        fit_time = time.perf_counter() - start
        return _finish(task, estimator, fit_time, ytr, Xev, yev, context)
    except Exception as exc:  # one failing method must not stop the others
        return _error_row(task, exc)


def _run_stacked(tasks, per_seed, split):
    """Fit one method on every fold and seed at once (:func:`fit_many`).

    The steps before the net (preprocessing, resampling) are fitted per fold
    first, so each net trains on its own materialised training set; the nets
    then train as one stacked loop, and each is scored as it would be alone.
    ``fit_time`` is the shared time divided evenly among the nets.
    """
    _warm_up()
    prepared, rows = [], {}
    for i, (seed, task) in enumerate(tasks):
        X, y, context, _ = per_seed[seed]
        try:
            Xtr, ytr, Xev, yev = _fold_data(task, X, y, split.X_test, split.y_test)
            estimator = build(
                task[0],
                net=context["net"],
                seed=seed,
                y=ytr,
                preprocessor=context["preprocessor"],
            )
            start = time.perf_counter()
            Xt, yt = Xtr, ytr
            for _, step in getattr(estimator, "steps", [])[:-1]:
                if hasattr(step, "fit_resample"):
                    Xt, yt = step.fit_resample(Xt, yt)
                else:
                    Xt = step.fit_transform(Xt, yt)
            before = time.perf_counter() - start
            net = estimator[-1] if hasattr(estimator, "steps") else estimator
            prepared.append((i, task, estimator, net, Xt, yt, ytr, Xev, yev, before))
        except Exception as exc:
            rows[i] = _error_row(task, exc)
    if prepared:
        start = time.perf_counter()
        failed = {}
        try:
            fit_many(
                [p[3] for p in prepared],
                [p[4] for p in prepared],
                [p[5] for p in prepared],
            )
        except Exception:
            # One net's data failed (fit_many leaves the nets untrained): fit
            # each alone, so that exactly the folds that fail one at a time
            # become error rows.
            for p in prepared:
                try:
                    p[3].fit(p[4], p[5])
                except Exception as exc:
                    failed[p[0]] = exc
        shared = (time.perf_counter() - start) / max(1, len(prepared))
    for i, task, estimator, _, _, _, ytr, Xev, yev, before in prepared:
        if i in failed:
            rows[i] = _error_row(task, failed[i])
            continue
        try:
            context = per_seed[task[1]][2]
            rows[i] = _finish(task, estimator, before + shared, ytr, Xev, yev, context)
        except Exception as exc:
            rows[i] = _error_row(task, exc)
    return [rows[i] for i in range(len(tasks))]


def _stackable(method):
    return isinstance(METHODS[method].estimator, BaseNetClassifier)


def _label(value):
    return value.item() if isinstance(value, np.generic) else value


def _resolve_positive(positive_label, classes, counts):
    if len(classes) != 2:
        if positive_label is not None:
            raise ValueError(
                "positive_label names the positive class of a binary problem; "
                f"this one has {len(classes)} classes."
            )
        return None
    if positive_label is None:
        return min(classes, key=lambda c: counts[c])  # the minority class
    for c in classes:
        if c == positive_label or str(c) == str(positive_label):
            return c
    raise ValueError(
        f"positive_label must be one of the classes {classes!r}; got "
        f"{positive_label!r}."
    )


def compare(
    data="digits",
    y=None,
    *,
    target=None,
    name=None,
    methods=DEFAULT_METHODS,
    imbalance=None,
    majority_class=None,
    majority_keep=0.9,
    minority_keep=0.1,
    ratio=10.0,
    positive_label=None,
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
    plots=True,
    vectorize=True,
):
    """Compare imbalance-handling methods on one data set.

    Parameters
    ----------
    data : str, path, DataFrame, array-like or DataSplit, default='digits'
        A built-in data set (``'digits'``, ``'synthetic'``, ``'mnist'``,
        ``'fashion-mnist'``), a ``.csv``/``.tsv``/``.parquet`` file or a
        DataFrame with a ``target`` column, features ``X`` with labels ``y``,
        or a :class:`~skimb.datasets.DataSplit`. A user's data is split into
        a training and a stratified held-out part (``test_size``).
    y : array-like or None
        The labels when ``data`` holds features only: ``compare(X, y)``.
    target : str or None
        The label column of a table file or DataFrame; labels may be strings.
    name : str or None
        The data set's name in the results (default: the built-in name, the
        file's stem, or ``'data'``).
    methods : sequence of str, default=DEFAULT_METHODS
        Names from :data:`skimb.evaluation.METHODS`.
    imbalance : {'none', 'seed', 'step', 'longtail'} or None, default=None
        Recipe applied to the training part (the test part stays untouched).
        None means ``'seed'`` for built-in data (class 0 keeps 90 %, the
        others 10 %) and ``'none'`` for a user's data, which is imbalanced
        already.
    majority_class : label or None, default=None
        The class the ``'seed'`` recipe keeps mostly; None means 0 for
        built-in data and the most frequent class for a user's data.
    majority_keep, minority_keep, ratio
        The recipe's options (see :func:`skimb.datasets.make_imbalanced`).
    positive_label : label or None, default=None
        The positive class of a binary problem, for average precision, ROC-AUC
        and the Brier score; None means the minority class.
    cv : int, default=5
        Stratified folds on the (imbalanced) training part.
    seeds : sequence of int, default=(0,)
        Each seed repeats everything (imbalance draw, folds, nets, resamplers).
    max_epochs, batch_size, lr, hidden_units, device
        Reach every net.
    test_size : float, default=0.25
        The held-out part of a built-in or user data set.
    data_dir, download
        Where MNIST-style files are, and whether torchvision may download.
    n_jobs : int, default=1
        Folds in parallel through joblib.
    scheduler : str or None
        Address of a Dask distributed scheduler; tasks go there through
        joblib's ``'dask'`` backend.
    dask : bool, default=False
        Start a local Dask cluster (``n_jobs`` workers) for the run.
    output : str, path or None, default='skimb-results'
        Folder for ``results.csv``, ``summary.csv`` and ``results.json``
        (rewritten atomically after each method) and the plots; None writes
        nothing.
    resume : bool, default=False
        Skip the (method, seed, fold) results already in ``output`` (for the
        same data set, class counts and settings).
    progress : bool, default=True
        Show a progress bar.
    plots : bool, default=True
        Write the PNG plots into ``output``.
    vectorize : bool, default=True
        Train a net method's folds and seeds as one stacked loop
        (:func:`skimb.estimators.fit_many`): the same results as one fit at a
        time, to float tolerance, in less time. Applies to serial runs
        (``n_jobs=1`` without Dask); ``False`` fits one net at a time.

    Returns
    -------
    ComparisonResult
        ``result.rows`` holds a row per method x seed x fold;
        ``result.summary()`` the per-method means and standard deviations.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> X, y = make_classification(300, weights=[0.9], random_state=0)
    >>> result = compare(X, y, methods=["baseline", "weighted-loss"], cv=2,
    ...                  max_epochs=2, hidden_units=8, output=None,
    ...                  progress=False)
    >>> result.config["dataset"], result.config["positive"]
    ('data', 1)
    >>> sorted(result.rows["fold"].astype(str).unique())
    ['0', '1', 'test']
    """
    methods = list(methods)
    seeds = [int(s) if isinstance(s, np.integer) else s for s in seeds]
    check_compare_options(
        methods=methods,
        cv=cv,
        seeds=seeds,
        imbalance=imbalance,
        majority_class=majority_class,
        majority_keep=majority_keep,
        minority_keep=minority_keep,
        ratio=ratio,
        max_epochs=max_epochs,
        batch_size=batch_size,
        lr=lr,
        hidden_units=hidden_units,
        test_size=test_size,
        n_jobs=n_jobs,
    )
    if resume and output is None:
        raise ValueError("resume=True needs an output folder; got output=None.")
    split, builtin = load_data(
        data,
        y,
        target=target,
        name=name,
        test_size=test_size,
        data_dir=data_dir,
        download=download,
    )
    train_counts = label_counts(split.y_train)
    classes = list(train_counts)
    labels = np.unique(split.y_train)
    recipe = imbalance if imbalance is not None else ("seed" if builtin else "none")
    if majority_class is None:
        majority_class = 0 if builtin else max(classes, key=train_counts.get)
    imb = dict(
        recipe=recipe,
        majority_class=_label(majority_class),
        majority_keep=majority_keep,
        minority_keep=minority_keep,
        ratio=ratio,
    )
    check_imbalance_options(
        recipe,
        majority_class=majority_class,
        majority_keep=majority_keep,
        minority_keep=minority_keep,
        ratio=ratio,
        classes=labels,
    )
    if recipe == "none":
        check_target(split.y_train, cv=cv, what=f"the training part of {split.name}")
    preprocessor = None
    if not builtin:
        check_encodable(split.X_train)
        preprocessor = make_preprocessor(split.X_train)
        try:
            preprocessor.fit(split.X_train)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"the features of {split.name} cannot be preprocessed: {exc}"
            ) from None

    net = dict(
        max_epochs=max_epochs,
        batch_size=batch_size,
        lr=lr,
        module__hidden_units=hidden_units,
        device=device,
        verbose=0,
    )
    config = {
        "dataset": split.name,
        "class_counts": train_counts,
        "test_counts": label_counts(split.y_test),
        "methods": methods,
        "imbalance": imb,
        "cv": cv,
        "seeds": seeds,
        "net": net,
        "test_size": test_size,
        "preprocessing": "none (pixels in [0, 1])" if builtin else "tabular",
    }
    if output is not None:
        check_output_writable(output)
    done = load_previous(output, config) if resume else []
    done_keys = {(r["method"], r["seed"], str(r["fold"])) for r in done}

    per_seed = {}
    for seed in seeds:
        X, yy = make_imbalanced(split.X_train, split.y_train, random_state=seed, **imb)
        seed_counts = {c: int(np.sum(yy == c)) for c in classes}
        majority = max(seed_counts, key=seed_counts.get)
        minority = [c for c in classes if seed_counts[c] <= seed_counts[majority] / 2]
        positive = _resolve_positive(positive_label, classes, seed_counts)
        smallest = min(seed_counts.values())
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
                StratifiedKFold(cv, shuffle=True, random_state=seed).split(X, yy)
            )
        context = {
            "net": net,
            "classes": classes,
            "majority": majority,
            "minority": minority,
            "positive": positive,
            "preprocessor": preprocessor,
        }
        per_seed[seed] = (X, yy, context, folds)
    first = per_seed[seeds[0]][2]
    config.update(
        trained_counts=label_counts(per_seed[seeds[0]][1]),
        positive=first["positive"],
        majority=first["majority"],
        minority=first["minority"],
    )
    if progress:
        print(
            f"{split.name}: {len(split.y_train)} training rows "
            f"({', '.join(f'{c}: {n}' for c, n in train_counts.items())}), "
            f"{len(split.y_test)} held out; recipe {recipe!r}"
            + (
                f"; positive class {first['positive']!r}"
                if first["positive"] is not None
                else ""
            ),
            file=sys.stderr,
        )

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
    parallel_run = n_jobs != 1 or dask or scheduler is not None
    workers = joblib.effective_n_jobs(n_jobs)
    threads = max(1, (os.cpu_count() or 1) // workers) if parallel_run else None
    with interrupts_stop_the_run(), parallel_backend(n_jobs, scheduler, dask):
        for method in methods:
            tasks = []
            for seed in seeds:
                X, yy, context, folds = per_seed[seed]
                all_idx = np.arange(len(yy))
                for fold, (tr, va) in [*enumerate(folds), ("test", (all_idx, None))]:
                    if (method, seed, str(fold)) not in done_keys:
                        tasks.append((seed, (method, seed, fold, tr, va)))
            if not tasks:
                continue
            if vectorize and not parallel_run and _stackable(method):
                for out in _run_stacked(tasks, per_seed, split):
                    rows.append(out)
                    bar.update(1)
                result.rows = _ordered(pd.DataFrame(rows), methods)
                if output is not None:
                    save_result(result, output)
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
                    per_seed[seed][2],
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
    if plots and result.output is not None:
        from ..plotting import save_plots  # figures sit above evaluation

        save_plots(result, result.output)
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
