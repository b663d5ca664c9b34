"""The benchmark sets that are downloaded once and cached: imbalanced-learn's
(:func:`imblearn.datasets.fetch_datasets`) and OpenML's
(:func:`sklearn.datasets.fetch_openml`).

Both fetchers keep their files under scikit-learn's ``data_home``; with
``download=False`` a set missing from that cache raises a
:class:`FileNotFoundError` that says where the cache is, without touching the
network.
"""

import gzip
import json
import os
from urllib.error import URLError
from urllib.parse import urlparse

import pandas as pd

# imbalanced-learn's sets, in the order of its ids (1 to 27).
IMBLEARN_NAMES = (
    "ecoli",
    "optical_digits",
    "satimage",
    "pen_digits",
    "abalone",
    "sick_euthyroid",
    "spectrometer",
    "car_eval_34",
    "isolet",
    "us_crime",
    "yeast_ml8",
    "scene",
    "libras_move",
    "thyroid_sick",
    "coil_2000",
    "arrhythmia",
    "solar_flare_m0",
    "oil",
    "car_eval_4",
    "wine_quality",
    "letter_img",
    "yeast_me2",
    "webpage",
    "ozone_level",
    "mammography",
    "protein_homo",
    "abalone_19",
)


def _get_data_home(data_home):
    from sklearn.datasets import get_data_home

    return get_data_home(data_home=data_home)


def _not_cached(name, where, reason):
    return FileNotFoundError(
        f"The data set {name!r} is not in the local cache ({where}) and "
        f"could not be downloaded ({reason}). Load it once with internet "
        "access and download=True, which caches it there, or pass data_home= "
        "the folder that already holds the cache (the same folder as "
        "scikit-learn's data_home)."
    )


def load_imblearn(key, data_home, download):
    """``(X, y, source)`` of imbalanced-learn's set ``key``."""
    from imblearn.datasets import fetch_datasets

    home = _get_data_home(data_home)
    name = f"imblearn:{key}"
    where = os.path.join(home, "zenodo")
    try:
        bunch = fetch_datasets(
            filter_data=(key,), data_home=home, download_if_missing=download
        )[key]
    except OSError as exc:  # imblearn's "Data not found", or URLError
        raise _not_cached(name, where, exc) from exc
    return bunch.data, bunch.target, f"imblearn.datasets.fetch_datasets ({where})"


def _openml_cache_miss(key, home):
    # The first file scikit-learn's fetch_openml (1.6 to 1.9) would have to
    # download, or None when all are cached. Its cache mirrors the URL paths
    # of OpenML's API under <data_home>/openml/openml.org/, gzipped, so
    # download=False can be honoured without touching the network.
    root = os.path.join(home, "openml", "openml.org")

    def local(url_path):
        return os.path.join(root, url_path + ".gz")

    def read(path):
        with gzip.open(path, "rt", encoding="utf-8") as file:
            return json.load(file)

    if key.isdigit():
        data_id = int(key)
    else:
        search = local(f"api/v1/json/data/list/data_name/{key}/limit/2/status/active/")
        if not os.path.isfile(search):
            return search
        data_id = int(read(search)["data"]["dataset"][0]["did"])
    description = local(f"api/v1/json/data/{data_id}")
    if not os.path.isfile(description):
        return description
    url = read(description)["data_set_description"]["url"]
    for path in (
        local(f"api/v1/json/data/features/{data_id}"),
        local(f"api/v1/json/data/qualities/{data_id}"),
        local(urlparse(url).path.lstrip("/")),
    ):
        if not os.path.isfile(path):
            return path
    return None


def load_openml(key, data_home, download):
    """``(X, y, source)`` of the OpenML set named or numbered ``key``."""
    from sklearn.datasets import fetch_openml

    home = _get_data_home(data_home)
    name = f"openml:{key}"
    where = os.path.join(home, "openml")
    if not download:
        missing = _openml_cache_miss(key, home)
        if missing is not None:
            raise _not_cached(name, where, f"download=False and {missing} is absent")
    query = {"data_id": int(key)} if key.isdigit() else {"name": key}
    try:
        bunch = fetch_openml(**query, as_frame=True, data_home=home)
    except URLError as exc:
        raise _not_cached(name, where, exc) from exc
    if not isinstance(bunch.target, pd.Series):
        raise ValueError(
            f"{name} must have exactly one default target column to be used "
            f"as a classification data set; got {bunch.target_names}."
        )
    source = f"OpenML data_id={bunch.details['id']} ({bunch.url})"
    return bunch.data, bunch.target.to_numpy(), source
