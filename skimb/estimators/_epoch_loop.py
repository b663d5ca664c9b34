"""skorch's loop over skimb's device-resident batches.

What both training loops need from an estimator (the device batches of
:meth:`get_iterator`, the sample-weighted loss, fused optimizers) and what
skorch's own loop needs when a net trains in it (callbacks and scorers that
see the user's labels).
"""

import contextlib
from collections.abc import Mapping

import torch
from skorch.callbacks import EpochScoring, PassthroughScoring, PrintLog
from skorch.callbacks.scoring import ScoringBase
from skorch.utils import to_numpy

from .._utils.device import on_device
from ._batches import SequentialBatches, ShuffledBatches, resolve_dataset
from ._callbacks import QuietPassthroughScoring, QuietPrintLog

__all__ = ["EpochLoopMixin", "PREDICT_BATCH_SIZE"]

# Rows per forward pass at prediction time (training uses batch_size).
PREDICT_BATCH_SIZE = 4096

_FUSABLE_OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD)


class EpochLoopMixin:
    """skorch's training loop over skimb's device-resident batches."""

    @property
    def _default_callbacks(self):
        callbacks = [(name, _quiet(cb)) for name, cb in super()._default_callbacks]
        if self.train_split is not None:
            # Accuracy rewards predicting the majority class; balanced accuracy
            # is the validation score that early stopping can use on
            # imbalanced data (monitor='valid_bal_acc', lower_is_better=False).
            callbacks.insert(
                len(callbacks) - 1,  # before print_log
                (
                    "valid_bal_acc",
                    EpochScoring(
                        "balanced_accuracy",
                        lower_is_better=False,
                        on_train=False,
                        name="valid_bal_acc",
                    ),
                ),
            )
        return callbacks

    def notify(self, method_name, **cb_kwargs):
        if method_name not in ("on_epoch_end", "on_batch_end"):
            return super().notify(method_name, **cb_kwargs)
        callbacks = [cb for _, cb in getattr(self, "callbacks_", ())]
        with self._decoded_targets(callbacks, method_name):
            return super().notify(method_name, **cb_kwargs)

    @contextlib.contextmanager
    def _decoded_targets(self, callbacks, method_name):
        # The batches hold encoded labels; scorers compare them with predict
        # and predict_proba, whose labels and columns are the original ones
        # (classes_). Scoring callbacks with skorch's default target_extractor
        # get the labels decoded, for the time of the call only, so that a
        # scorer's pos_label or labels are the user's.
        swapped = []
        if method_name in ("on_epoch_end", "on_batch_end"):
            swapped = [
                cb
                for cb in callbacks
                if isinstance(cb, ScoringBase)
                and getattr(cb, "target_extractor", None) is to_numpy
            ]
        for cb in swapped:
            cb.target_extractor = self._decode_target
        try:
            yield
        finally:
            for cb in swapped:
                cb.target_extractor = to_numpy

    def _decode_target(self, y):
        y = to_numpy(y)
        if y.dtype.kind in "iu":
            return self.classes_[y]
        return y

    def initialize_optimizer(self, triggered_directly=None):
        # The fused Adam/AdamW/SGD kernels apply the same update rule with a
        # fraction of the per-parameter Python work; opt out with
        # optimizer__fused=False or optimizer__foreach=...
        optimizer = self.optimizer
        chosen = {k for k in self.__dict__ if k.startswith("optimizer__")}
        fused = (
            isinstance(optimizer, type)
            and issubclass(optimizer, _FUSABLE_OPTIMIZERS)
            and not chosen & {"optimizer__fused", "optimizer__foreach"}
            and self._fusable_device()
        )
        if not fused:
            return super().initialize_optimizer(triggered_directly)
        self.__dict__["optimizer__fused"] = True
        try:
            return super().initialize_optimizer(triggered_directly)
        finally:
            del self.__dict__["optimizer__fused"]

    def _fusable_device(self):
        try:
            params = list(self.module_.parameters())
        except AttributeError:
            return False
        return bool(params) and all(
            p.dtype in (torch.float32, torch.float64, torch.float16, torch.bfloat16)
            and p.device.type in ("cpu", "cuda")
            for p in params
        )

    def infer(self, x, **fit_params):
        if _weighted_batch(x):
            x = x["X"]
        if isinstance(x, torch.Tensor) and on_device(x, self.device):
            return self.module_(x, **fit_params)
        return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        if _weighted_batch(X):
            return self._sample_weighted_loss(y_pred, y_true, X["sample_weight"])
        return super().get_loss(y_pred, y_true, X=X, training=training)

    def _sample_weighted_loss(self, y_pred, y_true, sample_weight):
        """Weighted mean ``sum(s_i w_yi l_i) / sum(s_i w_yi)``.

        ``w`` is the criterion's class weight (1 without one), so unit sample
        weights give exactly PyTorch's weighted cross-entropy, and scaling all
        weights by a constant changes nothing.
        """
        criterion = self.criterion_
        if not hasattr(criterion, "reduction"):
            raise TypeError(
                "sample_weight needs a criterion with a 'reduction' attribute "
                f"(per-sample losses); got {type(criterion).__name__}."
            )
        y_true = torch.as_tensor(y_true, device=y_pred.device)
        if isinstance(criterion, torch.nn.NLLLoss):  # as skorch's get_loss does
            y_pred = torch.log(y_pred + torch.finfo(y_pred.dtype).eps)
        saved = criterion.reduction
        criterion.reduction = "none"
        try:
            per_sample = criterion(y_pred, y_true)
        finally:
            criterion.reduction = saved
        weight = sample_weight
        class_weight = getattr(criterion, "weight", None)
        if isinstance(class_weight, torch.Tensor):
            weight = weight * class_weight.index_select(0, y_true)
        total = weight.sum()
        return (per_sample * sample_weight).sum() / total.clamp_min(
            torch.finfo(total.dtype).tiny
        )

    def get_iterator(self, dataset, training=False):
        ds, index = resolve_dataset(dataset)
        if ds is None:
            return self._loader(dataset, training)
        prefix = "iterator_train" if training else "iterator_valid"
        kwargs = self.get_params_for(prefix)
        n = len(ds) if index is None else len(index)
        if training:
            default = self.batch_size_  # set by fit: an integer, or batch_size='auto'
        else:
            chosen = self.batch_size if self.batch_size != "auto" else 0
            default = max(chosen, PREDICT_BATCH_SIZE)
        batch_size = kwargs.get("batch_size", default)
        if batch_size == -1:
            batch_size = max(n, 1)
        if training:
            return self._train_batches(ds, index, batch_size)
        return SequentialBatches(ds, index, batch_size)

    def _chosen_batch_size(self):
        """The training batch: ``batch_size_`` once fitted, else the parameter
        (64 for 'auto')."""
        if "batch_size_" in self.__dict__:
            return self.batch_size_
        return 64 if self.batch_size == "auto" else self.batch_size

    def _loader(self, dataset, training):
        # skorch's DataLoader path (a Dataset skorch's forward made from
        # arrays), with the batch size 'auto' resolved.
        if self.batch_size != "auto":
            return super().get_iterator(dataset, training=training)
        self.__dict__["batch_size"] = self._chosen_batch_size()
        try:
            return super().get_iterator(dataset, training=training)
        finally:
            self.__dict__["batch_size"] = "auto"

    def _train_batches(self, dataset, index, batch_size):
        return ShuffledBatches(dataset, index, batch_size, generator=self._generator)

    @property
    def _generator(self):
        try:
            return self.__dict__["_fit_generator"]
        except KeyError:
            raise RuntimeError("training batches are drawn only inside fit") from None


def _weighted_batch(X):
    """Whether ``X`` is a batch that carries sample weights (a dict)."""
    return (
        not isinstance(X, torch.Tensor)
        and isinstance(X, Mapping)
        and "sample_weight" in X
    )


def _quiet(cb):
    """skorch's default callback, or its equivalent that does less work."""
    if type(cb) is PrintLog:
        return QuietPrintLog()
    if type(cb) is PassthroughScoring:
        return QuietPassthroughScoring(
            cb.name, lower_is_better=cb.lower_is_better, on_train=cb.on_train
        )
    return cb
