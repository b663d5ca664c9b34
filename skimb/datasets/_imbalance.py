"""Class-imbalance recipes: subsample a (training) set to a chosen profile.

:func:`make_imbalanced` is applied to the train part only, so that the test
part keeps its original distribution; :func:`check_imbalance_options`
validates its options before any data are touched.
"""

import math

import numpy as np
import scipy.sparse as sp

from .._utils.validation import check_number, one_of

__all__ = ["IMBALANCE_RECIPES", "check_imbalance_options", "make_imbalanced"]

#: The recipes :func:`make_imbalanced` accepts.
IMBALANCE_RECIPES = ("none", "seed", "step", "longtail")


def check_imbalance_options(
    recipe, *, majority_class, majority_keep, minority_keep, ratio, classes=None
):
    """Validate the options of :func:`make_imbalanced`.

    The numeric options are checked whatever the recipe (their defaults are
    valid); ``majority_class`` is checked against ``classes`` only for the
    ``'seed'`` recipe, the only one that uses it.

    Parameters
    ----------
    recipe : str
        One of :data:`IMBALANCE_RECIPES`.
    majority_class : label
        The class ``'seed'`` keeps mostly.
    majority_keep, minority_keep : float
        Fractions in ``(0, 1]``.
    ratio : float
        Imbalance ratio, a finite real greater than 1.
    classes : array-like, default=None
        The labels present; when given, ``majority_class`` must be one of them.

    Raises
    ------
    TypeError
        If a numeric option is not a real number (booleans are not), or
        ``majority_class`` is a boolean while the labels are not.
    ValueError
        If ``recipe`` is unknown, a numeric option is out of range, or
        ``majority_class`` is not among ``classes``.

    Examples
    --------
    >>> check_imbalance_options("step", majority_class=0, majority_keep=0.9,
    ...                         minority_keep=0.1, ratio=10.0)
    >>> check_imbalance_options("step", majority_class=0, majority_keep=0.9,
    ...                         minority_keep=0.1, ratio=1)
    Traceback (most recent call last):
    ...
    ValueError: ratio must be a finite real number greater than 1; got 1.
    """
    if not isinstance(recipe, str) or recipe not in IMBALANCE_RECIPES:
        raise ValueError(f"recipe must be {one_of(IMBALANCE_RECIPES)}; got {recipe!r}.")
    fraction = "a real number in (0, 1]"
    for name, value in (
        ("majority_keep", majority_keep),
        ("minority_keep", minority_keep),
    ):
        check_number(
            value,
            name,
            min_val=0,
            max_val=1,
            include_boundaries="right",
            allowed=fraction,
        )
    check_number(
        ratio,
        "ratio",
        min_val=1,
        include_boundaries="neither",
        allowed="a finite real number greater than 1",
    )
    if recipe == "seed" and classes is not None:
        labels = np.unique(np.asarray(classes)).tolist()
        allowed = f"one of the classes present ({one_of(labels)})"
        labels_are_bool = bool(labels) and all(isinstance(c, bool) for c in labels)
        if isinstance(majority_class, bool) and not labels_are_bool:
            raise TypeError(
                f"majority_class must be {allowed}; got the boolean {majority_class!r}."
            )
        if majority_class not in labels:
            raise ValueError(
                f"majority_class must be {allowed}; got {majority_class!r}."
            )


def _floor(value):
    # Round down, forgiving floating-point error just below an integer
    # (0.29 * 100 is 28.999999999999996).
    return int(math.floor(value + 1e-9))


