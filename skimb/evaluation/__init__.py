"""The evaluation: imbalance-handling methods side by side on one data set
(:func:`compare`) or ranked across many (:func:`benchmark`)."""

from ._benchmark import RANKED_METRICS, BenchmarkResult, benchmark
from ._compare import compare
from ._methods import DEFAULT_METHODS, METHODS, RECIPES, Method, Recipe
from ._results import ComparisonResult
from ._run import AUTO_WORKERS_WORK, auto_workers

__all__ = [
    "AUTO_WORKERS_WORK",
    "DEFAULT_METHODS",
    "METHODS",
    "RANKED_METRICS",
    "RECIPES",
    "BenchmarkResult",
    "ComparisonResult",
    "Method",
    "Recipe",
    "auto_workers",
    "benchmark",
    "compare",
]
