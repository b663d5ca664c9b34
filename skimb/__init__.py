"""skimb: class-imbalanced learning with PyTorch nets as scikit-learn estimators.

The package is laid out in layers, each importing only the ones before it:

- :mod:`skimb.nn`: the torch modules (the default net, the long-tail losses);
- :mod:`skimb.preprocessing`: tabular features made ready for a net;
- :mod:`skimb.estimators`: the scikit-learn classifiers, what trains them
  (one net or many in one loop) and their safe persistence;
- :mod:`skimb.datasets`: the data coming in (built-in sets and imbalance
  recipes, the user's tables, the real benchmark sets);
- :mod:`skimb.metrics`: the metrics that decide imbalanced problems and the
  ranking statistics across data sets;
- :mod:`skimb.evaluation`: the comparison, the benchmark, their methods and
  results;
- :mod:`skimb.plotting`: every figure; :mod:`skimb.cli`: the command line.
"""

from . import datasets
from .estimators import (
    DeferredReweighting,
    EffectiveNumber,
    FitManyWarning,
    NetClassifier,
    PowerRule,
    WeightedLossClassifier,
    WeightedSamplerClassifier,
    fit_many,
    load,
    save,
)
from .evaluation import ComparisonResult, benchmark, compare
from .nn import FocalLoss, LDAMLoss, LogitAdjustedLoss, SimpleNet
from .preprocessing import SmoothClipScaler

__version__ = "0.1.0"

__all__ = [
    "ComparisonResult",
    "DeferredReweighting",
    "EffectiveNumber",
    "FitManyWarning",
    "FocalLoss",
    "LDAMLoss",
    "LogitAdjustedLoss",
    "NetClassifier",
    "PowerRule",
    "SimpleNet",
    "SmoothClipScaler",
    "WeightedLossClassifier",
    "WeightedSamplerClassifier",
    "benchmark",
    "compare",
    "datasets",
    "fit_many",
    "load",
    "save",
]
