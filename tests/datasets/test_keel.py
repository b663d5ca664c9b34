"""skimb.datasets._keel: the KEEL ``.dat`` reader."""

import numpy as np
import pandas as pd
import pytest

from skimb.datasets import read_keel_dat

DAT = """@relation tiny
@attribute Colour {red, green, blue}
@attribute Size real [0.0, 10.0]
@attribute Count integer [0, 9]
@attribute Id integer [1, 9]
@attribute Class {pos, neg}
@inputs Colour, Size, Count
@outputs Class
@data
red, 1.5, 3, 1, neg
green, ?, 4, 2, pos
blue, 2.25, <null>, 3, neg
?, 7.0, 0, 4, neg
"""


def write(tmp_path, text, name="tiny.dat"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_read_keel_dat_nominal_numeric_missing(tmp_path):
    X, y = read_keel_dat(write(tmp_path, DAT))

    # Id is not among @inputs, so it is dropped.
    assert list(X.columns) == ["Colour", "Size", "Count"]
    assert isinstance(X["Colour"].dtype, pd.CategoricalDtype)
    assert X["Colour"].cat.categories.tolist() == ["red", "green", "blue"]
    assert X["Colour"].tolist()[:3] == ["red", "green", "blue"]
    assert pd.isna(X["Colour"].iloc[3])
    np.testing.assert_array_equal(X["Size"].to_numpy(), [1.5, np.nan, 2.25, 7.0])
    np.testing.assert_array_equal(X["Count"].to_numpy(), [3, 4, np.nan, 0])
    assert X["Size"].dtype == np.float64
    assert y.tolist() == ["neg", "pos", "neg", "neg"]


def test_read_keel_dat_without_inputs_outputs_takes_last_as_class(tmp_path):
    text = """@relation numeric
@attribute a real
@attribute b REAL[0,1]
@attribute label integer [1, 3]
@DATA
0.5,1,3
1.5,0,1
"""
    X, y = read_keel_dat(write(tmp_path, text))

    assert list(X.columns) == ["a", "b"]
    assert y.dtype == np.int64
    assert y.tolist() == [3, 1]


@pytest.mark.parametrize(
    "row, message",
    [
        ("red, 1.5, 3, 1", r"line 10: expected 5 comma-separated values .* got 4"),
        (
            "purple, 1.5, 3, 1, neg",
            r"line 10: nominal attribute 'Colour' holds 'purple'",
        ),
        (
            "red, big, 3, 1, neg",
            r"line 10: attribute 'Size' is numeric but holds 'big'",
        ),
        ("red, 1.5, 3, 1, ?", r"line 10: the class attribute 'Class' is missing"),
    ],
)
def test_read_keel_dat_bad_row(tmp_path, row, message):
    header = DAT.split("@data\n")[0] + "@data\n"
    with pytest.raises(ValueError, match=message):
        read_keel_dat(write(tmp_path, header + row + "\n"))


def test_read_keel_dat_bad_header(tmp_path):
    with pytest.raises(ValueError, match=r"type of attribute 'x' must be 'real'"):
        read_keel_dat(write(tmp_path, "@attribute x date\n@data\n1\n"))
    with pytest.raises(ValueError, match="no @data line"):
        read_keel_dat(write(tmp_path, "@attribute x real\n"))
    with pytest.raises(ValueError, match=r"undeclared attributes \['y'\]"):
        read_keel_dat(write(tmp_path, "@attribute x real\n@outputs y\n@data\n1\n"))
