"""What :func:`skimb.compare` accepts as data, turned into a train/test split.

A built-in data set's name, a benchmark set (``keel:``, ``imblearn:``,
``openml:``), a table file, a DataFrame with its label column, X with y, or
a :class:`~skimb.datasets.DataSplit` the user already has.
"""

import difflib
import os
from pathlib import Path

import numpy as np
import pandas as pd

from ._benchmark_sets import PREFIXES, load_benchmark_dataset
from ._builtin import DATASETS, DataSplit, load_dataset
from ._user import TABLE_SUFFIXES, read_table, split_target, user_split

__all__ = ["check_data_name", "load_data"]


def check_data_name(text):
    """Raise a ValueError (with close names) unless ``text`` names a built-in
    data set, a benchmark set (``prefix:NAME``) or a table file."""
    if text in DATASETS or (":" in text and text.split(":", 1)[0] in PREFIXES):
        return
    if Path(text).suffix.lower() in TABLE_SUFFIXES or Path(text).exists():
        return
    close = difflib.get_close_matches(text, DATASETS, n=2)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    raise ValueError(
        f"data must be a built-in data set ({', '.join(DATASETS)}), a "
        f"benchmark set ({', '.join(p + ':NAME' for p in PREFIXES)}), a "
        f"{'/'.join(TABLE_SUFFIXES)} file, a DataFrame or X with y; got "
        f"{text!r}, which is none of these.{hint}"
    )


def load_data(
    data="digits",
    y=None,
    *,
    target=None,
    name=None,
    test_size=0.25,
    data_dir=None,
    download=False,
):
    """The comparison's data as a train/test split, and whether it is built in.

    Parameters
    ----------
    data : str, path, DataFrame, array-like or DataSplit, default='digits'
        A built-in data set name (:data:`skimb.datasets.DATASETS`); a
        benchmark set (``'keel:yeast4'``, ``'imblearn:NAME'``,
        ``'openml:NAME_OR_ID'``); a ``.csv``, ``.tsv`` or ``.parquet`` file
        (with ``target``); a
        DataFrame (with ``target``, or with ``y``); features ``X`` (with
        ``y``); or a :class:`~skimb.datasets.DataSplit` the user already has.
    y : array-like or None
        Labels, when ``data`` holds the features only.
    target : str or None
        The label column of a table.
    name : str or None
        The data set's name in the results (default: the built-in name, the
        file's stem, or ``'data'``).

    Returns
    -------
    split : DataSplit
    builtin : bool
    """
    if isinstance(data, DataSplit):
        if name is not None:
            data = DataSplit(
                data.X_train, data.y_train, data.X_test, data.y_test, name, data.info
            )
        return data, data.info.get("source", "").startswith(("sklearn", "torchvision"))
    if isinstance(data, (str, os.PathLike)) and y is None:
        text = os.fspath(data)
        if text in DATASETS:
            split = load_dataset(
                text,
                data_dir=data_dir,
                download=download,
                test_size=test_size,
                random_state=0,
            )
            return split, True
        if text.split(":", 1)[0] in PREFIXES and ":" in text:
            found = load_benchmark_dataset(text, download=download)
            return user_split(
                found.X, found.y, test_size=test_size, name=name or found.name
            ), False
        if Path(text).suffix.lower() in TABLE_SUFFIXES or Path(text).exists():
            frame = read_table(text)
            X, labels = split_target(frame, target)
            return user_split(
                X, labels, test_size=test_size, name=name or Path(text).stem
            ), False
        check_data_name(text)
    if isinstance(data, pd.DataFrame) and y is None:
        X, labels = split_target(data, target)
        return user_split(X, labels, test_size=test_size, name=name or "data"), False
    if y is None:
        raise TypeError(
            "compare(X, y): y is required when data holds the features only; got "
            f"data of type {type(data).__name__} and y=None."
        )
    if target is not None:
        raise ValueError("give either y or target, not both.")
    X = data if hasattr(data, "iloc") or hasattr(data, "tocsr") else np.asarray(data)
    return user_split(X, y, test_size=test_size, name=name or "data"), False
