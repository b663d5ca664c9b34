"""check_number: types, non-finite values, open and closed bounds, the messages."""

import math
import numbers

import numpy as np
import pytest

from skimb._utils.validation import check_number


# ---- accepted values and what comes back --------------------------------------
@pytest.mark.parametrize(
    "value, target_type, expected_type",
    [
        (3, numbers.Integral, int),
        (np.int64(3), numbers.Integral, int),
        (np.uint8(3), numbers.Integral, int),
        (3, numbers.Real, float),
        (2.5, numbers.Real, float),
        (np.float32(2.5), numbers.Real, float),
    ],
)
def test_returns_plain_python_numbers(value, target_type, expected_type):
    result = check_number(value, "x", target_type)
    assert type(result) is expected_type
    assert result == value


# ---- types ----------------------------------------------------------------------
@pytest.mark.parametrize("target_type", [numbers.Integral, numbers.Real])
@pytest.mark.parametrize("value", [True, False, np.bool_(True)])
def test_booleans_are_rejected(value, target_type):
    with pytest.raises(TypeError) as exc:
        check_number(value, "flag", target_type)
    assert str(exc.value).endswith(f"; got {value!r} of type bool.")
    assert str(exc.value).startswith("flag must be ")


@pytest.mark.parametrize(
    "value, target_type, message",
    [
        (1.5, numbers.Integral, "n must be an integer; got 1.5 of type float."),
        (2.0, numbers.Integral, "n must be an integer; got 2.0 of type float."),
        ("3", numbers.Real, "n must be a finite float; got '3' of type str."),
        (None, numbers.Real, "n must be a finite float; got None of type NoneType."),
        (1 + 0j, numbers.Real, "n must be a finite float; got (1+0j) of type complex."),
    ],
)
def test_wrong_types(value, target_type, message):
    with pytest.raises(TypeError) as exc:
        check_number(value, "n", target_type)
    assert str(exc.value) == message


# ---- non-finite values -----------------------------------------------------------
@pytest.mark.parametrize(
    "value", [math.nan, math.inf, -math.inf, np.float32("nan"), np.float64("inf")]
)
@pytest.mark.parametrize("max_val", [None, 10.0])
def test_nan_and_inf_are_rejected(value, max_val):
    # check_scalar alone lets nan through every bound and inf through an
    # open upper one
    with pytest.raises(ValueError) as exc:
        check_number(value, "lr", min_val=None, max_val=max_val)
    assert str(exc.value).startswith("lr must be a finite float")
    assert str(exc.value).endswith(f"; got {value!r}.")


# ---- bounds -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "include_boundaries, low_ok, high_ok, words",
    [
        ("both", True, True, "a finite float in [0, 1]"),
        ("left", True, False, "a finite float in [0, 1)"),
        ("right", False, True, "a finite float in (0, 1]"),
        ("neither", False, False, "a finite float in (0, 1)"),
    ],
)
def test_bounds_open_and_closed(include_boundaries, low_ok, high_ok, words):
    kwargs = dict(min_val=0, max_val=1, include_boundaries=include_boundaries)
    assert check_number(0.5, "p", **kwargs) == 0.5
    for value, ok in ((0, low_ok), (1, high_ok)):
        if ok:
            assert check_number(value, "p", **kwargs) == value
        else:
            with pytest.raises(ValueError) as exc:
                check_number(value, "p", **kwargs)
            assert str(exc.value) == f"p must be {words}; got {value!r}."
    for value in (-0.001, 1.001):
        with pytest.raises(ValueError) as exc:
            check_number(value, "p", **kwargs)
        assert str(exc.value) == f"p must be {words}; got {value!r}."


@pytest.mark.parametrize(
    "target_type, kwargs, rejected, words",
    [
        (numbers.Real, dict(min_val=0), -1e-9, "a non-negative finite float"),
        (
            numbers.Real,
            dict(min_val=0, include_boundaries="neither"),
            0.0,
            "a positive finite float",
        ),
        (numbers.Integral, dict(min_val=0), -1, "a non-negative integer"),
        (numbers.Integral, dict(min_val=1), 0, "a positive integer"),
        (numbers.Integral, dict(min_val=2), 1, "an integer >= 2"),
        (
            numbers.Real,
            dict(min_val=1, include_boundaries="neither"),
            1.0,
            "a finite float > 1",
        ),
        (numbers.Real, dict(max_val=5), 5.5, "a finite float <= 5"),
        (
            numbers.Real,
            dict(max_val=5, include_boundaries="neither"),
            5.0,
            "a finite float < 5",
        ),
        (numbers.Integral, dict(min_val=1, max_val=3), 4, "an integer in [1, 3]"),
    ],
)
def test_messages_name_parameter_allowed_values_and_value(
    target_type, kwargs, rejected, words
):
    with pytest.raises(ValueError) as exc:
        check_number(rejected, "size", target_type, **kwargs)
    assert str(exc.value) == f"size must be {words}; got {rejected!r}."


def test_allowed_words_override_the_derived_ones():
    allowed = "None or a positive integer"
    with pytest.raises(ValueError) as exc:
        check_number(0, "num_samples", numbers.Integral, min_val=1, allowed=allowed)
    assert str(exc.value) == "num_samples must be None or a positive integer; got 0."
    with pytest.raises(TypeError) as exc:
        check_number(1.5, "num_samples", numbers.Integral, allowed=allowed)
    assert str(exc.value) == (
        "num_samples must be None or a positive integer; got 1.5 of type float."
    )


def test_inconsistent_boundaries_are_not_blamed_on_the_value():
    with pytest.raises(ValueError) as exc:
        check_number(5, "x", max_val=10, include_boundaries="left")
    assert "got 5" not in str(exc.value)


# ---- parameter constraints ------------------------------------------------------
def test_constraints_tell_a_wrong_type_from_a_wrong_value():
    from skimb._utils.validation import Boolean, Interval, Options, check_param

    batch_size = [
        Interval(numbers.Integral, 1, None, closed="left"),
        Options(-1, note="all samples"),
    ]
    assert check_param("batch_size", -1, batch_size) == -1
    assert check_param("batch_size", np.int64(8), batch_size) == 8
    with pytest.raises(ValueError) as exc:
        check_param("batch_size", 0, batch_size)
    assert str(exc.value) == (
        "batch_size must be a positive integer or -1 (all samples); got 0."
    )
    for wrong_type in (-1.0, True, "64"):  # -1.0 == -1, True == 1: still refused
        with pytest.raises(TypeError, match="of type"):
            check_param("batch_size", wrong_type, batch_size)
    lr = [Interval(numbers.Real, 0, None, closed="left")]
    with pytest.raises(ValueError, match=r"finite float; got inf\.$"):
        check_param("lr", math.inf, lr)
    assert check_param("flag", np.bool_(False), [Boolean()]) is not None
    with pytest.raises(TypeError, match=r"flag must be True or False; got 1 of type"):
        check_param("flag", 1, [Boolean()])
