"""The built-in data sets, each as a train/test split.

:func:`load_dataset` returns a train/test :class:`DataSplit` with features as
float32 in ``[0, 1]`` and int64 labels. The imbalance recipes that subsample
a training part are in :mod:`skimb.datasets._imbalance`.
"""

import gzip
import numbers
import os
from dataclasses import dataclass, field

import numpy as np

from .._utils.files import atomic_write
from .._utils.labels import unique_labels
from .._utils.validation import check_number, one_of

__all__ = ["DATASETS", "DataSplit", "label_counts", "load_dataset"]

#: The names :func:`load_dataset` accepts.
DATASETS = ("digits", "synthetic", "mnist", "fashion-mnist")

# The torchvision dataset class and its folder under ``data_dir`` (torchvision
# reads ``<data_dir>/<class name>/raw/``).
_TORCHVISION = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}

# The uncompressed files torchvision's MNIST-style datasets require (all four,
# whichever split is asked for).
_IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


@dataclass
class DataSplit:
    """A train/test split of one data set.

    Attributes
    ----------
    X_train, X_test : ndarray or DataFrame of shape (n_samples, n_features)
        Features: float32 scaled to ``[0, 1]`` for the built-in data sets, as
        given for a user's data (a DataFrame keeps its columns).
    y_train, y_test : ndarray of shape (n_samples,)
        Class labels (int64 for the built-in data sets, any type otherwise).
    name : str
        The data set's name, as given to :func:`load_dataset`.
    info : dict
        Provenance and sizes: ``source``, ``split``, ``n_classes``,
        ``n_features``, ``train_counts`` and ``test_counts`` (dicts mapping
        each label to its number of samples).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    name: str
    info: dict = field(default_factory=dict)


def label_counts(y):
    """``{label: count}`` of ``y``, labels sorted and as plain Python values.

    Examples
    --------
    >>> label_counts(np.array(["b", "a", "b"]))
    {'a': 1, 'b': 2}
    """
    labels, counts = unique_labels(y, return_counts=True)
    return {
        (label.item() if isinstance(label, np.generic) else label): int(count)
        for label, count in zip(labels, counts, strict=True)
    }


def _check_test_size(test_size):
    return check_number(
        test_size,
        "test_size",
        min_val=0,
        max_val=1,
        include_boundaries="neither",
        allowed="a float in the open interval (0, 1)",
    )


def load_dataset(
    name="digits",
    *,
    data_dir=None,
    download=False,
    test_size=0.25,
    n_samples=5000,
    n_features=64,
    n_classes=10,
    random_state=0,
):
    """Load a benchmark data set as a train/test :class:`DataSplit`.

    Parameters
    ----------
    name : {'digits', 'synthetic', 'mnist', 'fashion-mnist'}, default='digits'
        ``'digits'`` is scikit-learn's embedded 8x8 digits (1797 samples, 64
        features, 10 classes; pixels divided by 16). ``'synthetic'`` is
        :func:`~sklearn.datasets.make_classification` data, min-max scaled
        with the train part's range (the test part is clipped to ``[0, 1]``).
        ``'mnist'`` and ``'fashion-mnist'`` are read through torchvision from
        ``data_dir`` with their official 60000/10000 split (784 features,
        pixels divided by 255).
    data_dir : str or path-like, default=None
        Root folder of the torchvision data sets; required for ``'mnist'``
        and ``'fashion-mnist'``, ignored otherwise. The files are read from
        ``<data_dir>/MNIST/raw/`` or ``<data_dir>/FashionMNIST/raw/``; files
        there that are only present gzipped (``.gz``) are decompressed next
        to themselves first.
    download : bool, default=False
        Let torchvision download missing MNIST-style files (needs internet).
    test_size : float, default=0.25
        Fraction of samples held out, stratified by class, for ``'digits'``
        and ``'synthetic'``. Ignored (but still validated) for the official
        MNIST-style splits.
    n_samples, n_features, n_classes : int, default=5000, 64, 10
        Size of the ``'synthetic'`` data; ignored otherwise. It has
        ``min(n_features, max(2, n_features // 2))`` informative features and
        one cluster per class.
    random_state : int, RandomState instance or None, default=0
        Seeds the synthetic data and the hold-out split.

    Returns
    -------
    split : DataSplit
        Features as float32 in ``[0, 1]``, labels as int64.

    Raises
    ------
    ValueError
        If ``name`` or ``test_size`` is invalid, or ``data_dir`` is missing
        for an MNIST-style data set.
    FileNotFoundError
        If the MNIST-style files are not in ``data_dir`` and ``download`` is
        False.

    Examples
    --------
    >>> split = load_dataset("digits", test_size=0.25, random_state=0)
    >>> split.X_train.shape, split.X_test.shape
    ((1347, 64), (450, 64))
    >>> split.X_train.dtype, split.y_train.dtype
    (dtype('float32'), dtype('int64'))
    >>> split.info["n_classes"], split.info["test_counts"][0]
    (10, 45)
    """
    if not isinstance(name, str) or name not in DATASETS:
        raise ValueError(f"name must be {one_of(DATASETS)}; got {name!r}.")
    test_size = _check_test_size(test_size)

    if name == "digits":
        X_train, X_test, y_train, y_test, info = _load_digits(test_size, random_state)
    elif name == "synthetic":
        X_train, X_test, y_train, y_test, info = _load_synthetic(
            test_size,
            check_number(n_samples, "n_samples", numbers.Integral, min_val=1),
            check_number(n_features, "n_features", numbers.Integral, min_val=1),
            check_number(n_classes, "n_classes", numbers.Integral, min_val=1),
            random_state,
        )
    else:
        X_train, X_test, y_train, y_test, info = _load_torchvision(
            name, data_dir, download
        )

    info.update(
        n_classes=int(len(np.unique(np.concatenate([y_train, y_test])))),
        n_features=int(X_train.shape[1]),
        train_counts=label_counts(y_train),
        test_counts=label_counts(y_test),
    )
    return DataSplit(X_train, y_train, X_test, y_test, name=name, info=info)


def _load_digits(test_size, random_state):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    y = y.astype(np.int64)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=random_state
    )
    info = {
        "source": "sklearn.datasets.load_digits",
        "split": "stratified hold-out",
        "image_shape": [1, 8, 8],
    }
    return X_train, X_test, y_train, y_test, info


def _load_synthetic(test_size, n_samples, n_features, n_classes, random_state):
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import MinMaxScaler

    n_informative = min(n_features, max(2, n_features // 2))
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_informative,
        # scikit-learn's default of 2, reduced where fewer features are left.
        n_redundant=min(2, n_features - n_informative),
        n_classes=n_classes,
        n_clusters_per_class=1,
        random_state=random_state,
    )
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=random_state
    )
    scaler = MinMaxScaler(clip=True).fit(X_train)
    X_train = scaler.transform(X_train).astype(np.float32)
    X_test = scaler.transform(X_test).astype(np.float32)
    info = {
        "source": "sklearn.datasets.make_classification",
        "split": "stratified hold-out",
        "n_informative": n_informative,
    }
    return X_train, X_test, y_train.astype(np.int64), y_test.astype(np.int64), info


def _decompress_gz_files(raw_folder):
    # torchvision only reads uncompressed files; it decompresses the ``.gz``
    # files itself only right after downloading them.
    for filename in _IDX_FILES:
        target = os.path.join(raw_folder, filename)
        source = target + ".gz"
        if os.path.isfile(target) or not os.path.isfile(source):
            continue
        with gzip.open(source, "rb") as compressed:
            atomic_write(target, compressed)


def _load_torchvision(name, data_dir, download):
    import torchvision.datasets

    folder = _TORCHVISION[name]
    if data_dir is None:
        raise ValueError(
            f"data_dir is required for name={name!r}: it must be the folder that "
            f"holds (or will hold) {folder}/raw/; got None."
        )
    data_dir = os.fspath(data_dir)
    raw_folder = os.path.join(data_dir, folder, "raw")
    if os.path.isdir(raw_folder):
        _decompress_gz_files(raw_folder)

    dataset_class = getattr(torchvision.datasets, folder)
    try:
        train = dataset_class(root=data_dir, train=True, download=download)
        test = dataset_class(root=data_dir, train=False, download=download)
    except RuntimeError as exc:
        if download or "Dataset not found" not in str(exc):
            raise
        missing = [
            f for f in _IDX_FILES if not os.path.isfile(os.path.join(raw_folder, f))
        ]
        raise FileNotFoundError(
            f"The {name} data set was not found in {raw_folder + os.sep!r}. "
            f"Put the four IDX files {', '.join(_IDX_FILES)} (uncompressed, or "
            f"gzipped with a .gz suffix) in that folder; missing: "
            f"{', '.join(missing) or 'none'}. With internet access, pass "
            "download=True (--download on the command line) to fetch them."
        ) from exc

    def to_arrays(dataset):
        images = dataset.data.numpy()
        X = images.reshape(len(images), -1).astype(np.float32) / np.float32(255)
        y = dataset.targets.numpy().astype(np.int64)
        return X, y

    X_train, y_train = to_arrays(train)
    X_test, y_test = to_arrays(test)
    info = {
        "image_shape": [1, 28, 28],
        "source": f"torchvision.datasets.{folder}",
        "split": "official",
        "data_dir": data_dir,
    }
    return X_train, X_test, y_train, y_test, info
