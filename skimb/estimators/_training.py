"""The training loop: K >= 1 nets of one architecture, trained as one program.

A net's ``fit`` is the case K = 1 and :func:`~skimb.estimators.fit_many` the
case K > 1 of the same loop. Each step gathers every net's batch (drawn by
the net's own iterator from its own generator), runs one forward pass,
computes each net's loss with the net's own ``get_loss`` on its slice of the
logits, takes one backward pass over their sum and one optimizer step.

For K > 1 the nets' parameters and buffers are stacked with PyTorch's
model-ensembling API (:func:`torch.func.stack_module_state`) and the forward
pass is the module's own ``forward`` under :func:`torch.func.vmap`, so any
module stacks without a code path per architecture. One torch optimizer of
the nets' class and settings updates the stacked parameters: the optimizers
taken here (:data:`ELEMENTWISE_OPTIMIZERS`) update each element from its own
gradient and state alone, so one step over K stacked nets is K separate
steps. Nets that share a loop take the same number of steps per epoch; a
net that stops early leaves the stack (its weights and optimizer state go
back to its estimator) and the others go on.

Callbacks are notified at the start and end of training and of each epoch,
as skorch's loop does; the per-batch hooks are not called (a net with
callbacks of its own trains in skorch's loop instead).
"""

import copy
import dataclasses

import torch
from skorch.callbacks import EpochScoring, EpochTimer, PassthroughScoring, PrintLog
from torch.func import functional_call, stack_module_state, vmap

from ._batches import (
    ShuffledBatches,
    SparseRows,
    WeightedSamplerBatches,
    resolve_dataset,
)
from ._callbacks import DeferredReweighting

__all__ = [
    "ELEMENTWISE_OPTIMIZERS",
    "Member",
    "data_key",
    "loop_reason",
    "stack_key",
    "train",
]

#: Optimizers whose step calls no closure and updates every element from its
#: own gradient and state: one of them over K stacked nets takes K separate
#: steps (the step count, the only scalar state, is the same for all K).
ELEMENTWISE_OPTIMIZERS = (
    torch.optim.Adam,
    torch.optim.AdamW,
    torch.optim.SGD,
    torch.optim.RMSprop,
    torch.optim.Adagrad,
    torch.optim.Adamax,
    torch.optim.NAdam,
    torch.optim.RAdam,
)

# Callbacks whose work is per epoch only (or on validation batches, which
# these fits do not have): the loop notifies them at epoch boundaries.
_EPOCH_CALLBACKS = (
    EpochTimer,
    PassthroughScoring,
    EpochScoring,
    PrintLog,
    DeferredReweighting,
)
_ITERATORS = (ShuffledBatches, WeightedSamplerBatches)
# Optimizer options that change no update rule, only where torch keeps state.
_IMPLEMENTATION_OPTIONS = ("params", "foreach", "fused", "capturable")


@dataclasses.dataclass
class Member:
    """One initialised net with its training data, ready for :func:`train`."""

    est: object
    dataset: object
    y_enc: object
    device: torch.device
    iterator: object


def loop_reason(est, iterator):
    """Why the initialised ``est`` trains in skorch's loop instead, or None.

    The text completes "trains alone: ...".
    """
    if est.train_split is not None:
        return "a train_split validates each epoch"
    optimizer = est.optimizer_
    if type(optimizer) not in ELEMENTWISE_OPTIMIZERS:
        return "its optimizer is none of torch's " + ", ".join(
            cls.__name__ for cls in ELEMENTWISE_OPTIMIZERS
        )
    if len(optimizer.param_groups) != 1:
        return "its optimizer has several parameter groups"
    params = optimizer.param_groups[0]["params"]
    if [id(p) for p in params] != [id(p) for p in est.module_.parameters()]:
        return "its optimizer does not hold exactly the module's parameters"
    if not all(isinstance(cb, _EPOCH_CALLBACKS) for _, cb in est.callbacks_):
        return "a callback needs the per-batch loop"
    if not isinstance(iterator, _ITERATORS):
        return "its training batches are not skimb's device iterators"
    return None


def data_key(X):
    """What identifies a data tensor's memory: nets whose tensors share it
    (estimators fitted on one array, each with its own tensor over the
    array's memory) take their rows in one gather."""
    return (X.data_ptr(), tuple(X.shape), X.stride(), X.dtype, str(X.device))


