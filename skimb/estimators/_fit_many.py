"""Many nets in one loop: train K ``SimpleNet`` estimators as stacked weights.

:func:`fit_many` fits each estimator on its own data, as ``est.fit`` would,
but trains the compatible ones together: their weights are stacked into
``(K, ...)`` tensors, each training step is one batched matrix product
(``torch.baddbmm``) over all K nets, and one batched optimizer step updates
them all. Each net keeps its own seed, initial weights, epoch order (drawn by
its own iterator from its own generator), criterion, class and sample
weights and optimizer state, so the result equals K separate fits to float
tolerance; small nets that would each leave the device idle then share it.
"""

import dataclasses

import torch
from skorch import NeuralNet
from skorch.callbacks import EpochScoring, EpochTimer, PassthroughScoring, PrintLog

from .._utils.device import seeded as _seeded
from .._utils.device import torch_threads
from ..nn._losses import FocalLoss, LDAMLoss, LogitAdjustedLoss
from ..nn._simple_net import SimpleNet
from ._batches import ShuffledBatches, WeightedSamplerBatches
from ._callbacks import DeferredReweighting
from ._classifiers import NetClassifier

__all__ = ["fit_many"]

_OPTIMIZERS = (torch.optim.Adam, torch.optim.AdamW, torch.optim.SGD)
_CRITERIA = (torch.nn.CrossEntropyLoss, LogitAdjustedLoss, FocalLoss, LDAMLoss)
# Callbacks whose work is per epoch only (or, for valid_acc, on validation
# batches, which these fits do not have): the stacked loop notifies each
# estimator at epoch boundaries and records its batches itself.
_CALLBACKS = (
    EpochTimer,
    PassthroughScoring,
    EpochScoring,
    PrintLog,
    DeferredReweighting,
)
_ITERATORS = (ShuffledBatches, WeightedSamplerBatches)
# Optimizer options that change no update rule, only where torch keeps state.
_IMPLEMENTATION_OPTIONS = ("params", "foreach", "fused", "capturable")


