"""The data coming in: built-in sets and imbalance recipes, the user's tables,
and the real benchmark sets (KEEL, imbalanced-learn's, OpenML's)."""

from ._benchmark_sets import (
    PREFIXES,
    SUITES,
    BenchmarkDataset,
    list_benchmark_datasets,
    load_benchmark_dataset,
    read_keel_dat,
)
from ._builtin import DATASETS, DataSplit, label_counts, load_dataset
from ._imbalance import IMBALANCE_RECIPES, check_imbalance_options, make_imbalanced
from ._user import TABLE_SUFFIXES, read_table

__all__ = [
    "DATASETS",
    "IMBALANCE_RECIPES",
    "PREFIXES",
    "SUITES",
    "TABLE_SUFFIXES",
    "BenchmarkDataset",
    "DataSplit",
    "check_imbalance_options",
    "label_counts",
    "list_benchmark_datasets",
    "load_benchmark_dataset",
    "load_dataset",
    "make_imbalanced",
    "read_keel_dat",
    "read_table",
]
