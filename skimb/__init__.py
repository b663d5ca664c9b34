"""skimb: class-imbalanced learning with PyTorch nets as scikit-learn estimators."""

from . import datasets
from .comparison import DEFAULT_METHODS, METHODS, ComparisonResult, run_comparison
from .estimators import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier
from .nets import SimpleNet
from .persistence import load
from .report import compare, format_table, save_plots
from .weighting import check_class_weight

__version__ = "0.1.0"

__all__ = [
    "ComparisonResult",
    "DEFAULT_METHODS",
    "METHODS",
    "compare",
    "datasets",
    "format_table",
    "load",
    "run_comparison",
    "save_plots",
    "NetClassifier",
    "SimpleNet",
    "WeightedLossClassifier",
    "WeightedSamplerClassifier",
    "check_class_weight",
    "__version__",
]
