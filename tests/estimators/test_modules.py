"""Any torch module, as a class or an instance, in every skimb estimator."""

import os
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from torch import nn

import skimb
from skimb import (
    NetClassifier,
    SimpleNet,
    WeightedLossClassifier,
    WeightedSamplerClassifier,
)

ESTIMATORS = [NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier]
TINY = dict(max_epochs=2, batch_size=16, device="cpu")


@pytest.fixture
def data(rng):
    X = rng.normal(size=(80, 6)).astype(np.float32)
    y = np.where(X[:, 0] + 0.5 * rng.normal(size=80) > 0.8, "rare", "common")
    return X, y


def _instances():
    return [
        SimpleNet(n_features=6, n_classes=2, hidden_units=8),
        nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 2)),
    ]


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("which", [0, 1])
def test_a_module_instance_trains_and_is_never_changed(cls, which, data):
    X, y = data
    module = _instances()[which]
    before = [p.detach().clone() for p in module.parameters()]
    est = cls(module=module, random_state=0, **TINY).fit(X, y)
    # The parameter is the architecture and its initial weights: untouched.
    assert all(
        torch.equal(a, b) for a, b in zip(before, module.parameters(), strict=True)
    )
    assert est.module_ is not module
    assert set(est.predict(X)) <= {"rare", "common"}
    # A second fit starts from the same weights as the first.
    again = clone(est).fit(X, y)
    np.testing.assert_allclose(
        again.predict_proba(X), est.predict_proba(X), rtol=1e-5, atol=1e-6
    )
    restored = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(restored.predict(X), est.predict(X))


def test_instances_in_a_grid_search(data):
    X, y = data
    grid = GridSearchCV(
        WeightedLossClassifier(random_state=0, **TINY),
        {"module": _instances()},
        cv=2,
        scoring="balanced_accuracy",
    ).fit(X, y)
    assert grid.best_estimator_.module_ is not grid.best_params_["module"]


def test_a_skimb_module_instance_is_saved_by_its_arguments(data, tmp_path):
    X, y = data
    est = WeightedSamplerClassifier(module=_instances()[0], random_state=0, **TINY)
    est.fit(X, y)
    path = os.path.join(tmp_path, "net.skimb")
    skimb.save(est, path)
    loaded = skimb.load(path)
    assert isinstance(loaded.module, SimpleNet) and loaded.module.hidden_units == 8
    np.testing.assert_allclose(loaded.predict_proba(X), est.predict_proba(X))
    other = NetClassifier(module=_instances()[1], **TINY).fit(X, y)
    with pytest.raises(TypeError, match="Use pickle"):
        skimb.save(other, os.path.join(tmp_path, "other.skimb"))


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_a_module_with_the_wrong_output_is_a_clear_error(cls, data):
    X, y = data
    est = cls(module=nn.Linear(6, 3), **TINY)
    with pytest.raises(ValueError, match=r"output of shape \(2, 3\).*\(2, 2\)"):
        est.fit(X, y)
    assert not est.initialized_  # a failed start leaves the estimator as it was
