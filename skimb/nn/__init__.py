"""The torch modules: the default network and the long-tail losses."""

from ._losses import FocalLoss, LDAMLoss, LogitAdjustedLoss
from ._simple_net import SimpleNet

__all__ = ["FocalLoss", "LDAMLoss", "LogitAdjustedLoss", "SimpleNet"]
