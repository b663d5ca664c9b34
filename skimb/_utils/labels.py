"""String labels kept cheap: their classes, counts, codes and target type
without sorting Python strings.

scikit-learn and imbalanced-learn find the classes of a label array with
``np.unique``, a sort. On an object array of strings (``'fraud'``, ``'ok'``,
as a table's label column arrives) that sort compares Python objects: 0.6 s
per 750,000 labels, paid by every fold's fit, resampler, memory estimate and
scoring, minutes over a comparison of a 10^6-row table. The same labels as a
fixed-width numpy string array (:func:`compact_labels`) sort 12 times
faster and compare equal to the originals; for object arrays that stay
(mixed types), :func:`unique_labels` hashes once and sorts only the distinct
values.
"""

import numpy as np
import pandas as pd
from sklearn.utils.multiclass import check_classification_targets

__all__ = ["check_targets", "compact_labels", "label_codes", "unique_labels"]

_MANY = 1000  # below this many labels numpy's own sort is as fast


def compact_labels(y):
    """``y`` as a fixed-width numpy string array when it is an object array
    of strings only; anything else unchanged.

    Examples
    --------
    >>> compact_labels(np.array(["ok", "fraud"], dtype=object)).dtype
    dtype('<U5')
    >>> compact_labels(np.array([1, "a"], dtype=object)).dtype
    dtype('O')
    """
    y = np.asarray(y)
    if y.dtype.kind == "O" and pd.api.types.infer_dtype(y, skipna=False) == "string":
        return y.astype(str)
    return y


def _hashed(y):
    return y.ndim == 1 and y.dtype.kind == "O" and len(y) >= _MANY


def check_targets(y):
    """scikit-learn's ``check_classification_targets(y)`` for a 1-D ``y``.

    On many string labels in an object array it checks their distinct
    values instead (the verdict is the same: binary or multiclass by their
    number), so that a fit does not sort its labels once more.
    """
    y = np.asarray(y)
    if _hashed(y) and isinstance(y.flat[0], str):
        y = unique_labels(y)
    check_classification_targets(y)


def unique_labels(y, return_counts=False):
    """``np.unique(y)`` (and its counts) of a 1-D label array.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
    return_counts : bool, default=False

    Returns
    -------
    classes : ndarray
        Sorted distinct labels, as ``np.unique`` returns them.
    counts : ndarray of int64
        Only when ``return_counts``: rows per class.

    Examples
    --------
    >>> unique_labels(np.array(["ok", "fraud", "ok"]), return_counts=True)
    (array(['fraud', 'ok'], dtype='<U5'), array([1, 2]))
    """
    y = np.asarray(y)
    if not _hashed(y):
        return np.unique(y, return_counts=return_counts)
    classes = np.unique(np.asarray(pd.unique(y), dtype=object))
    if not return_counts:
        return classes
    codes = _positions(pd.Index(classes), classes, y)
    if codes is None:  # a label hashing can't place (NaN, say): sort
        return np.unique(y, return_counts=True)
    return classes, np.bincount(codes, minlength=len(classes)).astype(np.int64)


def label_codes(classes, *arrays):
    """Each array as positions in ``classes``, or the arrays unchanged when
    one holds a label outside ``classes``.

    scikit-learn's metrics find the labels of their inputs by sorting them on
    every call, which for string labels costs more than the metric itself on
    a large table; a hash lookup once per scoring, then integer labels, gives
    the same values. Returns ``(codes, arrays)``: ``codes`` the positions
    ``0..len(classes)-1`` (or ``classes`` itself when not encoded).

    Examples
    --------
    >>> codes, (y,) = label_codes(["no", "yes"], np.array(["yes", "no", "yes"]))
    >>> codes, y.tolist()
    ([0, 1], [1, 0, 1])
    """
    classes = list(classes)
    index = pd.Index(classes)
    if not index.is_unique:
        return classes, arrays
    coded = []
    for values in arrays:
        positions = _positions(index, classes, np.asarray(values).ravel())
        if positions is None:
            return classes, arrays
        coded.append(positions)
    return list(range(len(classes))), tuple(coded)


def _positions(index, classes, values):
    """Positions of ``values`` in ``classes`` (None if one is not there): a
    binary search for numbers and numpy strings, a hash lookup for objects
    (pandas would first copy numpy strings into objects)."""
    if values.dtype.kind != "O":
        try:
            names = np.asarray(classes, dtype=values.dtype)
            order = np.argsort(names, kind="stable")
            at = np.minimum(np.searchsorted(names[order], values), len(names) - 1)
        except (TypeError, ValueError):
            pass
        else:
            if (
                np.array_equal(names, np.asarray(classes))
                and (names[order][at] == values).all()
            ):
                return order[at]
    positions = index.get_indexer(values)
    return None if (positions < 0).any() else positions