def fit_many(estimators, Xs, ys, sample_weights=None):
    """Fit each estimator on its own data, training compatible ones together.

    ``fit_many([a, b], [Xa, Xb], [ya, yb])`` gives the fitted estimators that
    ``a.fit(Xa, ya)`` and ``b.fit(Xb, yb)`` give, to float tolerance: the same
    validation, seeds, initial weights, epoch orders, losses, optimizer
    updates and ``history_``. Estimators that can be stacked (see Notes) are
    grouped and each group trains as one batched net; every other estimator
    is fitted by its own ``fit``.

    Parameters
    ----------
    estimators : sequence of estimators
        Distinct estimator objects; they are fitted in place.
    Xs : sequence of array-like of shape (n_samples_i, n_features)
        Training data of each estimator; sizes may differ.
    ys : sequence of array-like of shape (n_samples_i,)
        Labels of each estimator.
    sample_weights : sequence of (array-like or None), default=None
        Sample weights of each estimator (``None`` for none).

    Returns
    -------
    estimators : list
        The same estimator objects, fitted.

    See Also
    --------
    skimb.NetClassifier.fit : What each estimator's training equals.

    Notes
    -----
    An estimator is stacked when it is a skimb estimator with a
    :class:`~skimb.SimpleNet` module, an Adam, AdamW or SGD optimizer
    (without ``amsgrad`` or ``differentiable``) and a
    ``CrossEntropyLoss``, :class:`~skimb.nn.LogitAdjustedLoss`,
    :class:`~skimb.nn.FocalLoss` or :class:`~skimb.nn.LDAMLoss`
    criterion, and has no user callbacks, no ``train_split``, no
    ``warm_start``, no ``compile`` and one optimizer parameter group.
    Estimators stack together when they also agree on the device, the net's
    sizes, the batch size, ``max_epochs`` and the optimizer's class and
    settings. A group of one is fitted on its own, as are the others.

    Within a group each net computes its loss with its own criterion on its
    own slice of the stacked logits, so class weights, deferred re-weighting,
    sample weights and the long-tail losses apply per net. Nets with more
    batches per epoch than others keep training while the others wait: a
    net without a batch at a step is not updated (its optimizer step count,
    and so Adam's bias correction, does not advance).

    Parameters, optimizer state and the per-epoch losses equal those of
    separate fits up to float rounding (a batched product sums in another
    order than a single one). The ``dur`` of an epoch is the time the whole
    group took for it. Callbacks are notified at the start and end of
    training and of each epoch, not per batch (which is why user callbacks
    make an estimator train alone).

    ``benchmarks/stacked.py`` measures the throughput against separate fits.

    Examples
    --------
    >>> import numpy as np
    >>> from skimb import NetClassifier, WeightedLossClassifier
    >>> from skimb.estimators import fit_many
    >>> rng = np.random.default_rng(0)
    >>> Xs = [rng.normal(size=(n, 5)).astype(np.float32) for n in (40, 60)]
    >>> ys = [rng.integers(0, 2, size=len(X)) for X in Xs]
    >>> nets = [NetClassifier(max_epochs=2, module__hidden_units=8, device="cpu",
    ...                       random_state=0),
    ...         WeightedLossClassifier(max_epochs=2, module__hidden_units=8,
    ...                                device="cpu", random_state=1)]
    >>> fitted = fit_many(nets, Xs, ys)
    >>> [len(est.history_) for est in fitted]
    [2, 2]
    """
    estimators = list(estimators)
    Xs, ys = list(Xs), list(ys)
    if sample_weights is None:
        sample_weights = [None] * len(estimators)
    sample_weights = list(sample_weights)
    lengths = {len(estimators), len(Xs), len(ys), len(sample_weights)}
    if len(lengths) != 1:
        raise ValueError(
            "estimators, Xs, ys and sample_weights must have the same length; got "
            f"{len(estimators)}, {len(Xs)}, {len(ys)} and {len(sample_weights)}."
        )
    if len({id(est) for est in estimators}) != len(estimators):
        raise ValueError(
            "estimators must be distinct objects: one estimator cannot be fitted "
            "twice at once."
        )

    # In the order given, as a loop of fits would do it (an estimator with
    # random_state=None draws its seed from numpy's global generator).
    members = []
    try:
        for est, X, y, sw in zip(estimators, Xs, ys, sample_weights, strict=True):
            if _ineligible_reason(est) is not None:
                _fit_alone(est, X, y, sw)
                continue
            member = _open_fit(est, X, y, sw)
            members.append(member)
    except BaseException:
        for member in reversed(members):
            member.restore()
        raise

    groups = {}
    for member in members:
        if member.key is None:
            groups[id(member)] = [member]
        else:
            groups.setdefault(member.key, []).append(member)
    try:
        for group in groups.values():
            lead = group[0]
            threads = lead.est._threads(lead.device, n_nets=len(group))
            with torch_threads(threads):
                if len(group) == 1:
                    _train_alone(lead)
                else:
                    _train_stacked(group)
    finally:
        for member in members:
            member.est.__dict__.pop("_fit_generator", None)
    return estimators


# ---- eligibility --------------------------------------------------------------


