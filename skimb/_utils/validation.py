"""Parameter checks, on top of scikit-learn's ``check_scalar`` and constraints,
and one for flags.

Every module validates its numbers with :func:`check_number` and the
estimators their parameter tables with :func:`validate_params`, so that every
error names the parameter, the allowed values and what was received in the
same words.
"""

import math
import numbers
from collections.abc import Mapping

import numpy as np
from sklearn.utils import check_scalar
from sklearn.utils._param_validation import Interval as _Interval
from sklearn.utils._param_validation import _Constraint, make_constraint
from sklearn.utils.validation import _is_arraylike_not_scalar

__all__ = [
    "ArrayLike",
    "Boolean",
    "InstanceOf",
    "Interval",
    "Options",
    "RANDOM_STATE",
    "check_bool",
    "check_class_values",
    "check_number",
    "check_param",
    "describe",
    "one_of",
    "validate_params",
]

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


# ---- parameter tables ---------------------------------------------------------
# The estimators declare their parameters as imbalanced-learn and scikit-learn
# do (``_parameter_constraints``: a name -> list of constraints, any one of
# which a valid value satisfies), with scikit-learn's constraint objects. The
# constraints here add what skimb's messages need: numbers that reject
# booleans and non-finite values, literal options in a fixed order, and words
# for the allowed values; ``check_param`` then tells a value of the wrong type
# (TypeError) from a wrong value of an accepted type (ValueError).


def _is_number(value, target_type):
    return not isinstance(value, (bool, np.bool_)) and isinstance(value, target_type)


def _join(words):
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


class Interval(_Interval):
    """scikit-learn's ``Interval``, without booleans or non-finite numbers,
    in :func:`check_number`'s words (``'a positive integer'``).

    Examples
    --------
    >>> print(Interval(numbers.Integral, 1, None, closed="left"))
    a positive integer
    """

    def is_satisfied_by(self, val):
        return self.type_matches(val) and math.isfinite(val) and val in self

    def type_matches(self, val):
        """Whether ``val`` is of the accepted type (a bad value, not a bad type)."""
        return _is_number(val, self.type)

    def __str__(self):
        return _describe(self.type, self.left, self.right, self.closed)


class Options(_Constraint):
    """Literal values (strings or integers), listed in the order given.

    Parameters
    ----------
    *values : str or int
        The accepted values.
    note : str or None, default=None
        Said after the last value, in parentheses (``-1 (all samples)``).

    Examples
    --------
    >>> print(Options("constant", "progressive"))
    'constant' or 'progressive'
    """

    def __init__(self, *values, note=None):
        super().__init__()
        self.values = values
        self.note = note

    @staticmethod
    def _same_kind(val, option):
        if isinstance(option, str):
            return isinstance(val, str)
        return _is_number(val, numbers.Integral)

    def is_satisfied_by(self, val):
        return any(self._same_kind(val, v) and val == v for v in self.values)

    def type_matches(self, val):
        return any(self._same_kind(val, v) for v in self.values)

    def words(self):
        words = [repr(v) for v in self.values]
        if self.note:
            words[-1] += f" ({self.note})"
        return words

    def __str__(self):
        return _join(self.words())


class Boolean(_Constraint):
    """``True`` or ``False`` (numpy's booleans too, never 0 or 1)."""

    def is_satisfied_by(self, val):
        return isinstance(val, (bool, np.bool_))

    def words(self):
        return ["True", "False"]

    def __str__(self):
        return _join(self.words())


class InstanceOf(_Constraint):
    """Instances of ``types``, described in ``words``.

    Parameters
    ----------
    types : type or tuple of types
    words : str or list of str
        What the user reads, for example ``'a dict'``; a list reads as
        alternatives (``["'cpu'", "a torch.device"]``).
    classes : bool, default=False
        Accept subclasses of ``types`` (the class itself) as well.
    instances : bool, default=True
        Accept instances of ``types``.
    """

    def __init__(self, types, words, *, classes=False, instances=True):
        super().__init__()
        self.types = types
        self.words_ = words
        self.classes = classes
        self.instances = instances

    def is_satisfied_by(self, val):
        if self.instances and isinstance(val, self.types):
            return True
        return self.classes and isinstance(val, type) and issubclass(val, self.types)

    def words(self):
        return [self.words_] if isinstance(self.words_, str) else list(self.words_)

    def __str__(self):
        return _join(self.words())


class ArrayLike(_Constraint):
    """Array-likes (lists, arrays, ...; not strings or scalars), in ``words``."""

    def __init__(self, words="an array-like"):
        super().__init__()
        self.words_ = words

    def is_satisfied_by(self, val):
        return not isinstance(val, (str, bytes)) and _is_arraylike_not_scalar(val)

    def __str__(self):
        return self.words_


