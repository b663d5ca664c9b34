"""skimb.datasets._builtin: the built-in data sets and their train/test splits."""

import gzip
import os
import struct

import numpy as np
import pytest

from skimb.datasets import DATASETS, DataSplit, load_dataset

IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def test_constants():
    assert DATASETS == ("digits", "synthetic", "mnist", "fashion-mnist")


# --------------------------------------------------------------------- digits


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", test_size=0.25, random_state=0)


def test_digits_shapes_dtypes_range(digits):
    assert isinstance(digits, DataSplit)
    assert digits.name == "digits"
    assert digits.X_train.shape == (1347, 64)
    assert digits.X_test.shape == (450, 64)
    assert digits.y_train.shape == (1347,)
    assert digits.y_test.shape == (450,)
    for X in (digits.X_train, digits.X_test):
        assert X.dtype == np.float32
        assert X.min() >= 0.0 and X.max() <= 1.0
    assert digits.X_train.max() == 1.0
    for y in (digits.y_train, digits.y_test):
        assert y.dtype == np.int64


def test_digits_stratified_and_info(digits):
    np.testing.assert_array_equal(np.unique(digits.y_train), np.arange(10))
    np.testing.assert_array_equal(np.unique(digits.y_test), np.arange(10))
    # Stratified: each class is held out in proportion to its size.
    totals = np.bincount(digits.y_train) + np.bincount(digits.y_test)
    assert np.all(np.abs(np.bincount(digits.y_test) - 0.25 * totals) <= 1)
    info = digits.info
    assert info["n_classes"] == 10
    assert info["n_features"] == 64
    assert info["source"] == "sklearn.datasets.load_digits"
    assert info["train_counts"] == dict(enumerate(np.bincount(digits.y_train)))
    assert sum(info["test_counts"].values()) == 450


def test_digits_deterministic(digits):
    again = load_dataset("digits", test_size=0.25, random_state=0)
    np.testing.assert_array_equal(again.X_train, digits.X_train)
    np.testing.assert_array_equal(again.y_test, digits.y_test)
    other = load_dataset("digits", test_size=0.25, random_state=1)
    assert not np.array_equal(other.y_train, digits.y_train)


def test_digits_test_size():
    split = load_dataset("digits", test_size=0.5)
    assert len(split.y_test) in (898, 899)
    assert len(split.y_train) + len(split.y_test) == 1797


# ------------------------------------------------------------------ synthetic


def test_synthetic_sizes_classes_range():
    split = load_dataset(
        "synthetic", n_samples=300, n_features=12, n_classes=3, test_size=0.2
    )
    assert split.X_train.shape == (240, 12)
    assert split.X_test.shape == (60, 12)
    assert split.X_train.dtype == np.float32 and split.X_test.dtype == np.float32
    for X in (split.X_train, split.X_test):
        assert X.min() >= 0.0 and X.max() <= 1.0
    # Scaled with the train part's range: every train feature spans [0, 1].
    np.testing.assert_allclose(split.X_train.min(axis=0), 0.0, atol=1e-6)
    np.testing.assert_allclose(split.X_train.max(axis=0), 1.0, atol=1e-6)
    np.testing.assert_array_equal(np.unique(split.y_train), [0, 1, 2])
    np.testing.assert_array_equal(np.unique(split.y_test), [0, 1, 2])
    assert split.y_train.dtype == np.int64
    assert split.info["n_classes"] == 3 and split.info["n_informative"] == 6


def test_synthetic_few_features():
    # n_informative = 2 leaves a single feature for redundant ones.
    split = load_dataset("synthetic", n_samples=100, n_features=3, n_classes=2)
    assert split.X_train.shape == (75, 3)


def test_synthetic_deterministic():
    kwargs = dict(n_samples=100, n_features=4, n_classes=2, random_state=3)
    a = load_dataset("synthetic", **kwargs)
    b = load_dataset("synthetic", **kwargs)
    np.testing.assert_array_equal(a.X_test, b.X_test)


# -------------------------------------------------------------- MNIST on disk


