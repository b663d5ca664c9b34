"""Shared fixtures: fixed seeds, tiny run settings, the tiny data sets several
test files use."""

from types import MappingProxyType, SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import settings

from skimb.estimators._weighting import check_class_weight

# Timing varies on a shared 2-core machine; property tests check maths, not speed.
settings.register_profile("skimb", deadline=None, derandomize=True)
settings.load_profile("skimb")


@pytest.fixture
def rng():
    """A fixed-seed numpy generator for test data."""
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _fixed_torch_seed():
    torch.manual_seed(0)
    yield


@pytest.fixture(scope="session")
def tiny():
    """The smallest options of a comparison or benchmark that still train
    every net: 2 folds, 2 epochs, 8 hidden units, on the CPU, no progress bar.

    Read-only, so that one test cannot change another's settings; use
    ``{**tiny, "cv": 3}`` for a variant.
    """
    return MappingProxyType(
        dict(
            cv=2,
            max_epochs=2,
            hidden_units=8,
            batch_size=64,
            progress=False,
            device="cpu",
        )
    )


@pytest.fixture(scope="session")
def tiny_net():
    """The smallest net settings the estimator tests train with: 3 epochs,
    batches of 16, 8 hidden units, on the CPU.

    Read-only; use ``{**tiny_net, "max_epochs": 10}`` for a variant.
    """
    return MappingProxyType(
        dict(max_epochs=3, batch_size=16, module__hidden_units=8, device="cpu")
    )


@pytest.fixture
def churn():
    """``churn(n=240, seed=0)``: a user-style table with numeric, categorical
    and missing values, and string labels ('churn', about 12 %, and 'stay')."""

    def make(n=240, seed=0):
        rng = np.random.default_rng(seed)
        churned = rng.random(n) < 0.12
        df = pd.DataFrame(
            {
                "tenure": np.where(churned, rng.normal(3, 2, n), rng.normal(20, 8, n)),
                "charges": rng.normal(70, 20, n),
                "plan": rng.choice(["basic", "plus", "pro"], n),
                "label": np.where(churned, "churn", "stay"),
            }
        )
        df.loc[rng.choice(n, 15, replace=False), "charges"] = np.nan
        df.loc[rng.choice(n, 10, replace=False), "plan"] = None
        return df

    return make


@pytest.fixture
def two_classes():
    """40 rows of 5 uniform float32 features; string labels 'a' and 'b', 20 each."""
    X = np.random.default_rng(0).random((40, 5), dtype=np.float32)
    y = np.repeat(["a", "b"], 20)
    return X, y


@pytest.fixture
def gauss60():
    """60 rows of 3 standard-normal float32 features (labels are up to the test)."""
    return np.random.RandomState(0).randn(60, 3).astype(np.float32)


@pytest.fixture
def three_classes():
    """103 rows of 12 uniform features; classes 0, 1, 2 with 83, 12 and 8 rows."""
    X = np.random.default_rng(0).random((103, 12), dtype=np.float32)
    y = np.r_[np.zeros(83, int), np.ones(12, int), np.full(8, 2)]
    return X, y


@pytest.fixture
def long_tail():
    """Classes 0, 1, 2 with 500, 50 and 5 rows of 4 uniform features, their
    counts and their 'balanced' class weights."""
    counts = np.array([500.0, 50.0, 5.0])
    y = np.repeat([0, 1, 2], counts.astype(int))
    X = np.random.default_rng(0).random((len(y), 4), dtype=np.float32)
    balanced = check_class_weight("balanced", classes=np.arange(3), y=y)
    return SimpleNamespace(X=X, y=y, counts=counts, balanced=balanced)


@pytest.fixture
def refuses(two_classes):
    """``refuses(estimator, fit_kwargs, error, match)``: fitting on two small
    classes raises ``error`` matching ``match`` (one epoch unless set)."""
    X, y = two_classes

    def check(estimator, kwargs, error, match):
        with pytest.raises(error, match=match):
            estimator.set_params(
                max_epochs=estimator.max_epochs if estimator.max_epochs != 30 else 1
            ).fit(X, y, **kwargs)

    return check


def _hand_row(method, fold, bal_acc, classes=(0, 1, 2), rule="trained", **extra):
    # A result row as compare writes it, with made-up scores.
    row = {
        "method": method,
        "rule": rule,
        "seed": 0,
        "fold": fold,
        "status": "ok",
        "error": "",
        "balanced_accuracy": bal_acc,
        "macro_f1": bal_acc - 0.1,
        "geometric_mean": bal_acc - 0.2,
        "minority_recall": bal_acc / 2,
        "majority_recall": 0.9,
        "fit_time": 1.5,
        "samples_per_epoch": 300,
        **{f"recall_{c}": bal_acc for c in classes},
    }
    if fold == "test":
        three = [[5, 1, 0], [2, 3, 1], [0, 1, 4]]
        row["confusion"] = three if len(classes) == 3 else [[8, 2], [1, 4]]
    row.update(extra)
    return row


@pytest.fixture
def hand_row():
    """``hand_row(method, fold, bal_acc, classes=(0, 1, 2), rule='trained',
    **extra)``: one result row with made-up scores (``extra`` overrides)."""
    return _hand_row


@pytest.fixture
def hand_result():
    """A ComparisonResult written by hand: two methods (asked for as
    weighted-loss, baseline) over two folds and the test part, classes 0-2,
    trained rows only."""
    from skimb.evaluation import ComparisonResult

    rows = pd.DataFrame(
        [
            _hand_row("baseline", 0, 0.5, fit_time=1.0),
            _hand_row("baseline", 1, 0.7, fit_time=2.0, samples_per_epoch=310),
            _hand_row("baseline", "test", 0.65),
            _hand_row("weighted-loss", 0, 0.8),
            _hand_row("weighted-loss", 1, 0.8),
            _hand_row("weighted-loss", "test", 0.75),
        ]
    )
    return ComparisonResult(
        rows, {"methods": ["weighted-loss", "baseline"]}, classes=[0, 1, 2]
    )