def stack_key(member):
    """What nets stacked in one loop agree on: device, architecture, batch
    size and number of batches, epochs, optimizer class and settings."""
    est = member.est
    if isinstance(resolve_dataset(member.dataset)[0].X, SparseRows):
        return None  # vmap takes no sparse batches: one net at a time
    module, group = est.module_, est.optimizer_.param_groups[0]
    settings = sorted(
        (k, v) for k, v in group.items() if k not in _IMPLEMENTATION_OPTIONS
    )
    if any(isinstance(v, torch.Tensor) for _, v in settings):
        return None  # a tensor-valued setting cannot be compared: alone
    return (
        str(member.device),
        type(module),
        repr(module),
        tuple((n, p.shape, p.dtype) for n, p in module.named_parameters()),
        tuple((n, b.shape, b.dtype) for n, b in module.named_buffers()),
        member.iterator.batch_size,
        len(member.iterator),
        est.max_epochs,
        type(est.optimizer_),
        repr(settings),
    )


def train(members, *, on_epoch=None, tuner=None):
    """Train prepared nets for their ``max_epochs`` in one loop.

    ``members`` have an initialised estimator ``est``, its training
    ``dataset`` and encoded labels ``y_enc``, and its training ``iterator``;
    with more than one, their modules have the same parameter shapes, their
    optimizers the same class and settings, their iterators the same batch
    size and number of batches. ``on_epoch()`` is called after every epoch;
    ``tuner``, a :class:`~skimb._utils.device.ThreadTuner` or None, is told
    of every step.
    """
    for m in members:
        m.est.check_training_readiness()
        m.est.notify("on_train_begin", X=m.dataset, y=m.y_enc)
    loop = _Loop(members, tuner)
    try:
        for _ in range(members[0].est.max_epochs):
            if not loop.running:
                break  # every net has stopped early
            loop.run_epoch()
            if on_epoch is not None:
                on_epoch()
    except KeyboardInterrupt:
        pass  # as skorch: stop training, keep what was learned
    finally:
        loop.unstack()
    for m in members:
        m.est.notify("on_train_end", X=m.dataset, y=m.y_enc)


class _Stack:
    """The running nets' parameters as one program, and their optimizer.

    One net trains its own module with its own optimizer; K nets train
    stacked copies (written back into their modules by :meth:`write_back`).
    """

    def __init__(self, members):
        self.members = members
        first = members[0].est
        self.module = first.module_
        self.n_classes = len(first.classes_)
        if len(members) == 1:
            self.params = list(self.module.parameters())
            self.optimizer = first.optimizer_
            return
        modules = [m.est.module_.train() for m in members]
        params, buffers = stack_module_state(modules)
        self.stacked, self.buffers = params, buffers
        self.params = list(params.values())
        base = copy.deepcopy(self.module).to("meta")
        base.train()

        def forward(p, b, X):
            return functional_call(base, (p, b), (X,))

        # Each net draws its own dropout masks (a stack cannot replay K
        # separate fits' global random streams).
        self._forward = vmap(forward, randomness="different")
        own = first.optimizer_
        self.optimizer = type(own)(self.params)
        self.optimizer.param_groups[0].update(
            {k: v for k, v in own.param_groups[0].items() if k != "params"}
        )
        names = [name for name, _ in self.module.named_parameters()]
        for name, p in zip(names, self.params, strict=True):
            states = [_own_state(m.est, name) for m in members]
            if states[0]:
                self.optimizer.state[p] = {
                    key: _stacked_state(key, [s[key] for s in states], p)
                    for key in states[0]
                }

    def forward(self, X):
        """Logits ``(K, batch, n_classes)`` of a ``(K, batch, ...)`` input."""
        if len(self.members) == 1:
            return self.module(X[0]).unsqueeze(0)
        return self._forward(self.stacked, self.buffers, X)

    def write_back(self, k, optimizer_state=False):
        """Net ``k``'s weights (and optimizer state) into its estimator."""
        if len(self.members) == 1:
            return
        est = self.members[k].est
        with torch.no_grad():
            for name, value in est.module_.named_parameters():
                value.copy_(self.stacked[name][k])
            for name, value in est.module_.named_buffers():
                value.copy_(self.buffers[name][k])
        if not optimizer_state:
            return
        own = est.optimizer_
        for p, stacked in zip(est.module_.parameters(), self.params, strict=True):
            state = self.optimizer.state.get(stacked)
            if state:
                own.state[p] = {
                    key: _slice_state(value, stacked, k) for key, value in state.items()
                }


def _own_state(est, name):
    return est.optimizer_.state.get(est.module_.get_parameter(name), {})