def _ineligible_reason(est):
    """Why ``est`` must be fitted on its own, or None if it may be stacked.

    Decided from the parameters alone, before fit changes anything.
    """
    if not isinstance(est, NetClassifier):
        return "not a skimb estimator"
    module = est.module
    if not (module is SimpleNet or type(module) is SimpleNet):
        return "the module is not skimb's SimpleNet"
    if est.optimizer not in _OPTIMIZERS:
        return "the optimizer is not torch's Adam, AdamW or SGD"
    criterion = est.criterion
    if not (criterion in _CRITERIA or type(criterion) in _CRITERIA):
        return "the criterion is not one of the stackable losses"
    if est.callbacks:
        return "user callbacks need the per-batch loop"
    if est.train_split is not None:
        return "a train_split validates per epoch"
    if est.warm_start:
        return "warm_start continues a previous fit"
    if est.compile:
        return "a compiled module runs its own graph"
    params = est.get_params(deep=False)
    for name in ("optimizer__amsgrad", "optimizer__differentiable"):
        if params.get(name):
            return f"{name} is not stackable"
    if "optimizer__param_groups" in params:
        return "optimizer parameter groups are not stackable"
    return None


def _fitted_ineligible_reason(est, iterator):
    """Checks that need the initialised module, optimizer and iterator."""
    module = est.module_
    if type(module) is not SimpleNet:
        return "the initialised module is not a SimpleNet"
    expected = [module.fc1.weight, module.fc1.bias, module.fc2.weight, module.fc2.bias]
    if any(p.dtype != torch.float32 for p in expected):
        return "the parameters are not float32"
    optimizer = est.optimizer_
    if type(optimizer) not in _OPTIMIZERS or len(optimizer.param_groups) != 1:
        return "the optimizer has several parameter groups"
    group = optimizer.param_groups[0]
    if [id(p) for p in group["params"]] != [id(p) for p in expected]:
        return "the optimizer does not hold exactly the module's parameters"
    if group.get("amsgrad") or group.get("differentiable"):
        return "amsgrad and differentiable optimizers are not stackable"
    if any(
        isinstance(v, torch.Tensor) for v in group.values() if v is not group["params"]
    ):
        return "tensor-valued optimizer settings are not stackable"
    criterion = est.criterion_
    if type(criterion) not in _CRITERIA or any(True for _ in criterion.parameters()):
        return "the criterion is not a stackable loss"
    if not all(isinstance(cb, _CALLBACKS) for _, cb in est.callbacks_):
        return "a callback needs the per-batch loop"
    if not isinstance(iterator, _ITERATORS):
        return "the training batches are not skimb's device iterators"
    return None


def _optimizer_settings(optimizer):
    group = optimizer.param_groups[0]
    settings = sorted(
        (k, v) for k, v in group.items() if k not in _IMPLEMENTATION_OPTIONS
    )
    return type(optimizer), repr(settings)


# ---- one estimator's fit, in the steps of its own ``_fit`` --------------------


@dataclasses.dataclass
class _Member:
    """One estimator between preparation and training."""

    est: object
    saved: dict
    dataset: object
    y_enc: object
    device: torch.device
    seed: int
    iterator: object = None
    key: tuple = None

    def restore(self):
        self.est.__dict__.clear()
        self.est.__dict__.update(self.saved)


def _fit_alone(est, X, y, sample_weight):
    if sample_weight is None:
        est.fit(X, y)
    else:
        est.fit(X, y, sample_weight=sample_weight)


def _open_fit(est, X, y, sample_weight):
    """Validate, seed and initialise ``est`` exactly as its ``fit`` does.

    These are the steps of the estimators' ``_fit`` before the training
    loop: the same seed derivation, generator and initialisation under the
    seeded global RNG, so that initial weights and every epoch's draws are
    those of a separate fit.
    """
    saved = dict(est.__dict__)
    dataset, y_enc, device, seed = est._begin_fit(
        X, y, sample_weight, fresh=True, classes=None
    )
    try:
        member = _Member(est, saved, dataset, y_enc, device, seed)
        member.iterator = est.get_iterator(dataset, training=True)
    except BaseException:
        est.__dict__.clear()
        est.__dict__.update(saved)
        raise
    if _fitted_ineligible_reason(est, member.iterator) is None:
        module = est.module_
        member.key = (
            str(device),
            module.n_features,
            module.hidden_units,
            module.n_classes,
            member.iterator.batch_size,
            est.max_epochs,
            _optimizer_settings(est.optimizer_),
        )
    return member


