"""The checks of the run options (:class:`~._options.RunConfig`): each
``check(value, name)`` returns the normalised value or raises a TypeError or
ValueError naming the option, the allowed values and what was received."""

import numbers
import os

import numpy as np
import torch

from .._utils.device import resolve_device
from .._utils.validation import check_number
from ..datasets._imbalance import check_imbalance_options
from ._methods import METHODS, REPLACED


def integer(min_val, allowed=None):
    def check(value, name):
        return check_number(
            value, name, numbers.Integral, min_val=min_val, allowed=allowed
        )

    return check


def optional_integer(min_val):
    def check(value, name):
        if value is None:
            return None
        return check_number(
            value,
            name,
            numbers.Integral,
            min_val=min_val,
            allowed=f"None or an integer >= {min_val}",
        )

    return check


def batch_size(value, name):
    if value is None or (isinstance(value, str) and value == "auto"):
        return value
    allowed = "None, 'auto' or an integer >= 1"
    if isinstance(value, str):
        raise ValueError(f"{name} must be {allowed}; got {value!r}.")
    return check_number(value, name, numbers.Integral, min_val=1, allowed=allowed)


def positive_float(value, name):
    return check_number(value, name, min_val=0, include_boundaries="neither")


def fraction(value, name):
    return check_number(
        value,
        name,
        min_val=0,
        max_val=1,
        include_boundaries="neither",
        allowed="a float in the open interval (0, 1)",
    )


def recipe_number(value, name):
    # The ranges belong to make_imbalanced: ask it, the other numbers valid.
    valid = dict(majority_keep=1.0, minority_keep=1.0, ratio=2.0)
    check_imbalance_options("none", majority_class=None, **{**valid, name: value})
    return value


def instance(types, allowed):
    def check(value, name):
        if not isinstance(value, types):
            raise TypeError(
                f"{name} must be {allowed}; got {value!r} of type "
                f"{type(value).__name__}."
            )
        return value

    return check


def flag(value, name):
    return bool(instance((bool, np.bool_), "True or False")(value, name))


optional_text = instance((str, type(None)), "a str or None")
optional_path = instance((str, os.PathLike, type(None)), "a str, a path or None")
# A class label or column name: one value, not a list of them.
label = instance((str, numbers.Number, type(None)), "a single label (str or int)")


def one_of(allowed_values, *, optional=False):
    def check(value, name):
        if (value is None and optional) or (
            isinstance(value, str) and value in allowed_values
        ):
            return value
        allowed = ", ".join(map(repr, allowed_values)) + (" or None" * optional)
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}.")

    return check


def methods(value, name):
    try:
        names = [value] if isinstance(value, str) else list(value)
    except TypeError:
        raise TypeError(
            f"{name} must be a non-empty subset of {list(METHODS)}; got {value!r}."
        ) from None
    replaced = [m for m in names if m in REPLACED]
    if replaced:
        raise ValueError(
            f"{name}: {replaced[0]!r} is no longer a method of its own; use "
            f"{REPLACED[replaced[0]]}."
        )
    unknown = [m for m in names if m not in METHODS]
    if unknown or not names:
        raise ValueError(
            f"{name} must be a non-empty subset of {list(METHODS)}; got "
            f"{names!r}" + (f" (unknown: {unknown})." if unknown else ".")
        )
    return tuple(names)


def seeds(value, name):
    try:
        seeds = list(value)
    except TypeError:
        seeds = None
    if not seeds or any(
        isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0
        for s in seeds
    ):
        raise ValueError(f"{name} must be non-negative integers; got {value!r}.")
    return tuple(int(s) for s in seeds)


def n_jobs(value, name):
    if isinstance(value, str) and value == "auto":
        return value
    if value == -1 and not isinstance(value, bool):
        return -1
    return check_number(
        value, name, numbers.Integral, min_val=1, allowed="'auto', -1 or an int >= 1"
    )


def device(value, name):
    allowed = "'auto', 'cpu', 'cuda', 'cuda:<index>', 'mps' or a torch.device"
    if not isinstance(value, (str, torch.device)):
        raise TypeError(f"{name} must be {allowed}; got {value!r}.")
    try:
        torch.device(resolve_device(value))
    except RuntimeError:
        raise ValueError(f"{name} must be {allowed}; got {value!r}.") from None
    # Whether the device exists is the estimator's check: a remote Dask
    # worker may have the GPU this process lacks.
    return value


def reference(value, name):
    return one_of(list(METHODS))(value, name)