def _stacked_state(key, values, param):
    """K nets' optimizer state ``key`` as the stacked parameter's."""
    first = values[0]
    if isinstance(first, torch.Tensor) and first.shape == param.shape[1:]:
        return torch.stack(values)
    if isinstance(first, torch.Tensor):
        if not all(torch.equal(first, v) for v in values):
            raise RuntimeError(f"nets in one stack differ in optimizer state {key!r}")
        return first.clone()
    return first


def _slice_state(value, stacked, k):
    if isinstance(value, torch.Tensor):
        if value.shape == stacked.shape:
            return value[k].clone()
        return value.clone()
    return value


class _Loop:
    """The epochs of a group of nets; the stack is remade when one stops."""

    def __init__(self, members, tuner):
        self.members = members
        self.tuner = tuner
        first = members[0]
        self.device = first.device
        self.batch_size = first.iterator.batch_size
        self.n_steps = len(first.iterator)
        self.data = [resolve_dataset(m.dataset)[0] for m in members]
        self.weighted = [
            m.iterator.with_weight and data.sample_weight is not None
            for m, data in zip(members, self.data, strict=True)
        ]
        self.stoppers = [m.est._fit_run.stopper is not None for m in members]
        self.running = list(range(len(members)))
        self.stack = _Stack(members)

    def run_epoch(self):
        members, running = self.members, self.running
        for k in running:
            m = members[k]
            m.est.notify("on_epoch_begin", dataset_train=m.dataset, dataset_valid=None)
        self.stack.module.train()
        index, labels, weights, rows = self._epoch_order()
        sources = self._sources(index)
        stack, optimizer, tuner = self.stack, self.stack.optimizer, self.tuner
        plain = _PlainCrossEntropy.of(self, labels, rows)
        own = [j for j in range(len(running)) if plain is None or j not in plain.nets]
        order = own if plain is None else plain.nets + own  # of each step's losses
        get_loss = [members[running[j]].est.get_loss for j in own]
        augment = [
            (j, members[k].est._batch_augmenter()) for j, k in enumerate(running)
        ]
        augment = [(j, aug) for j, aug in augment if aug is not None]
        losses = []
        if tuner is not None:
            tuner.begin()
        for s in range(self.n_steps):
            X = self._gather(sources, s)
            for j, aug in augment:
                X[j] = aug(X[j], labels[j][s])
            logits = stack.forward(X)
            step = []
            for j, loss in zip(own, get_loss, strict=True):
                n = rows[j][s]
                Xj = X[j][:n] if X[j].layout == torch.strided else None
                if weights[j] is not None:
                    Xj = {"X": Xj, "sample_weight": weights[j][s, :n]}
                step.append(loss(logits[j, :n], labels[j][s, :n], X=Xj, training=True))
            if plain is not None:
                shared = plain.losses(logits, s)
                step = torch.cat([shared, torch.stack(step)]) if step else shared
                total = step.sum()
            elif len(step) == 1:  # one net: its loss as it is
                step = total = step[0]
            else:
                step = torch.stack(step)
                total = step.sum()
            optimizer.zero_grad()
            total.backward()
            optimizer.step()
            losses.append(step.detach())
            if tuner is not None:
                tuner.step()
        values = [[] for _ in running]
        if losses:
            table = torch.stack(losses).reshape(len(losses), -1).T.tolist()
            for i, value in zip(order, table, strict=True):
                values[i] = value
        for j, k in enumerate(running):
            m = members[k]
            history = m.est.history
            for value, n in zip(values[j], rows[j], strict=True):
                history.new_batch()
                history.record_batch("train_loss", value)
                history.record_batch("train_batch_size", n)
            history.record("train_batch_count", len(values[j]))
            if self.stoppers[k]:  # its on_epoch_end scores its module's weights
                self.stack.write_back(j)
            m.est.notify("on_epoch_end", dataset_train=m.dataset, dataset_valid=None)
        still = [k for k in running if not members[k].est._stopped()]
        if still != running:
            self.unstack()
            self.running = still
            if still:
                self.stack = _Stack([members[k] for k in still])

    def unstack(self):
        """Every running net's weights and optimizer state into its estimator."""
        for j in range(len(self.running)):
            self.stack.write_back(j, optimizer_state=True)

    def _epoch_order(self):
        """Per running net: its rows, labels and weights for the epoch, as
        ``(steps, batch)`` tensors padded (with row 0, never used) to full
        batches, and the real rows of each step."""
        S, bs = self.n_steps, self.batch_size
        index, labels, weights, rows = [], [], [], []
        for k in self.running:
            m, data = self.members[k], self.data[k]
            order = m.iterator.order()
            n = len(order)
            if n != m.iterator.epoch_size or -(-n // bs) != S:
                raise RuntimeError(f"net {k} drew {n} samples in {S} batches of {bs}")
            order = torch.nn.functional.pad(order, (0, S * bs - n)).view(S, bs)
            index.append(order)
            labels.append(data.y[order])
            weights.append(data.sample_weight[order] if self.weighted[k] else None)
            rows.append([min(bs, n - s * bs) for s in range(S)])
        return index, labels, weights, rows

    def _sources(self, index):
        """Per data tensor the running nets read: the tensor and the rows of
        its nets at each step, ``(steps, nets * batch)``; nets on the same
        data (next to each other) take their rows in one gather."""
        sources = []
        for j, k in enumerate(self.running):
            X = self.data[k].X
            if sources and data_key(sources[-1][0]) == data_key(X):
                sources[-1][1].append(index[j])
            else:
                sources.append((X, [index[j]]))
        return [(X, torch.cat(rows, dim=1)) for X, rows in sources]

    def _gather(self, sources, s):
        """Step ``s``'s batches of the running nets, ``(K, batch, ...)``;
        sparse rows (which train one net at a time) as a list of one batch."""
        if len(sources) == 1:
            X, rows = sources[0]
            if isinstance(X, SparseRows):
                return [X.rows(rows[s])]
            return X.index_select(0, rows[s]).view(-1, self.batch_size, *X.shape[1:])
        parts = [X.index_select(0, rows[s]) for X, rows in sources]
        X = parts[0] if len(parts) == 1 else torch.cat(parts)
        return X.view(-1, self.batch_size, *X.shape[1:])


class _PlainCrossEntropy:
    """The losses of the stacked nets whose loss is plain cross-entropy of
    their logits plus a fixed offset (class weights or none, logit
    adjustment or none, the same label smoothing, no sample weights), in one
    batched computation instead of one call per net.

    ``torch.nn.CrossEntropyLoss``'s mean: ``sum_i w_yi l_i / sum_i w_yi``,
    with ``l_i = (1 - e) nll_i + e / C sum_c w_c (-log p_ic) / w_yi``
    under label smoothing ``e``; padding rows (label -100) count nothing.
    """

    def __init__(self, nets, labels, weights, offsets, smoothing, index):
        self.nets, self.labels, self.weights = nets, labels, weights
        self.offsets, self.smoothing, self.index = offsets, smoothing, index

    @classmethod
    def of(cls, loop, labels, rows):
        """For this epoch's running nets (a callback may have changed a
        criterion's weights), or None when fewer than two qualify."""
        found = {}
        for j, k in enumerate(loop.running):
            if loop.weighted[k]:
                continue
            spec = loop.members[k].est._plain_cross_entropy()
            if spec is not None:
                found.setdefault(spec[1], []).append((j, spec[0], spec[2]))
        if not found:
            return None
        smoothing, chosen = max(found.items(), key=lambda item: len(item[1]))
        if len(chosen) < 2:
            return None
        nets = [j for j, _, _ in chosen]
        n_classes = loop.stack.n_classes
        device = loop.device

        def stacked(values, fill):
            return torch.stack(
                [
                    torch.full((n_classes,), fill, device=device)
                    if v is None
                    else v.detach().to(device=device, dtype=torch.float32)
                    for v in values
                ]
            )

        weights = stacked([w for _, w, _ in chosen], 1.0)
        offsets = None
        if any(o is not None for _, _, o in chosen):
            offsets = stacked([o for _, _, o in chosen], 0.0).unsqueeze(1)
        y = torch.stack([labels[j] for j in nets], dim=1)  # (S, P, batch), a copy
        for p, j in enumerate(nets):
            y[-1, p, rows[j][-1] :] = -100  # only the last batch is short
        index = None
        if len(nets) < len(loop.running):
            index = torch.tensor(nets, device=device)
        return cls(nets, y, weights, offsets, float(smoothing), index)

    def losses(self, logits, s):
        """Each net's loss at step ``s``, from the stack's logits."""
        if self.index is not None:
            logits = logits.index_select(0, self.index)
        if self.offsets is not None:
            logits = logits + self.offsets
        y = self.labels[s]
        valid = y != -100
        y = y.clamp_min(0)
        log_p = torch.log_softmax(logits, dim=-1)
        nll = -log_p.gather(-1, y.unsqueeze(-1)).squeeze(-1)
        w_y = self.weights.gather(1, y) * valid
        total = (w_y * nll).sum(1)
        if self.smoothing:
            e = self.smoothing
            smooth = -(log_p * self.weights.unsqueeze(1)).sum(-1) * valid
            total = (1 - e) * total + e / logits.shape[-1] * smooth.sum(1)
        return total / w_y.sum(1)
