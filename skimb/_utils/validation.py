"""One checker for numeric parameters, on top of scikit-learn's ``check_scalar``,
and one for flags.

Every module validates its numbers here, so that every error names the
parameter, the allowed values and what was received in the same words.
"""

import math
import numbers

import numpy as np
from sklearn.utils import check_scalar

__all__ = ["check_bool", "check_number", "one_of"]

_BRACKETS = {
    "both": ("[", "]"),
    "left": ("[", ")"),
    "right": ("(", "]"),
    "neither": ("(", ")"),
}


def _describe(target_type, min_val, max_val, include_boundaries):
    integral = target_type is numbers.Integral
    kind = "an integer" if integral else "a finite float"
    if min_val is None and max_val is None:
        return kind
    low_closed = include_boundaries in ("both", "left")
    high_closed = include_boundaries in ("both", "right")
    if max_val is None and min_val == 0:
        sign = "non-negative" if low_closed else "positive"
        return f"a {sign} {'integer' if integral else 'finite float'}"
    if max_val is None and integral and min_val == 1 and low_closed:
        return "a positive integer"
    if max_val is None:
        return f"{kind} {'>=' if low_closed else '>'} {min_val}"
    if min_val is None:
        return f"{kind} {'<=' if high_closed else '<'} {max_val}"
    left, right = _BRACKETS[include_boundaries]
    return f"{kind} in {left}{min_val}, {max_val}{right}"


def check_number(
    value,
    name,
    target_type=numbers.Real,
    *,
    min_val=None,
    max_val=None,
    include_boundaries="both",
    allowed=None,
):
    """Validate a numeric parameter and return it as ``int`` or ``float``.

    scikit-learn's :func:`~sklearn.utils.check_scalar` does the type and range
    checks; this adds the rejection of booleans and non-finite floats (which
    ``check_scalar`` lets through) and one message format.

    Parameters
    ----------
    value : object
        The value received.
    name : str
        The parameter's name, as the user writes it.
    target_type : numbers.Integral or numbers.Real, default=numbers.Real
        The accepted type.
    min_val, max_val : float or None, default=None
        The bounds.
    include_boundaries : {'both', 'left', 'right', 'neither'}, default='both'
        Which bounds are allowed values.
    allowed : str or None, default=None
        The allowed values in words; derived from the bounds when None.

    Returns
    -------
    value : int or float

    Raises
    ------
    TypeError
        If ``value`` is not of ``target_type`` (booleans never are).
    ValueError
        If ``value`` is out of range or not finite.

    Examples
    --------
    >>> check_number(3, "max_epochs", numbers.Integral, min_val=0)
    3
    >>> check_number(-1.0, "lr", min_val=0)
    Traceback (most recent call last):
    ...
    ValueError: lr must be a non-negative finite float; got -1.0.
    """
    if allowed is None:
        allowed = _describe(target_type, min_val, max_val, include_boundaries)
    if isinstance(value, bool) or not isinstance(value, target_type):
        raise TypeError(
            f"{name} must be {allowed}; got {value!r} of type {type(value).__name__}."
        )
    if not math.isfinite(value):
        raise ValueError(f"{name} must be {allowed}; got {value!r}.")
    try:
        check_scalar(
            value,
            name,
            target_type,
            min_val=min_val,
            max_val=max_val,
            include_boundaries=include_boundaries,
        )
    except ValueError as exc:
        if "include_boundaries" in str(exc):
            raise  # the caller's bounds are inconsistent, not the value wrong
        raise ValueError(f"{name} must be {allowed}; got {value!r}.") from None
    return int(value) if target_type is numbers.Integral else float(value)


def check_bool(value, name):
    """Validate a flag and return it as ``bool`` (NumPy booleans accepted).

    Integers are refused: ``download=0`` is more likely a slip than a choice.

    Examples
    --------
    >>> check_bool(True, "download")
    True
    >>> check_bool("no", "download")
    Traceback (most recent call last):
    ...
    TypeError: download must be a bool; got 'no' of type str.
    """
    if not isinstance(value, bool | np.bool_):
        raise TypeError(
            f"{name} must be a bool; got {value!r} of type {type(value).__name__}."
        )
    return bool(value)


def one_of(values):
    """The allowed values of an error message, ``"one of 'a', 'b'"``.

    Examples
    --------
    >>> one_of(("keel", "openml"))
    "one of 'keel', 'openml'"
    """
    return "one of " + ", ".join(repr(v) for v in values)
