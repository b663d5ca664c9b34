"""The metrics that decide imbalanced problems, in one table
(:data:`METRICS`) that every report, ranking and verdict reads, the
operating point decisions are taken at (an alert budget, a recall target, a
precision floor, a cost), and the statistics that rank methods across data
sets (Demšar, 2006). The critical difference diagram is drawn by
:func:`skimb.plotting.plot_critical_difference`."""

from ._operating_point import (
    OPERATING_POINT_FORMS,
    OperatingPoint,
    check_operating_point,
    choose_threshold,
    expected_cost_decisions,
    metrics_at,
)
from ._ranking import (
    friedman_test,
    mean_ranks,
    nemenyi_critical_difference,
    win_tie_loss,
)
from ._registry import (
    DECISION_METRICS,
    METRICS,
    PROBABILITY_METRICS,
    Metric,
    decision_metrics,
    probability_metrics,
)
from ._scores import expected_calibration_error, pr_curve, reliability_curve

__all__ = [
    "METRICS",
    "OPERATING_POINT_FORMS",
    "DECISION_METRICS",
    "Metric",
    "OperatingPoint",
    "check_operating_point",
    "choose_threshold",
    "expected_cost_decisions",
    "metrics_at",
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
