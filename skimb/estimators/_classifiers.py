"""The skimb estimators: skorch classifiers that are scikit-learn classifiers.

``NetClassifier`` is the plain baseline; ``WeightedLossClassifier`` puts class
weights into the loss; ``WeightedSamplerClassifier`` draws class-weighted
batches on the training device. The two weighted estimators share
``ClassWeightMixin``; all three share the fit machinery of
:class:`skimb.estimators._base.BaseNetClassifier`. Each lives in its own
module; this one gathers them.
"""

from ._class_weighted import ClassWeightMixin
from ._net_classifier import NetClassifier
from ._weighted_loss import WeightedLossClassifier
from ._weighted_sampler import WeightedSamplerClassifier

__all__ = [
    "ClassWeightMixin",
    "NetClassifier",
    "WeightedLossClassifier",
    "WeightedSamplerClassifier",
]
