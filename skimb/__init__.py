"""skimb: class-imbalanced learning with PyTorch nets as scikit-learn estimators."""

from . import datasets
from .benchmarking import benchmark
from .callbacks import DeferredReweighting
from .comparison import compare
from .estimators import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier
from .losses import FocalLoss, LDAMLoss, LogitAdjustedLoss
from .nets import SimpleNet
from .persistence import load, save
from .results import ComparisonResult
from .stacked import fit_many
from .weighting import EffectiveNumber, PowerRule

__version__ = "0.1.0"

__all__ = [
    "ComparisonResult",
    "DeferredReweighting",
    "EffectiveNumber",
    "FocalLoss",
    "LDAMLoss",
    "LogitAdjustedLoss",
    "NetClassifier",
    "PowerRule",
    "SimpleNet",
    "WeightedLossClassifier",
    "WeightedSamplerClassifier",
    "benchmark",
    "compare",
    "datasets",
    "fit_many",
    "load",
    "save",
]
