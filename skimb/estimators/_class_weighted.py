"""What the two class-weighted estimators share."""

import torch

from ._base import BaseNetClassifier
from ._weighting import check_class_weight

__all__ = ["ClassWeightMixin"]


class ClassWeightMixin:
    """Class weights resolved at fit from ``class_weight`` and the class counts.

    For the estimators that have a ``class_weight`` parameter: the weights
    become ``class_weight_`` before the criterion is initialised, and stay in
    step with the counts (``partial_fit`` accumulates them).
    """

    _FITTED_ATTRS = (*BaseNetClassifier._FITTED_ATTRS, "class_weight_")

    def _resolve_weights(self):
        super()._resolve_weights()
        self.class_weight_ = check_class_weight(
            self.class_weight, classes=self.classes_, counts=self.class_counts_
        )
        self._zero_class_weight = bool((self.class_weight_ == 0).any())
        weight = getattr(self.__dict__.get("criterion_"), "weight", None)
        if (
            isinstance(weight, torch.Tensor)
            and "criterion__weight" not in self.__dict__
            and weight.shape == self.class_weight_.shape
        ):
            with torch.no_grad():
                weight.copy_(torch.as_tensor(self.class_weight_, dtype=weight.dtype))

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if self.__dict__.get("_zero_class_weight", False) and not (
            isinstance(X, dict) and "sample_weight" in X
        ):
            # A batch of zero-weight classes only would make torch's weighted
            # mean 0/0 = NaN and wreck the parameters; the guarded mean gives 0.
            ones = torch.ones(len(y_pred), dtype=y_pred.dtype, device=y_pred.device)
            return self._sample_weighted_loss(y_pred, y_true, ones)
        return super().get_loss(y_pred, y_true, X=X, training=training)
