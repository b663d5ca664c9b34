"""The public estimators, found from ``skimb.__all__``, and their test settings.

imbalanced-learn's ``instance_generator`` idea: the estimators are found,
not listed; what an estimator needs in the tests (its tiny settings, the
scikit-learn checks it cannot pass and why) sits in one table.
"""

import inspect

from sklearn.base import is_classifier

import skimb
from skimb import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier


def public_estimators():
    """The classes in ``skimb.__all__`` that are scikit-learn classifiers."""
    classes = [getattr(skimb, name) for name in skimb.__all__]
    return [
        cls
        for cls in classes
        if inspect.isclass(cls) and hasattr(cls, "fit") and is_classifier(cls())
    ]


# Tiny settings: enough training for the checks' accuracy bars.
TINY = dict(max_epochs=20, lr=0.01, batch_size=32, random_state=0, device="cpu")

_MINI_BATCH = (
    "Mini-batch training: repeating a sample changes the batches and the "
    "number of optimizer steps per epoch, so an integer sample_weight is not "
    "equivalent to repeating the sample (it is for the weighted loss's "
    "expectation, not for the trajectory)."
)
_SAMPLE_WEIGHT_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": _MINI_BATCH,
    "check_sample_weight_equivalence_on_sparse_data": _MINI_BATCH,
}

#: Per public estimator: its overrides of ``TINY`` (``INIT_PARAMS``) and the
#: scikit-learn checks it is expected to fail, each with its reason.
ESTIMATORS = {
    NetClassifier: ({}, _SAMPLE_WEIGHT_CHECKS),
    WeightedLossClassifier: ({}, _SAMPLE_WEIGHT_CHECKS),
    WeightedSamplerClassifier: ({}, _SAMPLE_WEIGHT_CHECKS),
}


def tiny_instance(cls):
    """``cls`` with the tiny settings and its overrides."""
    init_params, _ = ESTIMATORS[cls]
    return cls(**{**TINY, **init_params})


def expected_failed_checks(estimator):
    """The checks ``estimator`` is expected to fail: name -> reason."""
    return ESTIMATORS[type(estimator)][1]
