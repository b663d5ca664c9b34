"""The classifiers, what trains them, and their safe persistence.

Three skorch classifiers that are scikit-learn classifiers (the plain net,
inverse-frequency weights in the loss, a class-weighted sampler drawn on the
device), the class-weight rules they take, the training budget
(:data:`BUDGET`, one :class:`Budget` that the comparison reads too) and
its rules for ``batch_size='auto'`` (:func:`auto_batch_size`, :func:`auto_lr`) and
``n_iter_no_change='auto'`` (:func:`auto_patience`),
:func:`fit_many` (many estimators trained in one loop) and
:func:`save`/:func:`load`.
"""

from ._budget import BUDGET, Budget, auto_batch_size, auto_lr, auto_patience
from ._callbacks import DeferredReweighting
from ._fit_many import FitManyWarning, fit_many
from ._net import NetClassifier
from ._persistence import load, save
from ._weighted_loss import WeightedLossClassifier
from ._weighted_sampler import WeightedSamplerClassifier
from ._weighting import EffectiveNumber, PowerRule

__all__ = [
    "BUDGET",
    "Budget",
    "DeferredReweighting",
    "EffectiveNumber",
    "FitManyWarning",
    "NetClassifier",
    "PowerRule",
    "WeightedLossClassifier",
    "WeightedSamplerClassifier",
    "auto_batch_size",
    "auto_lr",
    "auto_patience",
    "fit_many",
    "load",
    "save",
]
