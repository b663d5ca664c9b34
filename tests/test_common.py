"""scikit-learn's estimator checks over every public estimator."""

from _instances import (
    ESTIMATORS,
    expected_failed_checks,
    public_estimators,
    tiny_instance,
)
from sklearn.utils.estimator_checks import parametrize_with_checks

from skimb import SmoothClipScaler


def test_every_public_estimator_has_its_settings():
    # the checks run over what skimb exports; a new estimator needs its row
    assert set(public_estimators()) == set(ESTIMATORS)
    assert len(ESTIMATORS) == 3


@parametrize_with_checks(
    [tiny_instance(cls) for cls in public_estimators()],
    expected_failed_checks=expected_failed_checks,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@parametrize_with_checks([SmoothClipScaler(), SmoothClipScaler(clip=1.5)])
def test_sklearn_compatible_transformer(estimator, check):
    check(estimator)
