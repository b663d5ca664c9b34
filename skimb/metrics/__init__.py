"""The metrics that decide imbalanced problems, and the statistics that rank
methods across data sets (Demšar, 2006). The critical difference diagram is
drawn by :func:`skimb.plotting.plot_critical_difference`."""

from ._ranking import (
    friedman_test,
    mean_ranks,
    nemenyi_critical_difference,
    win_tie_loss,
)
from ._scores import (
    DECISION_METRICS,
    PROBABILITY_METRICS,
    decision_metrics,
    expected_calibration_error,
    pr_curve,
    probability_metrics,
    reliability_curve,
)

__all__ = [
    "DECISION_METRICS",
    "PROBABILITY_METRICS",
    "decision_metrics",
    "expected_calibration_error",
    "friedman_test",
    "mean_ranks",
    "nemenyi_critical_difference",
    "pr_curve",
    "probability_metrics",
    "reliability_curve",
    "win_tie_loss",
]
