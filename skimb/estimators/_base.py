"""The fit and predict machinery every skimb estimator shares.

``BaseNetClassifier`` is skorch's ``NeuralNetClassifier`` with one mixin per
idea on its left:

- :class:`~._sklearn_contract.SklearnContractMixin`: a scikit-learn
  estimator (fitted state behind properties, parameters from the
  constructor signature, tags);
- :class:`~._fitting.FitMixin`: the parameter table checked first, then the
  data validated, the labels encoded, the training data moved to the device
  once per fit, a failed fit rolled back;
- :class:`~._epoch_loop.EpochLoopMixin`: the epoch loop on device-resident
  batches and what keeps it fast;
- :class:`~._early_stopping.EarlyStoppingMixin`: the validation part, its
  score after every epoch, the stop and the best epoch's weights;
- :class:`~._fitted_state.FittedStateMixin`: the save hooks;
- :class:`~._predicting.PriorPredictMixin`: prediction for the chosen prior.

It knows nothing of class weights: the weighted estimators add them.
"""

from skorch import NeuralNetClassifier

from ._early_stopping import EarlyStoppingMixin
from ._epoch_loop import EpochLoopMixin
from ._fitted_state import FittedStateMixin
from ._fitting import FitMixin
from ._predicting import PriorPredictMixin
from ._sklearn_contract import SklearnContractMixin

__all__ = ["BaseNetClassifier"]


class BaseNetClassifier(
    SklearnContractMixin,
    FitMixin,
    EpochLoopMixin,
    EarlyStoppingMixin,
    FittedStateMixin,
    PriorPredictMixin,
    NeuralNetClassifier,
):
    """The machinery shared by the skimb estimators (kept out of ``__init__``).

    Not for direct use: the public estimators define the constructor (and so
    the parameters, with their ``_parameter_constraints``) and the
    class-weight behaviour.
    """
