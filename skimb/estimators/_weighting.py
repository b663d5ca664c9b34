"""Class-weight rules, shared by the weighted-loss and weighted-sampler estimators.

Every rule resolves, at fit, to one non-negative float per class aligned with
``classes_``; the estimators store it as ``class_weight_``.
"""

import numbers
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .._utils.validation import (
    InstanceOf,
    Options,
    check_class_values,
    check_number,
    check_param,
)

__all__ = [
    "CLASS_WEIGHT_CONSTRAINTS",
    "CLASS_WEIGHT_RULES",
    "EffectiveNumber",
    "PowerRule",
    "check_class_weight",
    "check_num_samples",
]


def _normalise(raw, counts):
    # Scale so that the mean weight per training sample is 1, as 'balanced'
    # is; classes without (weighted) samples get weight 0.
    raw = np.where(counts > 0, raw, 0.0)
    return raw * counts.sum() / (raw * counts).sum()


# Frozen dataclasses: a rule is a value (its repr, equality and hash are its
# parameter's), so clone, pickling and skimb.save treat it as such.
@dataclass(frozen=True)
class EffectiveNumber:
    """Class weights from the effective number of samples (Cui et al., 2019).

    ``w_c`` is proportional to ``(1 - beta) / (1 - beta ** n_c)``:
    ``beta -> 0`` gives uniform weights, ``beta -> 1`` inverse frequency.
    Weights are scaled so the mean weight per training sample is 1.

    Parameters
    ----------
    beta : float in [0, 1), default=0.999

    References
    ----------
    Cui, Y., Jia, M., Lin, T.-Y., Song, Y. and Belongie, S. (2019).
    Class-Balanced Loss Based on Effective Number of Samples. CVPR.

    Examples
    --------
    >>> import numpy as np
    >>> EffectiveNumber(beta=0.9)(np.array([100.0, 10.0])).round(3)
    array([0.954, 1.464])
    """

    beta: float = 0.999

    def __call__(self, counts):
        beta = check_number(
            self.beta,
            "beta",
            min_val=0.0,
            max_val=1.0,
            include_boundaries="left",
            allowed="a real number in [0, 1)",
        )
        counts = np.asarray(counts, dtype=np.float64)
        raw = (1.0 - beta) / np.maximum(
            -np.expm1(counts * np.log(beta)) if beta > 0 else 1.0, 1e-300
        )
        return _normalise(raw, counts)


@dataclass(frozen=True)
class PowerRule:
    """Class weights proportional to ``n_c ** -q``.

    ``q = 1`` is 'balanced' (inverse frequency), ``q = 0.5`` 'sqrt'; used by
    the sampler, ``q = 0.5`` is square-root sampling (Kang et al., 2020).
    Weights are scaled so the mean weight per training sample is 1.

    Parameters
    ----------
    q : float >= 0, default=0.5

    References
    ----------
    Kang, B. et al. (2020). Decoupling Representation and Classifier for
    Long-Tailed Recognition. ICLR.

    Examples
    --------
    >>> import numpy as np
    >>> PowerRule(q=0.5)(np.array([100.0, 25.0])).round(3)
    array([0.833, 1.667])
    """

    q: float = 0.5

    def __call__(self, counts):
        q = check_number(self.q, "q", min_val=0.0, allowed="a non-negative real number")
        counts = np.asarray(counts, dtype=np.float64)
        raw = np.power(np.maximum(counts, 1e-300), -q)
        return _normalise(raw, counts)


#: The string rules ``class_weight`` accepts, and what they stand for.
CLASS_WEIGHT_RULES = {
    "balanced": "inverse frequency, n / (n_classes * n_c)",
    "sqrt": "PowerRule(q=0.5)",
    "effective": "EffectiveNumber(beta=0.999)",
}

#: What ``class_weight`` may be, for the estimators' parameter tables; a
#: dict's labels and weights are checked at fit (:func:`check_class_weight`).
CLASS_WEIGHT_CONSTRAINTS = [
    None,
    Options(*CLASS_WEIGHT_RULES),
    InstanceOf(
        (EffectiveNumber, PowerRule), ["an EffectiveNumber", "a PowerRule rule"]
    ),
    InstanceOf(Mapping, "a dict mapping class labels to non-negative finite weights"),
]


