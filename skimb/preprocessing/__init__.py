"""Preprocessing of tabular features for nets: robust scaling with smooth
clipping, so that heavy tails (amounts, counts, durations) keep their order
without squeezing the bulk of a column into a few values."""

from ._smooth_clip import SmoothClipScaler

__all__ = ["SmoothClipScaler"]
