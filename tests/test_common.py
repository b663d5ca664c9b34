"""scikit-learn's estimator checks over every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skimb import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier

# Tiny settings in one place: enough training for the checks' accuracy bars.
INIT_PARAMS = dict(max_epochs=20, lr=0.01, batch_size=32, random_state=0, device="cpu")

ESTIMATORS = [
    NetClassifier(**INIT_PARAMS),
    WeightedLossClassifier(**INIT_PARAMS),
    WeightedSamplerClassifier(**INIT_PARAMS),
]

# Every entry says why the check cannot hold for a mini-batch neural net.
_MINI_BATCH = (
    "Mini-batch training: repeating a sample changes the batches and the "
    "number of optimizer steps per epoch, so an integer sample_weight is not "
    "equivalent to repeating the sample (it is for the weighted loss's "
    "expectation, not for the trajectory)."
)
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": _MINI_BATCH,
    "check_sample_weight_equivalence_on_sparse_data": _MINI_BATCH,
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