def _target_counts(
    recipe, classes, counts, *, majority_class, majority_keep, minority_keep, ratio
):
    n_classes = len(classes)
    if recipe == "seed":
        keep = {c: minority_keep for c in classes}
        keep[majority_class] = majority_keep
        return {
            c: max(1, _floor(keep[c] * n)) for c, n in zip(classes, counts, strict=True)
        }
    if recipe == "step":
        cut = set(classes[n_classes - n_classes // 2 :])
        return {
            c: max(1, _floor(n / ratio)) if c in cut else n
            for c, n in zip(classes, counts, strict=True)
        }
    # longtail
    if n_classes < 2:
        return dict(zip(classes, counts, strict=True))
    n_max = counts[0]
    return {
        c: min(n, max(1, _floor(n_max * ratio ** (-i / (n_classes - 1)))))
        for i, (c, n) in enumerate(zip(classes, counts, strict=True))
    }


def make_imbalanced(
    X,
    y,
    *,
    recipe="seed",
    majority_class=0,
    majority_keep=0.9,
    minority_keep=0.1,
    ratio=10.0,
    random_state=0,
):
    """Subsample ``X, y`` to an imbalanced class profile.

    Apply it to the training part only. Samples are drawn without replacement
    with :func:`imblearn.datasets.make_imbalance`; the kept samples stay in
    their original order. Each class keeps at least one sample, and counts are
    rounded down.

    Parameters
    ----------
    X : array-like, DataFrame or sparse matrix of shape (n_samples, n_features)
        Features.
    y : array-like of shape (n_samples,)
        Class labels.
    recipe : {'none', 'seed', 'step', 'longtail'}, default='seed'
        ``'none'`` returns the data unchanged. ``'seed'`` keeps the fraction
        ``majority_keep`` of class ``majority_class`` and ``minority_keep`` of
        every other class. ``'step'`` divides the counts of the last
        ``n_classes // 2`` classes (in sorted order) by ``ratio`` and keeps
        the others whole. ``'longtail'`` keeps ``n_0 * ratio ** (-i / (C - 1))``
        samples of the ``i``-th of the ``C`` sorted classes, where ``n_0`` is
        the first class's count (exponential profile of Cui et al., 2019),
        capped at each class's count.
    majority_class : label, default=0
        The class ``'seed'`` keeps mostly; it must be present in ``y``.
    majority_keep : float in (0, 1], default=0.9
        Fraction of ``majority_class`` kept by ``'seed'``.
    minority_keep : float in (0, 1], default=0.1
        Fraction of every other class kept by ``'seed'``.
    ratio : float > 1, default=10.0
        Imbalance ratio of ``'step'`` and ``'longtail'``.
    random_state : int, RandomState instance or None, default=0
        Seeds which samples are kept.

    Returns
    -------
    X_resampled : ndarray, DataFrame or sparse matrix
        The kept rows of ``X``.
    y_resampled : ndarray
        Their labels.

    Examples
    --------
    >>> import numpy as np
    >>> from skimb.datasets import load_dataset
    >>> split = load_dataset("digits")
    >>> np.bincount(split.y_train)
    array([133, 136, 133, 137, 136, 136, 136, 134, 131, 135])
    >>> X, y = make_imbalanced(split.X_train, split.y_train, recipe="seed")
    >>> np.bincount(y)
    array([119,  13,  13,  13,  13,  13,  13,  13,  13,  13])
    >>> X, y = make_imbalanced(split.X_train, split.y_train, recipe="step",
    ...                        ratio=10)
    >>> np.bincount(y)
    array([133, 136, 133, 137, 136,  13,  13,  13,  13,  13])
    >>> X, y = make_imbalanced(split.X_train, split.y_train, recipe="longtail",
    ...                        ratio=100)
    >>> np.bincount(y)
    array([133,  79,  47,  28,  17,  10,   6,   3,   2,   1])
    """
    if not (sp.issparse(X) or hasattr(X, "iloc")):
        X = np.asarray(X)
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-dimensional; got an array of shape {y.shape}.")
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"X and y must have the same number of samples; got {X.shape[0]} and "
            f"{y.shape[0]}."
        )
    classes, counts = np.unique(y, return_counts=True)
    check_imbalance_options(
        recipe,
        majority_class=majority_class,
        majority_keep=majority_keep,
        minority_keep=minority_keep,
        ratio=ratio,
        classes=classes,
    )
    if recipe == "none" or len(y) == 0:
        return X, y

    from imblearn.datasets import make_imbalance

    targets = _target_counts(
        recipe,
        classes.tolist(),
        counts.tolist(),
        majority_class=majority_class,
        majority_keep=majority_keep,
        minority_keep=minority_keep,
        ratio=ratio,
    )
    # Subsample row indices rather than X itself: any X works, and sorting the
    # kept indices preserves the original order (imbalanced-learn groups the
    # samples by class).
    index = np.arange(len(y)).reshape(-1, 1)
    kept, _ = make_imbalance(
        index, y, sampling_strategy=targets, random_state=random_state
    )
    kept = np.sort(kept.ravel())
    if hasattr(X, "iloc"):  # a DataFrame keeps its columns and dtypes
        return X.iloc[kept].reset_index(drop=True), y[kept]
    return X[kept], y[kept]