def _train_alone(member):
    """The rest of ``_fit``: skorch's own loop, under the estimator's seed."""
    est = member.est
    with _seeded(member.seed, member.device):
        NeuralNet.partial_fit(est, member.dataset, member.y_enc)


# ---- the stacked loop ----------------------------------------------------------


def _train_stacked(members):
    """Train a group of compatible nets as one batched net."""
    nets = _StackedNets(members)
    for member in members:
        member.est.check_training_readiness()
        member.est.notify("on_train_begin", X=member.dataset, y=member.y_enc)
    try:
        for _ in range(members[0].est.max_epochs):
            nets.run_epoch()
    except KeyboardInterrupt:
        pass  # as skorch: stop training, keep what was learned
    finally:
        nets.unstack()
    for member in members:
        member.est.notify("on_train_end", X=member.dataset, y=member.y_enc)


class _StackedNets:
    """K SimpleNets as stacked parameters, their data and their optimizer.

    The weights keep ``nn.Linear``'s layout, ``(K, out, in)``, and enter
    ``baddbmm`` transposed, so a net's slice is its own ``weight``.
    """

    def __init__(self, members):
        # Nets that read the same data tensor sit next to each other, so one
        # gather per step serves them all.
        keyed, rank = {}, []
        for member in members:
            X = member.dataset.X
            X = X.reshape(len(X), -1)
            key = (X.data_ptr(), tuple(X.shape), X.stride(), X.dtype, str(X.device))
            rank.append(keyed.setdefault(key, (len(keyed), X))[0])
        order = sorted(range(len(members)), key=rank.__getitem__)
        self.members = [members[i] for i in order]
        self.sources = []  # (2-D data, first net, end net) in stacked order
        for rank_, X in keyed.values():
            nets = [k for k, i in enumerate(order) if rank[i] == rank_]
            self.sources.append((X, nets[0], nets[-1] + 1))

        first = self.members[0]
        self.device = first.device
        self.batch_size = first.iterator.batch_size
        self.epoch_sizes = [m.iterator.epoch_size for m in self.members]
        self.n_steps = [-(-n // self.batch_size) for n in self.epoch_sizes]
        self.max_steps = max(self.n_steps)
        # The nets still training at step s are those with more than s
        # batches; the index is made once, not per step.
        self.active = []
        for s in range(self.max_steps):
            active = [k for k, n in enumerate(self.n_steps) if n > s]
            index = None
            if len(active) < len(self.members):
                index = torch.tensor(active, device=self.device)
            self.active.append((active, index))
        self.weighted = [
            m.iterator.with_weight and m.dataset.sample_weight is not None
            for m in self.members
        ]

        with torch.no_grad():
            modules = [m.est.module_ for m in self.members]
            self.params = [
                torch.stack([mod.fc1.weight for mod in modules]),
                torch.stack([mod.fc1.bias for mod in modules]).unsqueeze(1),
                torch.stack([mod.fc2.weight for mod in modules]),
                torch.stack([mod.fc2.bias for mod in modules]).unsqueeze(1),
            ]
        for p in self.params:
            p.requires_grad_(True)
        optimizer = first.est.optimizer_
        group = optimizer.param_groups[0]
        if isinstance(optimizer, torch.optim.SGD):
            self.optimizer = _StackedSGD(self.params, group)
        else:
            decoupled = group.get(
                "decoupled_weight_decay", isinstance(optimizer, torch.optim.AdamW)
            )
            self.optimizer = _StackedAdam(
                self.params, group, len(self.members), decoupled
            )

    # ---- one epoch -------------------------------------------------------------
    def run_epoch(self):
        members, bs, S = self.members, self.batch_size, self.max_steps
        for m in members:
            m.est.notify("on_epoch_begin", dataset_train=m.dataset, dataset_valid=None)
        # Each net's order comes from its own iterator and generator: the
        # draws of a separate fit. Padding to S full batches (with row 0,
        # never used) gives every net the same (S, batch) grid.
        padded, labels, weights = [], [], []
        for k, m in enumerate(members):
            order = m.iterator.order()
            if len(order) != self.epoch_sizes[k]:
                raise RuntimeError(
                    f"net {k} drew {len(order)} samples, expected {self.epoch_sizes[k]}"
                )
            order = torch.nn.functional.pad(order, (0, S * bs - len(order)))
            padded.append(order.view(S, bs))
            labels.append(m.dataset.y.index_select(0, order).view(S, bs))
            weights.append(
                m.dataset.sample_weight.index_select(0, order).view(S, bs)
                if self.weighted[k]
                else None
            )
        index = [
            torch.stack(padded[start:end], dim=1) for _, start, end in self.sources
        ]
        tables = self.optimizer.plan_epoch([active for active, _ in self.active])

        losses = []  # (net, batch size, loss tensor) in step order
        for s in range(S):
            X = self._gather(index, s)
            active, active_index = self.active[s]
            step_losses = self._losses(X, labels, weights, s, active, losses)
            grads = torch.autograd.grad(torch.stack(step_losses).sum(), self.params)
            self.optimizer.step(grads, tables, s, active, active_index)

        values = torch.stack([loss for _, _, loss in losses]).tolist()
        per_net = [[] for _ in members]
        for (k, n, _), value in zip(losses, values, strict=True):
            per_net[k].append((value, n))
        for m, records in zip(members, per_net, strict=True):
            history = m.est.history
            for value, n in records:
                history.new_batch()
                history.record_batch("train_loss", value)
                history.record_batch("train_batch_size", n)
            history.record("train_batch_count", len(records))
            m.est.notify("on_epoch_end", dataset_train=m.dataset, dataset_valid=None)

    def _gather(self, index, s):
        parts = [
            data.index_select(0, idx[s].view(-1))
            for (data, _, _), idx in zip(self.sources, index, strict=True)
        ]
        X = parts[0] if len(parts) == 1 else torch.cat(parts)
        return X.view(len(self.members), self.batch_size, -1)

    def _losses(self, X, labels, weights, s, active, out):
        W1, b1, W2, b2 = self.params
        hidden = torch.relu(torch.baddbmm(b1, X, W1.transpose(1, 2)))
        logits = torch.baddbmm(b2, hidden, W2.transpose(1, 2)).unbind(0)
        bs = self.batch_size
        step_losses = []
        for k in active:
            n = min(bs, self.epoch_sizes[k] - s * bs)
            y_pred, y_true = logits[k][:n], labels[k][s, :n]
            Xi = X[k, :n]
            if weights[k] is not None:
                Xi = {"X": Xi, "sample_weight": weights[k][s, :n]}
            # The estimator's own loss: its criterion, class weights
            # (deferred re-weighting included) and sample weights.
            loss = self.members[k].est.get_loss(y_pred, y_true, X=Xi, training=True)
            step_losses.append(loss)
            out.append((k, n, loss.detach()))
        return step_losses

    # ---- back into the estimators ---------------------------------------------
    def unstack(self):
        """Copy each net's parameters and optimizer state into its estimator."""
        with torch.no_grad():
            for k, m in enumerate(self.members):
                module = m.est.module_
                own = [
                    module.fc1.weight,
                    module.fc1.bias,
                    module.fc2.weight,
                    module.fc2.bias,
                ]
                for p, stacked in zip(own, self.params, strict=True):
                    p.copy_(stacked[k].view_as(p))
                self.optimizer.write_state(m.est.optimizer_, own, k)


# ---- batched optimizers ---------------------------------------------------------


def _active_view(tensors, index):
    return [t if index is None else t.index_select(0, index) for t in tensors]


def _state_like(value, param):
    # The fused kernels walk state and parameter memory in step, so the state
    # must have the parameter's layout (autograd may hand back transposed
    # gradients, and a buffer cloned from one keeps that layout).
    return value.reshape(param.shape).clone(memory_format=torch.contiguous_format)


def _write_back(targets, values, index):
    if index is not None:
        for target, value in zip(targets, values, strict=True):
            target.index_copy_(0, index, value)


class _StackedAdam:
    """torch's Adam/AdamW update on stacked tensors, one step count per net.

    The rule of ``torch.optim.Adam`` (Kingma and Ba, 2015) as torch writes
    it: coupled L2 (Adam) or decoupled (AdamW, Loshchilov and Hutter, 2019)
    weight decay, ``m.lerp_(g, 1 - beta1)``, ``v = beta2 v + (1 - beta2) g^2``,
    ``p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)``.
    The bias corrections are computed per net in double precision on the
    host, as torch does for a float step, once per epoch.
    """

    def __init__(self, params, group, n_nets, decoupled):
        self.lr = float(group["lr"])
        self.beta1, self.beta2 = (float(b) for b in group["betas"])
        self.eps = float(group["eps"])
        self.weight_decay = float(group["weight_decay"])
        self.maximize = bool(group.get("maximize", False))
        self.decoupled = bool(decoupled)
        self.fused_state = bool(group.get("fused") or group.get("capturable"))
        self.exp_avg = [torch.zeros_like(p) for p in params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in params]
        self.params = params
        self.steps = [0] * n_nets
        self.device = params[0].device
        # The estimators' own fused Adam (the default on CPU and CUDA) is one
        # pass over each tensor; called on each active net's slices, with
        # that net's step count, it is the same update in a fraction of the
        # memory traffic of the elementwise ops below.
        kernel = "_fused_adamw_" if self.decoupled else "_fused_adam_"
        self.fused = (
            bool(group.get("fused"))
            and not self.maximize
            and hasattr(torch, kernel)
            and self.device.type in ("cpu", "cuda")
        )
        self.kernel = getattr(torch, kernel, None)
        self.step_tensors = [
            [torch.zeros((), dtype=torch.float32, device=self.device) for _ in params]
            for _ in range(n_nets)
        ]

    def plan_epoch(self, active_per_step):
        """Per step and net: ``-lr / bias_correction1``, ``sqrt(bias_correction2)``."""
        steps = list(self.steps)
        neg_step_size, bc2_sqrt = [], []
        for active in active_per_step:
            row_a, row_b = [0.0] * len(steps), [1.0] * len(steps)
            for k in active:
                steps[k] += 1
                t = steps[k]
                row_a[k] = -(self.lr / (1 - self.beta1**t))
                row_b[k] = (1 - self.beta2**t) ** 0.5
            neg_step_size.append(row_a)
            bc2_sqrt.append(row_b)
        shape = (len(active_per_step), len(steps), 1, 1)
        return (
            torch.tensor(neg_step_size, dtype=torch.float32, device=self.device).view(
                shape
            ),
            torch.tensor(bc2_sqrt, dtype=torch.float32, device=self.device).view(shape),
        )

    @torch.no_grad()
    def step(self, grads, tables, s, active, index):
        for k in active:
            self.steps[k] += 1
        if self.fused:
            return self._fused_step(grads, active)
        neg_step_size, bc2_sqrt = _active_view([tables[0][s], tables[1][s]], index)
        for p_all, g_all, m_all, v_all in zip(
            self.params, grads, self.exp_avg, self.exp_avg_sq, strict=True
        ):
            p, g, m, v = _active_view([p_all, g_all, m_all, v_all], index)
            if self.maximize:
                g = -g
            if self.weight_decay != 0:
                if self.decoupled:
                    p.mul_(1 - self.lr * self.weight_decay)
                else:
                    g = g.add(p, alpha=self.weight_decay)
            m.lerp_(g, 1 - self.beta1)
            v.mul_(self.beta2).addcmul_(g, g, value=1 - self.beta2)
            denom = (v.sqrt() / bc2_sqrt).add_(self.eps)
            p.add_((m / denom).mul_(neg_step_size))
            _write_back([p_all, m_all, v_all], [p, m, v], index)

    def _fused_step(self, grads, active):
        # The fused kernels walk each tensor in memory order: a gradient that
        # autograd returned transposed (W enters baddbmm as W.T) must first
        # take the parameter's layout.
        grads = [g if g.is_contiguous() else g.contiguous() for g in grads]
        params, grad_list, exp_avgs, exp_avg_sqs, steps = [], [], [], [], []
        for k in active:
            for i, p_all in enumerate(self.params):
                params.append(p_all[k])
                grad_list.append(grads[i][k])
                exp_avgs.append(self.exp_avg[i][k])
                exp_avg_sqs.append(self.exp_avg_sq[i][k])
                steps.append(self.step_tensors[k][i])
        torch._foreach_add_(steps, 1)
        self.kernel(
            params,
            grad_list,
            exp_avgs,
            exp_avg_sqs,
            [],
            steps,
            amsgrad=False,
            lr=self.lr,
            beta1=self.beta1,
            beta2=self.beta2,
            weight_decay=self.weight_decay,
            eps=self.eps,
            maximize=False,
            grad_scale=None,
            found_inf=None,
        )

    def write_state(self, optimizer, params, k):
        if self.steps[k] == 0:
            return
        scalar = (
            torch.float64
            if torch.get_default_dtype() == torch.float64
            else torch.float32
        )
        for i, p in enumerate(params):
            step = torch.tensor(
                float(self.steps[k]),
                dtype=scalar,
                device=p.device if self.fused_state else "cpu",
            )
            optimizer.state[p] = {
                "step": step,
                "exp_avg": _state_like(self.exp_avg[i][k], p),
                "exp_avg_sq": _state_like(self.exp_avg_sq[i][k], p),
            }


class _StackedSGD:
    """torch's SGD update (momentum, dampening, Nesterov, L2) on stacked tensors."""

    def __init__(self, params, group):
        self.lr = float(group["lr"])
        self.momentum = float(group["momentum"])
        self.dampening = float(group["dampening"])
        self.nesterov = bool(group["nesterov"])
        self.weight_decay = float(group["weight_decay"])
        self.maximize = bool(group.get("maximize", False))
        self.params = params
        self.buffers = None
        self.stepped = set()

    def plan_epoch(self, active_per_step):
        return None

    @torch.no_grad()
    def step(self, grads, tables, s, active, index):
        self.stepped.update(active)
        first = self.buffers is None
        if first and self.momentum != 0:
            # Every net has a batch at the first step, so every buffer starts here.
            self.buffers = [None] * len(self.params)
        for i, (p_all, g_all) in enumerate(zip(self.params, grads, strict=True)):
            p, g = _active_view([p_all, g_all], index)
            if self.maximize:
                g = -g
            if self.weight_decay != 0:
                g = g.add(p, alpha=self.weight_decay)
            if self.momentum != 0:
                if first:
                    buf = self.buffers[i] = g.detach().clone()
                else:
                    (buf,) = _active_view([self.buffers[i]], index)
                    buf.mul_(self.momentum).add_(g, alpha=1 - self.dampening)
                    _write_back([self.buffers[i]], [buf], index)
                g = g.add(buf, alpha=self.momentum) if self.nesterov else buf
            p.add_(g, alpha=-self.lr)
            _write_back([p_all], [p], index)

    def write_state(self, optimizer, params, k):
        if self.momentum == 0 or k not in self.stepped:
            return
        for i, p in enumerate(params):
            optimizer.state[p] = {"momentum_buffer": _state_like(self.buffers[i][k], p)}
