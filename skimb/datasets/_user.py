"""The user's own data: a table file, a DataFrame or X/y, checked and split.

Everything here runs before any training, so a bad file, a missing target
column or a class too small for the folds is reported at once and nothing in
an output folder is touched.
"""

import csv
import difflib
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from .._utils.labels import compact_labels
from ._builtin import DataSplit, label_counts

__all__ = [
    "TABLE_SUFFIXES",
    "check_target",
    "read_table",
    "sniff_delimiter",
    "split_target",
    "user_split",
]

#: The file types :func:`read_table` reads.
TABLE_SUFFIXES = (".csv", ".tsv", ".parquet")
#: The delimiters a ``.csv`` file may use, and how much of it is read to
#: tell which (a comma where nothing else is consistent).
CSV_DELIMITERS = ",;\t|"
SNIFF_BYTES = 64 * 1024


def sniff_delimiter(path):
    """The delimiter of the text table at ``path``: one of
    :data:`CSV_DELIMITERS`, told from its first :data:`SNIFF_BYTES` with
    ``csv.Sniffer`` (a comma when that cannot tell).

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(path, "w").write("a;b;label\\n1,5;2;x\\n3,5;4;y\\n")
    >>> sniff_delimiter(path)
    ';'
    """
    with open(path, "rb") as f:
        raw = f.read(SNIFF_BYTES)
    if len(raw) == SNIFF_BYTES and b"\n" in raw:
        raw = raw[: raw.rindex(b"\n")]  # whole lines only
    sample = raw.decode("utf-8", errors="replace")
    lines = sample.splitlines()

    def header_fields(delimiter):
        return len(next(csv.reader(lines[:1], delimiter=delimiter), []))

    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:  # no consistent delimiter: the one that splits the header
        sniffed = max(CSV_DELIMITERS, key=header_fields)  # ties: the comma
    # Text that holds another delimiter in every row can fool the sniffer;
    # the header then splits into more fields on commas.
    return "," if header_fields(",") > header_fields(sniffed) else sniffed


def read_table(path):
    """Read a ``.csv``, ``.tsv`` or ``.parquet`` file into a DataFrame.

    A ``.csv`` file may separate its fields with a comma, a semicolon, a tab
    or a pipe (:func:`sniff_delimiter`).

    Parquet needs pyarrow (``pip install 'skimb[parquet]'``).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the suffix is not one of :data:`TABLE_SUFFIXES` or the file cannot
        be parsed.
    ImportError
        If a Parquet file is given and pyarrow is missing.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ValueError(
            f"data file must end in one of {', '.join(TABLE_SUFFIXES)}; got "
            f"{str(path)!r}."
        )
    if not path.is_file():
        raise FileNotFoundError(f"data file {str(path)!r} does not exist.")
    if suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ImportError(
                f"reading {str(path)!r} needs pyarrow, an optional dependency: "
                "pip install 'skimb[parquet]' (or pip install pyarrow)."
            ) from None
    try:
        if suffix == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(
            path, sep="\t" if suffix == ".tsv" else sniff_delimiter(path)
        )
    except (ValueError, OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"cannot read {str(path)!r} as a {suffix[1:]} table: "
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}."
        ) from None


def split_target(frame, target):
    """Split ``frame`` into the feature columns and the ``target`` column.

    Raises a ValueError that lists the columns (and the closest names) when
    ``target`` is not one of them.
    """
    if target is None:
        raise ValueError(
            "target must name the label column of the table; got None. Columns: "
            f"{list(frame.columns)}."
        )
    if target not in frame.columns:
        close = difflib.get_close_matches(str(target), map(str, frame.columns))
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"target column {target!r} is not in the table; its columns are "
            f"{list(frame.columns)}.{hint}"
        )
    y = frame[target]
    if y.isna().any():
        raise ValueError(
            f"target column {target!r} has {int(y.isna().sum())} missing labels; "
            "drop those rows or fill them first."
        )
    X = frame.drop(columns=[target])
    if X.shape[1] == 0:
        raise ValueError(f"the table has no feature column besides {target!r}.")
    return X, y.to_numpy()


def check_target(y, *, cv=None, what="y"):
    """At least two classes, and (with ``cv``) at least ``cv`` samples of each.

    Examples
    --------
    >>> check_target(np.array(["a", "a", "b"]), cv=2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: class 'b' has 1 sample in y, fewer than the cv=2 stratified ...
    """
    labels, counts = np.unique(np.asarray(y), return_counts=True)
    if len(labels) < 2:
        raise ValueError(
            f"{what} must hold at least 2 classes; it holds only {labels.tolist()!r}."
        )
    if cv is not None and counts.min() < cv:
        rare = labels[counts.argmin()]
        rare = rare.item() if hasattr(rare, "item") else rare
        n = int(counts.min())
        fix = f"use --cv {n} (cv={n})" if n >= 2 else "drop that class or add samples"
        raise ValueError(
            f"class {rare!r} has {n} sample{'s' if n != 1 else ''} in {what}, "
            f"fewer than the cv={cv} stratified folds need; {fix}."
        )


def user_split(X, y, *, test_size, random_state=0, name="data"):
    """A stratified train/test :class:`~skimb.datasets.DataSplit` of user data.

    ``X`` stays a DataFrame when it is one (its columns are preprocessed in
    the comparison); labels keep their values, string labels as a numpy
    string array (:func:`~skimb._utils.labels.compact_labels`: every fold's
    checks then sort them 12 times faster).
    """
    y = compact_labels(y)
    image_shape = None
    if hasattr(X, "detach"):  # a torch tensor
        X = X.detach().cpu().numpy()
    if isinstance(X, np.ndarray) and X.ndim > 2:
        # Images (n, channels, height, width): flat pixels for the
        # preprocessing and the resamplers; a CNN reads their shape back.
        image_shape = [int(s) for s in X.shape[1:]]
        X = X.reshape(len(X), -1)
    if len(y) != X.shape[0]:
        raise ValueError(
            f"X and y must have the same number of rows; got {X.shape[0]} and {len(y)}."
        )
    check_target(y)
    labels, counts = np.unique(y, return_counts=True)
    if counts.min() < 2:
        raise ValueError(
            f"class {labels[counts.argmin()]!r} has a single sample; a stratified "
            "held-out part needs at least 2 per class."
        )
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=random_state
    )
    if isinstance(X_train, pd.DataFrame):
        X_train, X_test = X_train.reset_index(drop=True), X_test.reset_index(drop=True)
    info = {
        "source": "user data",
        "split": f"stratified hold-out (test_size={test_size})",
        "n_classes": int(len(labels)),
        "n_features": int(X.shape[1]),
        "train_counts": label_counts(y_train),
        "test_counts": label_counts(y_test),
    }
    if image_shape is not None:
        info["image_shape"] = image_shape
    return DataSplit(X_train, y_train, X_test, y_test, name=name, info=info)
