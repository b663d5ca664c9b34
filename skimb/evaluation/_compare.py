"""Run imbalance-handling methods side by side under stratified cross-validation.

:func:`compare` is the main job, on a built-in data set or on the user's own
(a table file, a DataFrame, X/y or a :class:`~skimb.datasets.DataSplit`).
Every method trains the same net (same epochs, batch size, learning rate,
width and seed) on the same preprocessed features; only the way it handles
the imbalance differs. All of the nets train in one loop (in a few, when
their resampled sets would fill the memory; :mod:`._plan`); in parallel,
through joblib or on a Dask distributed cluster, each worker trains a share
of them in one loop. Every method is scored under two decision rules from
the same fit: as trained and under the balanced rule. Results are written
atomically after each loop of nets and each other method, so an
interrupted run keeps what finished and ``resume=True`` picks up the rest.

The job reads in four steps: plan (:mod:`._plan`: the options, the data,
each seed's draw and folds, every check before any fit), run
(:mod:`._run`: the tasks, one fit each or in one loop), score
(:mod:`._scoring`: one row per task and rule) and the verdict
(:mod:`._verdict`: the recommendation and the recommended model saved).
"""

import dataclasses
from pathlib import Path

import pandas as pd

from .._utils.docstring import Substitution
from ._methods import DEFAULT_METHODS
from ._options import RunConfig, options_doc
from ._plan import (
    available_memory,
    data_bytes,
    plan_comparison,
    task_groups,
    training_work,
)
from ._progress import start_progress
from ._results import ComparisonResult, save_result
from ._run import (
    auto_workers,
    interrupts_stop_the_run,
    parallel_backend,
    run_tasks,
)
from ._scoring import RULES, SCORES, STOP_SCORES, decide_at
from ._verdict import record_verdict

__all__ = ["compare"]

# The scores the thresholds are chosen on: kept out of the rows returned.
_SCORE_KEYS = (SCORES, STOP_SCORES)


@Substitution(options=options_doc("compare"))
def compare(
    data="digits",
    y=None,
    *,
    target=None,
    name=None,
    methods=DEFAULT_METHODS,
    recipes="auto",
    imbalance=None,
    majority_class=None,
    majority_keep=0.9,
    minority_keep=0.1,
    ratio=10.0,
    positive_label=None,
    cv=5,
    seeds=(0,),
    budget="auto",
    max_epochs=None,
    batch_size=None,
    scaling="smooth-clip",
    encoding="target",
    lr=1e-3,
    hidden_units=256,
    net="simple",
    device="auto",
    test_size=0.25,
    data_dir=None,
    download=False,
    n_jobs="auto",
    scheduler=None,
    dask=False,
    output="skimb-results",
    resume=False,
    progress=True,
    plots=True,
    operating_point=None,
    recommend_for="average_precision",
    fit_many=True,
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
    {options}

    Returns
    -------
    ComparisonResult
        ``result.rows`` holds a row per method x rule x seed x fold;
        ``result.summary()`` the per-method and rule means and standard
        deviations; ``result.recommendation`` the best method and rule per
        deciding metric; ``result.model`` the recommended model (for
        ``recommend_for``), saved to ``OUTPUT/model.skimb``.

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
    >>> sorted(result.rows["rule"].unique())
    ['balanced', 'trained']
    >>> result.recommendation["balanced_accuracy"]["method"] in ("baseline",
    ...                                                          "weighted-loss")
    True
    """
    # The keyword arguments are the options of the table: check them at once.
    options = RunConfig.from_call("compare", locals())
    plan = plan_comparison(data, y, options)
    options = _resolve_workers(options, plan)
    methods = plan.config["methods"]
    rows = list(plan.done)
    output = Path(options.output) if options.output is not None else None
    result = ComparisonResult(pd.DataFrame(rows), plan.config, output, plan.classes)
    progress = start_progress(plan, options)  # counts the fits already done
    models = {}  # method -> its fit on the whole training part, first seed
    with interrupts_stop_the_run(), parallel_backend(options):
        for tasks in task_groups(plan, methods, options):
            for task, task_rows, model in run_tasks(tasks, plan, options, progress):
                rows.extend(task_rows)
                if model is not None:
                    models[task.method] = model
            result.rows = _ordered(pd.DataFrame(rows), methods)
            if output is not None:
                save_result(result, output)
        point = plan.operating_point
        thresholds = decide_at(rows, point, options.cv)
        rows = [{k: v for k, v in r.items() if k not in _SCORE_KEYS} for r in rows]
        result.rows = _ordered(pd.DataFrame(rows), methods)
        record_verdict(result, models, plan, options, thresholds)
    progress.close()
    if output is not None:
        save_result(result, output)
    if options.plots and output is not None:
        from ..plotting import save_plots  # matplotlib only when drawing

        save_plots(result, output)
    return result


def _ordered(rows, methods):
    if rows.empty:
        return rows
    order = {m: i for i, m in enumerate(methods)}
    rows = rows.assign(
        _m=rows["method"].map(order),
        _r=rows["rule"].map({r: i for i, r in enumerate(RULES)}),
        _f=rows["fold"].map(lambda f: 10**9 if f == "test" else int(f)),
    )
    return (
        rows.sort_values(["_m", "_r", "seed", "_f"], kind="stable")
        .drop(columns=["_m", "_r", "_f"])
        .reset_index(drop=True)
    )


def _defined_in_main(net):
    """Whether the net's class lives in a script's ``__main__``: worker
    processes cannot import it to send a fitted net back."""
    cls = net if isinstance(net, type) else type(net)
    return getattr(cls, "__module__", None) == "__main__"


def _resolve_workers(options, plan):
    """``n_jobs='auto'``: on a Dask cluster every worker it has; else the
    workers :func:`auto_workers` chooses for the nets' estimated work and
    the memory available (one process for a net class defined in a
    script's ``__main__``)."""
    if _defined_in_main(options.net) and options.parallel:
        raise ValueError(
            f"net={options.net!r} is defined in the script's __main__, which worker "
            "processes cannot import; move it to a module of its own, or use "
            f"n_jobs=1 (got n_jobs={options.n_jobs!r})."
        )
    if options.n_jobs != "auto":
        return options
    if _defined_in_main(options.net):
        return dataclasses.replace(options, n_jobs=1)
    if options.on_dask:
        n_jobs = -1
    else:
        n_jobs = auto_workers(
            training_work(plan, options),
            options.device,
            data_bytes=data_bytes(plan),
            memory=available_memory(),
        )
    return dataclasses.replace(options, n_jobs=n_jobs)
