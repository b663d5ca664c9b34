"""Batched Adam, AdamW and SGD steps for :func:`~skimb.estimators.fit_many`.

Each optimizer updates K nets' ``(K, ...)`` parameter tensors at once with
the update rule of the torch optimizer each net would have had, one step
count (and so one bias correction) per net. A net without a batch at a step
is left out through an index of the nets still training.

Adam and AdamW take torch's fused kernels (``torch._fused_adam_``,
``torch._fused_adamw_``) where the estimators' own optimizer is fused, as
skimb makes it by default on CPU and CUDA. Those kernels are private torch
API: they are used only where this torch has them with the signature
called here (:data:`FUSED_KERNELS`), and every other case takes the same
rule written with public tensor operations, batched over the K nets.
"""

import torch

__all__ = ["BatchedAdam", "BatchedSGD", "FUSED_KERNELS", "batched_optimizer"]

# The torch releases whose private kernels take the arguments passed below
# (lists of tensors, float hyper-parameters, ``grad_scale``/``found_inf``).
_KERNEL_TORCH = (2, 4)


def _torch_version():
    parts = []
    for part in torch.__version__.split("+")[0].split(".")[:2]:
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def _fused_kernels():
    """``{decoupled: kernel}`` from this torch, or None where it lacks one."""
    names = {False: "_fused_adam_", True: "_fused_adamw_"}
    if _torch_version() < _KERNEL_TORCH or not hasattr(torch, "_foreach_add_"):
        return None
    if not all(hasattr(torch, name) for name in names.values()):
        return None
    return {decoupled: getattr(torch, name) for decoupled, name in names.items()}


#: torch's private fused Adam kernels, or None: every batched Adam step then
#: takes the public operations (tests set it to None to check that path).
FUSED_KERNELS = _fused_kernels()


def batched_optimizer(optimizer, params, n_nets):
    """The batched counterpart of one net's initialised ``optimizer``."""
    group = optimizer.param_groups[0]
    if isinstance(optimizer, torch.optim.SGD):
        return BatchedSGD(params, group)
    decoupled = group.get(
        "decoupled_weight_decay", isinstance(optimizer, torch.optim.AdamW)
    )
    return BatchedAdam(params, group, n_nets, decoupled)


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


class BatchedAdam:
    """torch's Adam/AdamW update on ``(K, ...)`` tensors, one step count per net.

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
        # memory traffic of the public operations of ``_public_step``.
        self.kernel = None
        if (
            FUSED_KERNELS is not None
            and bool(group.get("fused"))
            and not self.maximize
            and self.device.type in ("cpu", "cuda")
        ):
            self.kernel = FUSED_KERNELS[self.decoupled]
            self.step_tensors = [
                [
                    torch.zeros((), dtype=torch.float32, device=self.device)
                    for _ in params
                ]
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
        return tuple(
            torch.tensor(rows, dtype=torch.float32, device=self.device).view(shape)
            for rows in (neg_step_size, bc2_sqrt)
        )

    @torch.no_grad()
    def step(self, grads, tables, s, active, index):
        for k in active:
            self.steps[k] += 1
        if self.kernel is not None:
            try:
                return self._fused_step(grads, active)
            except TypeError:
                # A torch whose private kernel takes other arguments: it
                # failed before writing anything, and the state it would
                # have updated is the state of the public path.
                self.kernel = None
        return self._public_step(grads, tables[0][s], tables[1][s], index)

    def _public_step(self, grads, neg_step_size, bc2_sqrt, index):
        neg_step_size, bc2_sqrt = _active_view([neg_step_size, bc2_sqrt], index)
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
        """Net ``k``'s Adam state, as its own optimizer would hold it."""
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


class BatchedSGD:
    """torch's SGD update (momentum, dampening, Nesterov, L2) on (K, ...) tensors."""

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
        """Net ``k``'s momentum buffers, as its own optimizer would hold them."""
        if self.momentum == 0 or k not in self.stepped:
            return
        for i, p in enumerate(params):
            optimizer.state[p] = {"momentum_buffer": _state_like(self.buffers[i][k], p)}
