"""The torch modules: the default network, a small CNN and the long-tail losses."""

from ._losses import FocalLoss, LDAMLoss, LogitAdjustedLoss
from ._simple_net import SimpleNet
from ._small_cnn import SmallCNN

__all__ = ["FocalLoss", "LDAMLoss", "LogitAdjustedLoss", "SimpleNet", "SmallCNN"]
