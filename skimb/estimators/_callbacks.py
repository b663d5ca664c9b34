"""skorch callbacks: a long-tail training schedule, a quiet log, and the
constraint on an estimator's ``callbacks``."""

import numbers

import numpy as np
import torch
from sklearn.utils._param_validation import _Constraint
from skorch.callbacks import Callback, PassthroughScoring, PrintLog
from skorch.history import History

from .._utils.validation import Interval, validate_params

__all__ = [
    "CallbackList",
    "DeferredReweighting",
    "QuietPassthroughScoring",
    "QuietPrintLog",
]


def _is_callback(cb):
    return isinstance(cb, Callback) or (
        isinstance(cb, type) and issubclass(cb, Callback)
    )


class CallbackList(_Constraint):
    """A list of skorch callbacks (instances or classes) or ``(name,
    callback)`` tuples, as skorch's ``callbacks`` takes them."""

    def is_satisfied_by(self, val):
        return self.type_matches(val) and all(
            _is_callback(item)
            or (
                isinstance(item, (tuple, list))
                and len(item) == 2
                and isinstance(item[0], str)
                and _is_callback(item[1])
            )
            for item in val
        )

    def type_matches(self, val):
        return isinstance(val, (list, tuple))

    def __str__(self):
        return "a list of skorch callbacks or (name, callback) tuples"


class DeferredReweighting(Callback):
    """Deferred re-weighting (DRW): uniform class weights, then the real ones.

    Before epoch ``start_epoch`` (0-based, counted over the net's whole
    history) the criterion's ``weight`` is all ones; from that epoch on it is
    the net's ``class_weight_`` (Cao et al., 2019).

    Parameters
    ----------
    start_epoch : int >= 0
        The first epoch with the real class weights.

    References
    ----------
    Cao, K., Wei, C., Gaidon, A., Arechiga, N. and Ma, T. (2019). Learning
    Imbalanced Datasets with Label-Distribution-Aware Margin Loss. NeurIPS.
    """

    def __init__(self, start_epoch):
        self.start_epoch = start_epoch

    _parameter_constraints: dict = {
        "start_epoch": [Interval(numbers.Integral, 0, None, closed="left")]
    }

    def initialize(self):
        # WeightedLossClassifier checks its reweight_epoch before this; the
        # callback used on its own checks its parameter here.
        validate_params(self.get_params(deep=False), self._parameter_constraints)
        return self

    def on_epoch_begin(self, net, **kwargs):
        criterion = net.criterion_
        weight = getattr(criterion, "weight", None)
        if not isinstance(weight, torch.Tensor):
            raise TypeError(
                "deferred re-weighting needs a criterion with a 'weight' tensor; "
                f"{type(criterion).__name__} has none."
            )
        epoch = len(net.history) - 1  # the net opened this epoch's record first
        target = torch.as_tensor(net.class_weight_, dtype=weight.dtype)
        if epoch < self.start_epoch:
            target = torch.ones_like(target)
        weight.copy_(target.to(weight.device))
        net.history.record("class_weight_on", bool(epoch >= self.start_epoch))


class QuietPrintLog(PrintLog):
    """skorch's ``PrintLog`` that does no work when there is nothing to print.

    skorch's tabulates the epoch's history row at every epoch and flushes
    standard output even with ``verbose=0``; for a small net that costs a
    tenth of a fit. Here a silent net (``verbose=0``, printing to stdout)
    skips both; with ``verbose`` or another ``sink`` it is skorch's.
    """

    def on_epoch_end(self, net, **kwargs):
        if not net.verbose and self.sink is print:
            return
        super().on_epoch_end(net, **kwargs)


class QuietPassthroughScoring(PassthroughScoring):
    """skorch's ``PassthroughScoring`` that reads the epoch's batches once.

    skorch's indexes the history three times per epoch (and raises and
    catches a KeyError for a validation score without validation data);
    here the same batch-size weighted mean of the same rows is taken from
    the epoch's batch records directly. With another history (skorch's
    distributed one) it is skorch's.
    """

    def on_epoch_end(self, net, **kwargs):
        history = net.history
        if type(history) is not History:
            return super().on_epoch_end(net, **kwargs)
        name = self.name
        size = "train_batch_size" if self.on_train else "valid_batch_size"
        rows = [row for row in history[-1]["batches"] if name in row]
        if not rows:
            return None  # no such batches (no validation data, say)
        score_avg = np.average(
            [row[name] for row in rows], weights=[row[size] for row in rows]
        )
        is_best = self._is_best_score(score_avg)
        if is_best:
            self.best_score_ = score_avg
        history.record(name, score_avg)
        if is_best is not None:
            history.record(name + "_best", bool(is_best))
        return None
