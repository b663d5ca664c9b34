"""Every bad input a user can send, with its exact error type and message.

A regression in any message shows here.
"""

import numpy as np
import pytest
import torch

from skimb import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier

X = np.random.default_rng(0).random((40, 5), dtype=np.float32)
y = np.repeat(["a", "b"], 20)

CASES = [
    # (estimator, fit kwargs, error, message fragment)
    (
        WeightedLossClassifier(class_weight="inverse"),
        {},
        ValueError,
        r"class_weight must be None, 'balanced', 'sqrt', 'effective', .*; got the "
        r"string "
        r"'inverse'",
    ),
    (
        WeightedSamplerClassifier(class_weight=2),
        {},
        TypeError,
        r"class_weight must be .*; got an object of type int",
    ),
    (
        WeightedLossClassifier(class_weight={"z": 2.0}),
        {},
        ValueError,
        r"class_weight names labels that are not in y: \['z'\]; the labels in y are "
        r"\['a', 'b'\]",
    ),
    (
        WeightedLossClassifier(class_weight={"a": -1}),
        {},
        ValueError,
        r"class_weight\['a'\] must be a non-negative finite real number; got -1",
    ),
    (
        WeightedSamplerClassifier(class_weight={"a": np.nan}),
        {},
        ValueError,
        r"class_weight\['a'\] must be a non-negative finite real number; got nan",
    ),
    (
        WeightedSamplerClassifier(num_samples=0),
        {},
        ValueError,
        r"num_samples must be None or a positive integer; got 0",
    ),
    (
        WeightedSamplerClassifier(num_samples=1.5),
        {},
        TypeError,
        r"num_samples must be None or a positive integer; got 1.5",
    ),
    (
        WeightedSamplerClassifier(num_samples=41, replacement=False),
        {},
        ValueError,
        r"replacement=False, num_samples must be at most .* \(40\); got num_samples=41",
    ),
    (
        WeightedSamplerClassifier(replacement="no"),
        {},
        TypeError,
        r"replacement must be True or False; got 'no'",
    ),
    (
        NetClassifier(),
        {"sample_weight": np.ones(3)},
        ValueError,
        r"sample_weight.shape == \(3,\), expected \(40,\)",
    ),
    (
        WeightedLossClassifier(),
        {"sample_weight": -np.ones(40)},
        ValueError,
        r"Negative values in data passed to `sample_weight`",
    ),
    (
        NetClassifier(batch_size=0),
        {},
        ValueError,
        r"batch_size must be a positive integer or -1 \(all samples\); got 0",
    ),
    (
        NetClassifier(batch_size=2.0),
        {},
        TypeError,
        r"batch_size must be a positive integer or -1 .*; got 2.0 of type float",
    ),
    (
        NetClassifier(max_epochs=-1),
        {},
        ValueError,
        r"max_epochs must be a non-negative integer; got -1",
    ),
    (
        NetClassifier(lr=-0.1),
        {},
        ValueError,
        r"lr must be a non-negative finite float; got -0.1",
    ),
    (
        NetClassifier(device="tpu"),
        {},
        ValueError,
        r"device must be 'auto', 'cpu', 'cuda', .*; got 'tpu'",
    ),
    (NetClassifier(device=3.5), {}, TypeError, r"device must be .*; got 3.5"),
    (
        NetClassifier(callbacks="print"),
        {},
        TypeError,
        r"callbacks must be None or a list of skorch callbacks",
    ),
    (NetClassifier(random_state="seed"), {}, ValueError, r"cannot be used to seed"),
]


@pytest.mark.parametrize(
    "estimator, kwargs, error, match",
    CASES,
    ids=[f"{type(c[0]).__name__}-{i}" for i, c in enumerate(CASES)],
)
def test_bad_parameters(estimator, kwargs, error, match):
    with pytest.raises(error, match=match):
        estimator.set_params(
            max_epochs=estimator.max_epochs if estimator.max_epochs != 30 else 1
        ).fit(X, y, **kwargs)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_gpu():
    with pytest.raises(
        ValueError, match=r"device='cuda' was requested but no CUDA GPU"
    ):
        NetClassifier(device="cuda", max_epochs=1).fit(X, y)


@pytest.mark.parametrize(
    "X_bad, y_bad, error, match",
    [
        (np.full((4, 2), np.nan), [0, 1, 0, 1], ValueError, "Input X contains NaN"),
        (np.full((4, 2), np.inf), [0, 1, 0, 1], ValueError, "Input X contains inf"),
        (np.empty((0, 2)), [], ValueError, "0 sample"),
        (np.ones(4), [0, 1, 0, 1], ValueError, "Expected 2D array"),
        (
            np.array([["a", "b"]] * 4, dtype=object),
            [0, 1, 0, 1],
            ValueError,
            "could not convert string to float",
        ),
        (np.ones((4, 2)) + 1j, [0, 1, 0, 1], ValueError, "Complex data not supported"),
        (np.ones((4, 2)), [0.5, 1.5, 0.2, 1.1], ValueError, "Unknown label type"),
        (
            np.ones((4, 2)),
            [1, 1, 1, 1],
            ValueError,
            r"needs samples of at least 2 classes; y holds only one class: \[1\]",
        ),
        (np.ones((4, 2)), [0, 1, 0], ValueError, "inconsistent numbers of samples"),
    ],
)
def test_bad_data(X_bad, y_bad, error, match):
    with pytest.raises(error, match=match):
        NetClassifier(max_epochs=1).fit(X_bad, np.asarray(y_bad))


def test_sparse_rejected():
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="Sparse data was passed"):
        NetClassifier(max_epochs=1).fit(sparse.csr_matrix(X), y)


def test_predict_errors():
    clf = NetClassifier(max_epochs=1)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        clf.predict(X)
    clf.fit(X, y)
    with pytest.raises(
        ValueError, match="X has 3 features, but NetClassifier is expecting 5 features"
    ):
        clf.predict(X[:, :3])


def test_errors_leave_a_fitted_model_untouched():
    clf = NetClassifier(max_epochs=1, random_state=0).fit(X, y)
    before = clf.predict_proba(X)
    with pytest.raises(ValueError):
        clf.set_params(batch_size=0).fit(X, y)
    np.testing.assert_array_equal(
        clf.set_params(batch_size=64).predict_proba(X), before
    )
