"""The KEEL ``.dat`` reader: an ARFF dialect, its header checked line by line.

KEEL (Alcalá-Fdez et al., 2011) ships its data sets as ``.dat`` files: a
header of ``@relation``, ``@attribute``, ``@inputs`` and ``@outputs`` lines,
then ``@data`` and comma-separated rows. :func:`read_keel_dat` reads one into
a DataFrame of features and an array of labels, and names the line of the
first thing wrong.
"""

import csv
import io
import os

import numpy as np
import pandas as pd

__all__ = ["read_keel_dat"]

# The spellings of a missing value.
_MISSING = {"?", "<null>", ""}


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
    with open(path, encoding="utf-8", errors="replace") as file:
        lines = file.read().splitlines()
    attributes, inputs, outputs, data_start = _read_header(lines, path)
    inputs, outputs = _roles(attributes, inputs, outputs, path)
    data = _data_lines(lines, data_start, len(attributes), path)
    raw = _read_values(data, attributes, path)
    columns = {
        name: _column(raw[name], name, attributes[name], data, path)
        for name in inputs + outputs
    }
    (output,) = outputs
    y = _labels(columns.pop(output), output, attributes[output], data, path)
    return pd.DataFrame(columns), y


def _read_header(lines, path):
    # -> ({name: None (numeric) or [nominal values]}, inputs, outputs, the
    # number of the @data line); inputs and outputs are None when not given.
    attributes = {}
    inputs = outputs = None
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
    return attributes, inputs, outputs, number


def _roles(attributes, inputs, outputs, path):
    # The feature and class attributes, defaulted as KEEL's tools do.
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
    return inputs, outputs


def _data_lines(lines, data_start, n_values, path):
    # [(line number, line)] of the rows, each checked for its value count.
    data = [
        (number, line)
        for number, line in enumerate(lines[data_start:], start=data_start + 1)
        if line.strip() and not line.lstrip().startswith("%")
    ]
    for number, line in data:
        # KEEL values are never quoted, so each comma separates two values.
        if line.count(",") + 1 != n_values:
            raise ValueError(
                f"{path}, line {number}: expected {n_values} comma-separated "
                f"values (one per @attribute); got {line.count(',') + 1}."
            )
    return data


def _read_values(data, attributes, path):
    # Every attribute's raw column: numeric ones as float64, nominal ones as
    # strings (checked against their declared values by _column).
    text = "\n".join(line for _, line in data)
    names = list(attributes)
    numeric = [n for n in names if attributes[n] is None]
    try:
        return _read_rows(text, names, numeric)
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


def _column(raw, name, kind, data, path):
    if kind is None:
        return raw.astype(np.float64)
    # Strip and check each distinct value once, not each of 100k cells.
    codes, uniques = pd.factorize(raw)
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
    return pd.Series(
        pd.Categorical.from_codes(lookup[codes], categories=kind), name=name
    )


def _labels(column, name, kind, data, path):
    if column.isna().any():
        row = int(np.flatnonzero(column.isna().to_numpy())[0])
        raise ValueError(
            f"{path}, line {data[row][0]}: the class attribute {name!r} is missing."
        )
    if kind is not None:
        return column.to_numpy(dtype=object)
    y = column.to_numpy()
    return y.astype(np.int64) if np.all(y == np.round(y)) else y


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
