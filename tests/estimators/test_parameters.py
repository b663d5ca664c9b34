"""Every constructor parameter of every public estimator is checked by its
``_parameter_constraints`` at the start of fit, before the data are read."""

import inspect

import numpy as np
import pytest
import torch
from _instances import public_estimators
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

# parameter: (a value of a wrong type, a wrong value). Where no value of the
# accepted types is wrong (a flag, a callable, a class), the second is a
# near miss of another type (1 for True, a class that is not a Module).
BAD = {
    "module": (3, torch.optim.Adam),
    "criterion": ("cross-entropy", len),
    "optimizer": ("adam", torch.nn.CrossEntropyLoss),
    "lr": ("0.1", -0.1),
    "max_epochs": (2.0, -1),
    "batch_size": (2.5, "large"),
    "iterator_train": (3, "DataLoader"),
    "iterator_valid": (3, "DataLoader"),
    "dataset": (3, "Dataset"),
    "train_split": (0.2, "valid"),
    "callbacks": ("print", [3]),
    "predict_nonlinearity": (3, "softmax"),
    "warm_start": ("yes", 1),
    "verbose": ("1", -1),
    "device": (3, "tpu"),
    "compile": ("yes", 1),
    "use_caching": (1, "yes"),
    "torch_load_kwargs": ("weights_only", [("weights_only", True)]),
    "random_state": ("seed", -1),
    "prior": (0.5, "uniform"),
    "n_threads": (2.0, 0),
    "class_weight": (2, "inverse"),
    "reweight_epoch": (1.5, -1),
    "num_samples": (2.5, 0),
    "replacement": ("yes", 1),
    "schedule": (1, "cosine"),
    "augment_shift": (1.5, -1),
    "early_stopping": (1, "yes"),
    "validation_fraction": ("0.1", 1.0),
    "n_iter_no_change": (2.5, 0),
    "early_stopping_score": (1, "roc_auc"),
}

CASES = [
    (cls, name, kind, value)
    for cls in public_estimators()
    for name in cls._parameter_constraints
    for kind, value in zip(("type", "value"), BAD[name], strict=True)
]


def _constructor_parameters(cls):
    return {
        p.name
        for p in inspect.signature(cls).parameters.values()
        if p.kind is not p.VAR_KEYWORD
    }


@pytest.mark.parametrize("cls", public_estimators(), ids=lambda c: c.__name__)
def test_the_table_covers_every_constructor_parameter(cls):
    assert set(cls._parameter_constraints) == _constructor_parameters(cls)
    assert set(cls._parameter_constraints) <= set(BAD)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize(
    "cls, name, kind, value",
    CASES,
    ids=[f"{c.__name__}-{n}-{k}" for c, n, k, _ in CASES],
)
def test_a_bad_parameter_is_refused_before_the_data(cls, name, kind, value, method):
    estimator = cls(max_epochs=1, device="cpu").set_params(**{name: value})
    before = dict(estimator.__dict__)
    errors = TypeError if kind == "type" else (TypeError, ValueError)
    # Data that fail validation themselves: the parameter's error comes first.
    with pytest.raises(errors) as exc:
        getattr(estimator, method)(np.array([["not", "numbers"]]), ["a"])
    message = str(exc.value)
    assert message.startswith(f"{name} must be "), message
    assert f"; got {value!r}" in message, message
    assert estimator.__dict__.keys() == before.keys()
    assert all(estimator.__dict__[k] is before[k] for k in before)
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)
