"""The epoch loop on device-resident batches, and what keeps it fast.

skorch's ``fit_loop`` and callbacks run unchanged; its documented hooks are
extended so that an epoch over skimb's batches costs little beyond the
forward and backward passes: batches drawn on the device
(:meth:`get_iterator`), per-batch hooks that no callback implements skipped,
fused optimizers, module modes set only when they change, the batch losses
turned into floats once per epoch, and the sample-weighted loss.
"""

import contextlib
from collections.abc import Mapping

import torch
from skorch import NeuralNet, NeuralNetClassifier
from skorch.callbacks import (
    BatchScoring,
    Callback,
    EpochScoring,
    PassthroughScoring,
    PrintLog,
)
from skorch.callbacks.scoring import ScoringBase
from skorch.history import History
from skorch.utils import TeeGenerator, to_numpy

from .._utils.device import on_device
from ._batches import SequentialBatches, ShuffledBatches, _Batches, resolve_dataset
from ._callbacks import QuietPassthroughScoring, QuietPrintLog

__all__ = ["EpochLoopMixin", "PREDICT_BATCH_SIZE"]

# Hooks called at every batch; dispatched only to the callbacks that act.
_PER_BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_grad_computed")
# skorch's methods around an optimizer step; a subclass that overrides one
# gets skorch's train_step as it is.
_STEP_METHODS = (
    "_zero_grad_optimizer",
    "_step_optimizer",
    "get_train_step_accumulator",
)
# Optimizers whose step(closure) calls the closure once, before the update:
# for them, calling it first and then step() is the same step.
_ONE_CALL_OPTIMIZERS = (
    torch.optim.Adam,
    torch.optim.AdamW,
    torch.optim.SGD,
    torch.optim.RMSprop,
    torch.optim.Adagrad,
    torch.optim.Adamax,
    torch.optim.NAdam,
    torch.optim.RAdam,
)
# What on_train_begin decides for one training run.
_TRAINING_RUN_STATE = (
    "_batch_listeners",
    "_quiet_batches",
    "_quiet_grads",
    "_plain_step",
    "_mode_trees",
    "_prior_inputs",  # PriorPredictMixin's last training prior and its inputs
)

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
        listeners = self.__dict__.get("_batch_listeners")
        if listeners is not None and method_name in _PER_BATCH_HOOKS:
            # Only the callbacks that do something for this kind of batch
            # (see _batch_listeners); the net's own handler first, as skorch.
            getattr(self, method_name)(self, **cb_kwargs)
            callbacks = listeners[bool(cb_kwargs.get("training"))][method_name]
            if callbacks:
                with self._decoded_targets(callbacks, method_name):
                    for cb in callbacks:
                        getattr(cb, method_name)(self, **cb_kwargs)
            return None
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

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        # What the per-batch loop may skip in this training run, decided
        # once: the callbacks each per-batch hook reaches, for training and
        # for validation batches (a callback that does not implement a hook,
        # or a scorer of the other kind of batch, returns at once), and
        # whether a training step can do without skorch's closure.
        callbacks = [cb for _, cb in getattr(self, "callbacks_", ())]
        listeners = {
            training: {
                hook: [cb for cb in callbacks if _acts_on(cb, hook, training)]
                for hook in _PER_BATCH_HOOKS
            }
            for training in (True, False)
        }
        self._batch_listeners = listeners
        cls = type(self)
        own = {
            h for h in _PER_BATCH_HOOKS if getattr(cls, h) is not getattr(NeuralNet, h)
        }
        train = listeners[True]
        self._quiet_batches = (
            not (train["on_batch_begin"] or train["on_batch_end"])
            and not own & {"on_batch_begin", "on_batch_end"}
            and type(self.history) is History
        )
        self._quiet_grads = (
            not train["on_grad_computed"] and "on_grad_computed" not in own
        )
        self._plain_step = list(self._optimizers) == ["optimizer"] and all(
            getattr(cls, name) is getattr(NeuralNet, name) for name in _STEP_METHODS
        )
        super().on_train_begin(net, X=X, y=y, **kwargs)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        self._forget_training_run()
        super().on_train_end(net, X=X, y=y, **kwargs)

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
        if (
            isinstance(y_true, torch.Tensor)
            and y_true.device == y_pred.device
            and self._plain_loss()
        ):
            # What skorch's NeuralNetClassifier.get_loss does for labels
            # already on the device, without its per-batch conversions.
            return self.criterion_(y_pred, y_true)
        return super().get_loss(y_pred, y_true, X=X, training=training)

    def _plain_loss(self):
        """Whether the next get_loss in the MRO is skorch's classifier's, for a
        criterion that is not an NLLLoss (which skorch feeds log-probabilities)."""
        cls = type(self)
        plain = _PLAIN_LOSS.get(cls)
        if plain is None:
            mro = cls.__mro__
            after = mro[mro.index(EpochLoopMixin) + 1 :]
            owner = next(c for c in after if "get_loss" in c.__dict__)
            plain = _PLAIN_LOSS[cls] = owner is NeuralNetClassifier
        return plain and not isinstance(self.criterion_, torch.nn.NLLLoss)

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

    def _set_training(self, training=True):
        # skorch sets the mode of every module tree at every batch; for a
        # small net the recursive ``train()`` costs as much as a forward
        # pass. Reading the flags is cheap, so the trees are only walked
        # when a flag differs; during training the list of each tree's
        # modules is made once (again if a module is replaced).
        trees = self.__dict__.get("_mode_trees")
        names = self._modules + self._criteria
        if (
            trees is None
            or len(trees) != len(names)
            or any(
                getattr(self, name + "_", None) is not module
                for name, (module, _) in zip(names, trees, strict=True)
            )
        ):
            trees = [self._mode_tree(name) for name in names]
            if "_batch_listeners" in self.__dict__:  # inside a training run
                self.__dict__["_mode_trees"] = trees
        for module, modules in trees:
            if modules and any(m.training != training for m in modules):
                module.train(training)

    def _mode_tree(self, name):
        module = getattr(self, name + "_", None)
        if not isinstance(module, torch.nn.Module):
            return module, ()
        return module, tuple(module.modules())

    def train_step(self, batch, **fit_params):
        optimizer = self.__dict__.get("optimizer_")
        if not (
            self.__dict__.get("_plain_step") and type(optimizer) in _ONE_CALL_OPTIMIZERS
        ):
            return super().train_step(batch, **fit_params)
        # skorch's step for an optimizer that calls its closure once: the
        # same zero_grad, train_step_single, on_grad_computed and step, in
        # that order, without the closure, its accumulator and the loops
        # over optimizers.
        optimizer.zero_grad()
        step = self.train_step_single(batch, **fit_params)
        if not self._quiet_grads:
            self.notify(
                "on_grad_computed",
                named_parameters=TeeGenerator(self.get_all_learnable_params()),
                batch=batch,
                training=True,
            )
        optimizer.step()
        return step

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if not isinstance(iterator, _Batches):
            return super().run_single_epoch(
                iterator, training, prefix, step_fn, **fit_params
            )
        # As skorch's loop, but the per-batch losses are recorded as device
        # tensors and turned into floats once per epoch: no host sync per
        # batch. When no callback acts on training batches (and the net's
        # batch hooks are skorch's), each batch's history row is written
        # directly instead of through notify. The thread tuner (if any) is
        # told of every training step.
        history = self.history
        loss_key, size_key = prefix + "_loss", prefix + "_batch_size"
        quiet = training and self.__dict__.get("_quiet_batches", False)
        rows = history[-1]["batches"] if quiet else None
        tuner = self.__dict__.get("_thread_tuner") if training else None
        if tuner is not None:
            tuner.begin()
        losses = []
        for batch in iterator:
            if quiet:
                row = {}
                rows.append(row)  # skorch's on_batch_begin: history.new_batch()
                step = step_fn(batch, **fit_params)
                loss = row[loss_key] = step["loss"].detach()
                row[size_key] = len(batch[1])
            else:
                self.notify("on_batch_begin", batch=batch, training=training)
                step = step_fn(batch, **fit_params)
                loss = step["loss"].detach()
                history.record_batch(loss_key, loss)
                history.record_batch(size_key, len(batch[1]))
                self.notify("on_batch_end", batch=batch, training=training, **step)
            losses.append(loss)
            if tuner is not None:
                tuner.step()
        if losses:
            values = torch.stack(losses).tolist()
            rows = history[-1]["batches"][-len(values) :]
            for row, value in zip(rows, values, strict=True):
                row[loss_key] = value
        history.record(prefix + "_batch_count", len(losses))

    def _forget_training_run(self):
        """Drop what on_train_begin decided (also after a failed fit)."""
        for name in _TRAINING_RUN_STATE:
            self.__dict__.pop(name, None)


# Per estimator class: whether skorch's classifier get_loss follows ours.
_PLAIN_LOSS = {}


def _weighted_batch(X):
    """Whether ``X`` is a batch that carries sample weights (a dict)."""
    return (
        not isinstance(X, torch.Tensor)
        and isinstance(X, Mapping)
        and "sample_weight" in X
    )


def _acts_on(cb, hook, training):
    """Whether callback ``cb`` does anything in ``hook`` for a training (or
    a validation) batch: it implements the hook, and is not a skorch scorer
    of the other kind of batch (those return at once)."""
    method = getattr(type(cb), hook, None)
    if method is None or method is getattr(Callback, hook):
        return False
    if hook == "on_batch_end" and method in (
        EpochScoring.on_batch_end,
        BatchScoring.on_batch_end,
    ):
        return bool(cb.on_train) == training
    return True


def _quiet(cb):
    """skorch's default callback, or its equivalent that does less work."""
    if type(cb) is PrintLog:
        return QuietPrintLog()
    if type(cb) is PassthroughScoring:
        return QuietPassthroughScoring(
            cb.name, lower_is_better=cb.lower_is_better, on_train=cb.on_train
        )
    return cb
