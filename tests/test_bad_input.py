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


def test_late_data_errors_leave_a_fitted_model_untouched():
    """Errors found after the labels and weights were read (here the sampler's
    num_samples against the new data) restore the previous fitted state."""
    clf = WeightedSamplerClassifier(
        max_epochs=1, random_state=0, replacement=False, num_samples=30
    ).fit(X, y)
    before = clf.predict_proba(X)
    state = (list(clf.classes_), clf.n_features_in_, clf.class_weight_.copy())
    X_new = np.random.default_rng(1).random((20, 3), dtype=np.float32)
    y_new = np.repeat(["x", "y"], 10)
    with pytest.raises(ValueError, match="at most the number of training samples"):
        clf.fit(X_new, y_new)
    assert (list(clf.classes_), clf.n_features_in_) == state[:2]
    np.testing.assert_array_equal(clf.class_weight_, state[2])
    np.testing.assert_array_equal(clf.predict_proba(X), before)


# ---- long-tail options -------------------------------------------------------
LONGTAIL_CASES = [
    (
        lambda: WeightedLossClassifier(
            class_weight=__import__("skimb.weighting").weighting.EffectiveNumber(1.5),
            max_epochs=1,
        ).fit(X, y),
        ValueError,
        r"beta must be a real number in \[0, 1\); got 1.5",
    ),
    (
        lambda: WeightedLossClassifier(reweight_epoch=-2, max_epochs=1).fit(X, y),
        ValueError,
        r"reweight_epoch .* non-negative integer.*; got -2",
    ),
    (
        lambda: NetClassifier(prior=[-0.5, 1.5], max_epochs=1).fit(X, y),
        ValueError,
        r"prior\[0\] must be a non-negative finite real number; got -0.5",
    ),
    (
        lambda: __import__("skimb.losses").losses.LogitAdjustedLoss([1.0, 2.0], tau=-1),
        ValueError,
        r"tau must be a non-negative finite float; got -1",
    ),
    (
        lambda: __import__("skimb.losses").losses.FocalLoss(gamma=-1),
        ValueError,
        r"gamma must be a non-negative finite float; got -1",
    ),
    (
        lambda: __import__("skimb.losses").losses.LDAMLoss([1.0, 2.0], s=0),
        ValueError,
        r"s must be",
    ),
    (
        lambda: WeightedSamplerClassifier(schedule="cosine", max_epochs=1).fit(X, y),
        ValueError,
        r"schedule must be 'constant' or 'progressive'; got 'cosine'",
    ),
]


@pytest.mark.parametrize("call, error, match", LONGTAIL_CASES)
def test_bad_longtail_options(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---- compare options (the CLI turns each into exit status 2) -----------------
@pytest.mark.parametrize(
    "options, match",
    [
        (dict(dataset="cifar"), r"dataset must be one of \['digits', 'synthetic', "),
        (dict(methods=["magic"]), r"methods must be a non-empty subset .*magic"),
        (dict(methods=[]), r"methods must be a non-empty subset"),
        (dict(cv=1), r"cv must be an integer >= 2; got 1"),
        (dict(seeds=[-1]), r"seeds must be non-negative integers; got \[-1\]"),
        (dict(imbalance="zipf"), r"recipe must be"),
        (dict(imbalance="step", ratio=0.5), r"ratio must be"),
        (dict(majority_keep=0), r"majority_keep must be"),
        (dict(minority_keep=2), r"minority_keep must be"),
        (dict(resume=True, output=None), r"resume=True needs an output folder"),
    ],
)
def test_bad_compare_options(options, match):
    from skimb.comparison import run_comparison

    with pytest.raises(ValueError, match=match):
        run_comparison(**{"output": None, "progress": False, **options})


# ---- persistence files -------------------------------------------------------
def test_bad_persistence_files(tmp_path):
    import skimb

    (tmp_path / "junk").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="refused to load .*not a skimb model file"):
        skimb.load(tmp_path / "junk")
    torch.save({"format": "something-else"}, tmp_path / "other")
    with pytest.raises(ValueError, match="not a skimb-estimator file"):
        skimb.load(tmp_path / "other")
    with pytest.raises(FileNotFoundError):
        skimb.load(tmp_path / "missing")