def _write_idx(folder, n_train=20, n_test=10, *, compress=False, seed=0):
    """Write the four MNIST IDX files; return the arrays written."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    written = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        contents = {
            f"{prefix}-images-idx3-ubyte": struct.pack(">IIII", 2051, n, 28, 28)
            + images.tobytes(),
            f"{prefix}-labels-idx1-ubyte": struct.pack(">II", 2049, n)
            + labels.tobytes(),
        }
        for filename, data in contents.items():
            path = os.path.join(folder, filename)
            if compress:
                with gzip.open(path + ".gz", "wb") as f:
                    f.write(data)
            else:
                with open(path, "wb") as f:
                    f.write(data)
        written[prefix] = (images, labels)
    return written


def _assert_loaded(split, written):
    for X, y, prefix in (
        (split.X_train, split.y_train, "train"),
        (split.X_test, split.y_test, "t10k"),
    ):
        images, labels = written[prefix]
        assert X.dtype == np.float32 and y.dtype == np.int64
        assert X.shape == (len(labels), 784)
        np.testing.assert_array_equal(
            X, images.reshape(len(labels), 784).astype(np.float32) / np.float32(255)
        )
        np.testing.assert_array_equal(y, labels.astype(np.int64))


@pytest.mark.parametrize(
    "name, folder", [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")]
)
def test_mnist_style_from_idx_files(tmp_path, name, folder):
    written = _write_idx(tmp_path / folder / "raw")
    split = load_dataset(name, data_dir=tmp_path)
    _assert_loaded(split, written)
    assert split.name == name
    assert split.info["source"] == f"torchvision.datasets.{folder}"
    assert split.info["n_features"] == 784


def test_mnist_from_gzipped_idx_files(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    written = _write_idx(raw, n_train=12, n_test=6, compress=True, seed=1)
    split = load_dataset("mnist", data_dir=str(tmp_path))
    _assert_loaded(split, written)
    # torchvision reads uncompressed files only: they were extracted in place,
    # byte for byte, with no temporary file left behind.
    for filename in IDX_FILES:
        with gzip.open(raw / (filename + ".gz"), "rb") as compressed:
            assert (raw / filename).read_bytes() == compressed.read()
    assert sorted(os.listdir(raw)) == sorted(
        [*IDX_FILES, *(f + ".gz" for f in IDX_FILES)]
    )


@pytest.mark.parametrize(
    "name, folder", [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")]
)
def test_mnist_style_missing_files(tmp_path, name, folder):
    expected = os.path.join(str(tmp_path), folder, "raw")
    with pytest.raises(FileNotFoundError) as excinfo:
        load_dataset(name, data_dir=tmp_path)
    message = str(excinfo.value)
    assert expected in message
    for filename in IDX_FILES:
        assert filename in message
    assert "download=True" in message and "--download" in message


def test_mnist_partial_files_names_the_missing_one(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    _write_idx(raw)
    os.remove(raw / "t10k-labels-idx1-ubyte")
    with pytest.raises(FileNotFoundError, match="missing: t10k-labels-idx1-ubyte"):
        load_dataset("mnist", data_dir=tmp_path)


@pytest.mark.parametrize("name", ["mnist", "fashion-mnist"])
def test_mnist_style_requires_data_dir(name):
    with pytest.raises(ValueError, match="data_dir is required"):
        load_dataset(name)


# ------------------------------------------------------------ loader options


@pytest.mark.parametrize("name", ["cifar10", "MNIST", "", None, 3])
def test_unknown_name(name):
    with pytest.raises(ValueError, match=r"name must be one of 'digits'.*; got"):
        load_dataset(name)


@pytest.mark.parametrize("test_size", [0, 0.0, 1, 1.5, -0.1, float("nan")])
def test_bad_test_size_value(test_size):
    with pytest.raises(ValueError, match=r"test_size must be .*\(0, 1\); got"):
        load_dataset("digits", test_size=test_size)


@pytest.mark.parametrize("test_size", ["0.2", None, True])
def test_bad_test_size_type(test_size):
    with pytest.raises(TypeError, match="test_size must be"):
        load_dataset("digits", test_size=test_size)


@pytest.mark.parametrize("param", ["n_samples", "n_features", "n_classes"])
def test_bad_synthetic_sizes(param):
    with pytest.raises(ValueError, match=f"{param} must be a positive integer; got 0"):
        load_dataset("synthetic", **{param: 0})
    with pytest.raises(TypeError, match=f"{param} must be a positive integer"):
        load_dataset("synthetic", **{param: 10.0})