#: ``random_state`` as :func:`sklearn.utils.check_random_state` takes it.
RANDOM_STATE = [
    None,
    Interval(numbers.Integral, 0, 2**32 - 1, closed="both"),
    InstanceOf(np.random.RandomState, "a numpy RandomState"),
]


def _constraint(constraint):
    return (
        constraint
        if isinstance(constraint, _Constraint)
        else (make_constraint(constraint))
    )


def describe(constraints):
    """The allowed values of a list of constraints, in words.

    Examples
    --------
    >>> describe([None, Interval(numbers.Integral, 1, None, closed="left")])
    'None or a positive integer'
    """
    words = []
    for c in map(_constraint, constraints):
        if not c.hidden:
            words += c.words() if hasattr(c, "words") else [str(c)]
    return _join(words)


def check_param(name, value, constraints):
    """Check one parameter against its constraints; return it unchanged.

    Parameters
    ----------
    name : str
        The parameter's name, as the user writes it.
    value : object
        The value received.
    constraints : list
        scikit-learn constraints (or what ``make_constraint`` takes); the
        value is valid when it satisfies any one.

    Returns
    -------
    value : object

    Raises
    ------
    TypeError
        If no constraint accepts the value's type.
    ValueError
        If one accepts its type but none its value.

    Examples
    --------
    >>> check_param("schedule", "cosine", [Options("constant", "progressive")])
    Traceback (most recent call last):
    ...
    ValueError: schedule must be 'constant' or 'progressive'; got 'cosine'.
    """
    constraints = [_constraint(c) for c in constraints]
    if any(c.is_satisfied_by(value) for c in constraints):
        return value
    allowed = describe(constraints)
    if any(getattr(c, "type_matches", c.is_satisfied_by)(value) for c in constraints):
        raise ValueError(f"{name} must be {allowed}; got {value!r}.")
    raise TypeError(
        f"{name} must be {allowed}; got {value!r} of type {type(value).__name__}."
    )


def validate_params(params, parameter_constraints):
    """Check every parameter that ``parameter_constraints`` names.

    The table is read as scikit-learn's ``_parameter_constraints``; the
    parameters are checked in its order, so the first bad one is reported.

    Parameters
    ----------
    params : dict
        Parameter name -> value (``get_params(deep=False)``).
    parameter_constraints : dict
        Parameter name -> list of constraints.
    """
    for name, constraints in parameter_constraints.items():
        if name in params:
            check_param(name, params[name], constraints)


def check_class_values(values, name, classes, *, noun, where, default=None):
    """One non-negative finite number per class, from a dict or an array-like.

    The shared check of the per-class parameters (``class_weight``,
    ``prior``): a dict maps labels of ``classes`` to numbers, an array-like
    is aligned with ``classes``.

    Parameters
    ----------
    values : dict or array-like
    name : str
        The parameter's name.
    classes : ndarray of shape (n_classes,)
        The sorted class labels.
    noun : str
        What one value is, for the messages (``'weight'``, ``'prior'``).
    where : str
        Where the labels come from, for the messages (``'y'``, ``'classes_'``).
    default : float or None, default=None
        The value of a label a dict does not name; ``None`` makes a dict name
        every label.

    Returns
    -------
    values : ndarray of shape (n_classes,), dtype float64
        Not all zero.

    Examples
    --------
    >>> check_class_values({"b": 5}, "class_weight", np.array(["a", "b"]),
    ...                    noun="weight", where="y", default=1.0)
    array([1., 5.])
    """
    labels = np.asarray(classes).tolist()
    if isinstance(values, Mapping):
        unknown = [key for key in values if key not in labels]
        if unknown:
            raise ValueError(
                f"{name} names labels that are not in {where}: {unknown!r}; the "
                f"labels in {where} are {labels!r}."
            )
        missing = [label for label in labels if label not in values]
        if missing and default is None:
            raise ValueError(
                f"{name} must give every class a {noun}; it does not name "
                f"{missing!r} ({where} is {labels!r})."
            )
        items = [(f"{name}[{lab!r}]", values.get(lab, default)) for lab in labels]
    else:
        flat = list(np.asarray(values, dtype=object).ravel())
        if np.ndim(values) != 1 or len(flat) != len(labels):
            raise ValueError(
                f"{name} must have one entry per class ({len(labels)}, aligned with "
                f"{where} {labels!r}); got shape {np.shape(values)}."
            )
        items = [(f"{name}[{i}]", value) for i, value in enumerate(flat)]
    for what, value in items:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError(
                f"{what} must be a non-negative finite real number; got {value!r} "
                f"of type {type(value).__name__}."
            )
        if not np.isfinite(value) or value < 0:
            raise ValueError(
                f"{what} must be a non-negative finite real number; got {value!r}."
            )
    array = np.array([value for _, value in items], dtype=np.float64)
    if not array.any():
        raise ValueError(
            f"{name} gives every class {noun} 0 ({values!r}); at least one class "
            f"needs a positive {noun}."
        )
    return array
