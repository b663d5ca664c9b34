"""skimb: class-imbalanced learning with PyTorch nets as scikit-learn estimators."""

from .estimators import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier
from .nets import SimpleNet
from .weighting import check_class_weight

__version__ = "0.1.0"

__all__ = [
    "NetClassifier",
    "SimpleNet",
    "WeightedLossClassifier",
    "WeightedSamplerClassifier",
    "check_class_weight",
    "__version__",
]