def check_class_weight(
    class_weight, *, classes, y=None, sample_weight=None, counts=None
):
    """Validate ``class_weight`` and resolve it to one weight per class.

    Parameters
    ----------
    class_weight : None, 'balanced', 'sqrt', 'effective', rule or dict
        ``None`` gives every class weight 1. ``'balanced'`` gives class ``c``
        the weight ``n_samples / (n_classes * n_c)`` (inverse frequency,
        scikit-learn's formula), where ``n_c`` is the (sample-weighted) count
        of class ``c``. ``'sqrt'`` is ``PowerRule(0.5)`` and ``'effective'``
        ``EffectiveNumber(0.999)``; pass a rule object for other exponents
        or betas. A dict maps labels to weights; labels it does not name keep
        weight 1.
    classes : ndarray of shape (n_classes,)
        The sorted class labels, as in ``classes_``.
    y : array-like of shape (n_samples,)
        Training labels (original, not encoded).
    sample_weight : array-like of shape (n_samples,), default=None
        Used by ``'balanced'`` to count each class.
    counts : array-like of shape (n_classes,), default=None
        (Weighted) class counts to use instead of ``y`` and
        ``sample_weight`` (for example accumulated over ``partial_fit``
        calls). Classes with count 0 get weight 0 under every rule.

    Returns
    -------
    class_weight_ : ndarray of shape (n_classes,), dtype float64
        The weight of each class, aligned with ``classes``.

    Raises
    ------
    TypeError
        If ``class_weight`` is of an unsupported type, or a dict weight is not
        a real number.
    ValueError
        If a string rule is unknown, a dict names a label absent from ``y``,
        or a weight is negative or not finite.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array(["a", "a", "a", "b"])
    >>> check_class_weight("balanced", classes=np.array(["a", "b"]), y=y)
    array([0.66666667, 2.        ])
    >>> check_class_weight({"b": 5}, classes=np.array(["a", "b"]), y=y)
    array([1., 5.])
    """
    classes = np.asarray(classes)
    check_param("class_weight", class_weight, CLASS_WEIGHT_CONSTRAINTS)
    if class_weight is None:
        return np.ones(len(classes), dtype=np.float64)
    if isinstance(class_weight, str):
        # 'balanced' is n / (n_present * n_c): scikit-learn's compute_class_weight
        # numbers (tested against it), from counts so that partial_fit can
        # accumulate them; a class without samples gets weight 0.
        class_weight = {"balanced": PowerRule(1.0), "sqrt": PowerRule(0.5)}.get(
            class_weight, EffectiveNumber()
        )
    if isinstance(class_weight, Mapping):
        return check_class_values(
            class_weight, "class_weight", classes, noun="weight", where="y", default=1.0
        )
    if counts is None:
        counts = class_counts(classes, y, sample_weight)
    return class_weight(np.asarray(counts, dtype=np.float64))


def class_counts(classes, y, sample_weight=None):
    """(Sample-weighted) number of samples of each class, aligned with classes.

    Examples
    --------
    >>> class_counts(np.array(["a", "b"]), np.array(["b", "b", "a"]))
    array([1., 2.])
    """
    classes = np.asarray(classes)
    index = np.searchsorted(classes, np.asarray(y))
    return np.bincount(index, weights=sample_weight, minlength=len(classes)).astype(
        np.float64
    )


def check_num_samples(num_samples, n_samples, *, replacement=True, n_positive=None):
    """Validate the sampler's ``num_samples`` and resolve ``None`` to ``n_samples``.

    Parameters
    ----------
    num_samples : int or None
        Draws per epoch; ``None`` means one per training sample.
    n_samples : int
        Number of training samples.
    replacement : bool, default=True
        Without replacement at most ``n_positive`` draws are possible.
    n_positive : int, default=None
        Number of samples with a non-zero draw probability (``n_samples``
        when None).

    Returns
    -------
    num_samples_ : int

    Examples
    --------
    >>> check_num_samples(None, 100)
    100
    >>> check_num_samples(250, 100)
    250
    """
    if num_samples is None:
        num_samples = n_samples
    num_samples = check_number(
        num_samples,
        "num_samples",
        numbers.Integral,
        min_val=1,
        allowed="None or a positive integer",
    )
    if not replacement:
        n_positive = n_samples if n_positive is None else n_positive
        if num_samples > n_positive:
            raise ValueError(
                "With replacement=False, num_samples must be at most the number of "
                f"training samples with a non-zero draw probability ({n_positive}); "
                f"got num_samples={num_samples}. Use replacement=True or a smaller "
                "num_samples."
            )
    return num_samples
