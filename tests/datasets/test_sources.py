"""What compare accepts as data: names, files, frames, arrays and splits."""

import numpy as np
import pandas as pd
import pytest

from skimb.datasets import DataSplit
from skimb.datasets._sources import check_data_name, load_data


def test_names_files_and_prefixes_are_recognised(tmp_path):
    for name in ("digits", "keel:yeast4", "imblearn:ecoli", "openml:31", "x.csv"):
        check_data_name(name)
    with pytest.raises(ValueError, match=r"got 'digts'.*Did you mean 'digits'"):
        check_data_name("digts")


def test_each_route_gives_a_split():
    split, builtin = load_data("digits")
    assert builtin and split.name == "digits"
    keel, builtin = load_data("keel:ecoli1", test_size=0.5)
    assert not builtin and keel.name == "keel:ecoli1"
    assert len(keel.y_train) + len(keel.y_test) == 336
    X = np.random.default_rng(0).random((40, 2))
    y = np.r_[["a"] * 30, ["b"] * 10]
    arrays, builtin = load_data(X, y, name="mine")
    assert not builtin and arrays.name == "mine" and set(arrays.y_test) == {"a", "b"}
    frame, _ = load_data(pd.DataFrame({"x": X[:, 0], "label": y}), target="label")
    assert list(frame.X_train.columns) == ["x"]
    given = DataSplit(X[:30], y[:30], X[30:], y[30:], "given")
    split, builtin = load_data(given)
    assert split is given and not builtin


def test_bad_combinations():
    X = np.zeros((4, 2))
    with pytest.raises(TypeError, match="y is required when data holds the features"):
        load_data(X)
    with pytest.raises(ValueError, match="either y or target"):
        load_data(X, [0, 1, 0, 1], target="label")


@pytest.mark.parametrize("name", ["cifar", "digitz"])
def test_an_unknown_name_lists_what_data_can_be(name):
    with pytest.raises(
        ValueError, match=r"data must be a built-in data set \(digits, "
    ):
        load_data(name)
