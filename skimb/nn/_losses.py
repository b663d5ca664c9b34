"""Losses for long-tailed (class-imbalanced) classification.

Each loss is a plain :class:`torch.nn.Module` called as ``loss(logits, target)``
with ``logits`` of shape ``(N, C)`` (floating) and ``target`` of shape ``(N,)``
(integer class indices). All of them can be passed as ``criterion=`` to
:class:`~skimb.WeightedLossClassifier`, which fills in the constructor's
``weight`` (per-class weights, shape ``(C,)``) and ``class_counts`` (per-class
training counts, shape ``(C,)``) arguments; every other option is set with
``criterion__<name>``.

Shared conventions, matching :func:`torch.nn.functional.cross_entropy`:

* ``reduction`` is one of ``'mean'``, ``'sum'``, ``'none'`` and is a public
  attribute that may be changed after construction.
* With a class ``weight`` each per-sample loss ``l_i`` is multiplied by
  ``weight[y_i]``; ``'none'`` returns these weighted values, ``'sum'`` their
  sum and ``'mean'`` the weighted mean ``sum(w_yi * l_i) / sum(w_yi)`` (the
  plain mean without a weight).
* ``weight`` and all tensors derived from ``class_counts`` are registered
  buffers, so ``.to(device)`` moves them and they appear in ``state_dict()``.
  At call time they are cast to the dtype and device of ``logits``.
* Class counts may be zero; they are clamped to at least ``1e-12`` before any
  logarithm or power so that no ``inf`` or ``nan`` appears. A class without
  training samples therefore gets a very small prior (``LogitAdjustedLoss``)
  or the largest margin (``LDAMLoss``).
"""

import torch
import torch.nn.functional as F
from torch import nn

from .._utils.docstring import Substitution
from .._utils.validation import check_number

_REDUCTION = """reduction : {'mean', 'sum', 'none'}, default='mean'
        ``'mean'`` is the weighted mean ``sum(w_yi l_i) / sum(w_yi)``;
        ``'none'`` returns the weighted per-sample losses ``w_yi l_i``."""
_shared = Substitution(reduction=_REDUCTION)

__all__ = ["FocalLoss", "LDAMLoss", "LogitAdjustedLoss"]

#: The values ``reduction`` accepts.
REDUCTIONS = ("mean", "sum", "none")

#: Lower bound applied to class counts before ``log`` or ``pow``.
MIN_COUNT = 1e-12


# --------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------


def _check_reduction(reduction):
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        allowed = ", ".join(repr(r) for r in REDUCTIONS)
        raise ValueError(f"reduction must be one of {allowed}; got {reduction!r}.")
    return reduction


def _check_scalar(value, name, *, strict=False):
    """A finite real ``>= 0`` (``> 0`` when ``strict``) returned as float."""
    return check_number(
        value, name, min_val=0, include_boundaries="neither" if strict else "left"
    )


def _as_vector(values, name, what):
    """Convert ``values`` to a 1-D float64 tensor of finite, non-negative reals."""
    expected = f"{name} must be a non-empty 1-D array of non-negative finite {what}"
    try:
        tensor = torch.as_tensor(values)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(f"{expected}; got {values!r}.") from exc
    if tensor.is_complex() or tensor.dtype == torch.bool:
        raise TypeError(f"{expected}; got a tensor of dtype {tensor.dtype}.")
    tensor = tensor.detach().to(device="cpu", dtype=torch.float64)
    if tensor.dim() != 1 or tensor.numel() == 0:
        raise ValueError(f"{expected}; got shape {tuple(tensor.shape)}.")
    if not torch.isfinite(tensor).all() or (tensor < 0).any():
        raise ValueError(f"{expected}; got {tensor.tolist()}.")
    return tensor


def _check_weight(weight, n_classes=None):
    """Validate the class weight; ``None`` or a default-dtype tensor of shape (C,)."""
    if weight is None:
        return None
    weight = _as_vector(weight, "weight", "class weights")
    if n_classes is not None and weight.numel() != n_classes:
        raise ValueError(
            f"weight must have one entry per class ({n_classes}, the length of "
            f"class_counts); got {weight.numel()} entries."
        )
    return weight.to(torch.get_default_dtype())


def _check_counts(class_counts):
    """Validate ``class_counts``; float64 tensor clamped to ``>= MIN_COUNT``."""
    if class_counts is None:
        raise TypeError(
            "class_counts must be a non-empty 1-D array of non-negative finite "
            "per-class training counts; got None."
        )
    counts = _as_vector(class_counts, "class_counts", "per-class training counts")
    return counts.clamp_min(MIN_COUNT)


def _describe(value):
    if isinstance(value, torch.Tensor):
        return f"a tensor of dtype {value.dtype}"
    return f"{type(value).__name__}"


def _check_inputs(logits, target, n_classes=None, name="class_counts"):
    """Check shapes and return ``target`` as int64 on ``logits``' device."""
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        raise TypeError(
            "logits must be a floating-point tensor of shape (N, C); got "
            f"{_describe(logits)}."
        )
    if logits.dim() != 2:
        raise ValueError(
            f"logits must have shape (N, C); got shape {tuple(logits.shape)}."
        )
    integer = isinstance(target, torch.Tensor) and not (
        target.is_floating_point() or target.is_complex() or target.dtype == torch.bool
    )
    if not integer:
        raise TypeError(
            "target must be an integer tensor of class indices of shape (N,); got "
            f"{_describe(target)}."
        )
    if target.shape != logits.shape[:1]:
        raise ValueError(
            f"target must have shape (N,) = ({logits.shape[0]},) to match logits "
            f"{tuple(logits.shape)}; got shape {tuple(target.shape)}."
        )
    if n_classes is not None and logits.shape[1] != n_classes:
        raise ValueError(
            f"{name} has {n_classes} classes but logits have {logits.shape[1]} "
            f"columns; {name} must have one entry per logit column."
        )
    return target.to(device=logits.device, dtype=torch.long)


def _cast(buffer, like):
    return None if buffer is None else buffer.to(device=like.device, dtype=like.dtype)


def _reduce(loss, target, weight, reduction):
    """Apply the class weight and ``reduction`` to unweighted per-sample losses."""
    reduction = _check_reduction(reduction)
    if weight is not None:
        sample_class_weight = weight.index_select(0, target)
        loss = loss * sample_class_weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if weight is None:
        return loss.mean()
    return loss.sum() / sample_class_weight.sum()


class _ClassLoss(nn.Module):
    """Shared pieces: the ``weight`` buffer and the ``reduction`` attribute."""

    def __init__(self, weight, reduction, n_classes=None):
        super().__init__()
        self.reduction = _check_reduction(reduction)
        self.register_buffer("weight", _check_weight(weight, n_classes))

    def _extra(self):
        return ""

    def extra_repr(self):
        extra = self._extra()
        weighted = ", weight=..." if self.weight is not None else ""
        return f"{extra}{weighted}, reduction={self.reduction!r}".lstrip(", ")


# --------------------------------------------------------------------------
# losses
# --------------------------------------------------------------------------


@_shared
class LogitAdjustedLoss(_ClassLoss):
    """Logit-adjusted cross-entropy for long-tailed classification.

    Cross-entropy on ``logits + tau * log(prior)`` where
    ``prior = class_counts / class_counts.sum()`` is the empirical class
    prior (Menon et al., 2021). Adding the log-prior during training makes
    the unadjusted logits estimate the balanced (class-uniform) posterior,
    so predictions with the plain ``argmax(logits)`` favour rare classes.
    ``tau=1`` is the Balanced Softmax loss (Ren et al., 2020); ``tau=0`` is
    plain (weighted) cross-entropy.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Number (or total sample weight) of training samples in each class,
        aligned with the logit columns. Counts must be finite and
        non-negative; they are clamped to at least ``1e-12`` before the
        logarithm, so an empty class gets a very small but finite prior.
    tau : float, default=1.0
        Non-negative scale of the log-prior adjustment. Read at every call.
    weight : array-like of shape (n_classes,), default=None
        Per-class weights ``w``: sample ``i``'s loss is multiplied by
        ``w[y_i]``, as in :func:`torch.nn.functional.cross_entropy`.
    {reduction}
    label_smoothing : float in [0, 1], default=0.0
        As in :func:`torch.nn.functional.cross_entropy`, on the adjusted
        logits.

    Attributes
    ----------
    log_prior : torch.Tensor of shape (n_classes,)
        Buffer holding ``log(prior)``.
    class_counts : torch.Tensor of shape (n_classes,)
        Buffer holding the clamped counts.
    weight : torch.Tensor of shape (n_classes,) or None
        Buffer holding the class weights.

    References
    ----------
    .. [1] A. K. Menon, S. Jayasumana, A. S. Rawat, H. Jain, A. Veit and
       S. Kumar, "Long-tail learning via logit adjustment", ICLR 2021.
    .. [2] J. Ren, C. Yu, S. Sheng, X. Ma, H. Zhao, S. Yi and H. Li,
       "Balanced Meta-Softmax for Long-Tailed Visual Recognition",
       NeurIPS 2020.

    Examples
    --------
    >>> import torch
    >>> import torch.nn.functional as F
    >>> logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]])
    >>> target = torch.tensor([0, 2])
    >>> counts = torch.tensor([90.0, 9.0, 1.0])
    >>> loss = LogitAdjustedLoss(counts, tau=1.0)
    >>> adjusted = logits + torch.log(counts / counts.sum())
    >>> print(torch.allclose(loss(logits, target), F.cross_entropy(adjusted, target)))
    True
    >>> plain = LogitAdjustedLoss(counts, tau=0.0)
    >>> print(torch.allclose(plain(logits, target), F.cross_entropy(logits, target)))
    True
    """

    def __init__(
        self, class_counts, tau=1.0, weight=None, reduction="mean", label_smoothing=0.0
    ):
        counts = _check_counts(class_counts)
        super().__init__(weight, reduction, n_classes=counts.numel())
        self.tau = _check_scalar(tau, "tau")
        self.label_smoothing = _check_scalar(label_smoothing, "label_smoothing")
        if self.label_smoothing > 1:
            raise ValueError(
                f"label_smoothing must be in [0, 1]; got {label_smoothing!r}."
            )
        dtype = torch.get_default_dtype()
        self.register_buffer("class_counts", counts.to(dtype))
        self.register_buffer("log_prior", torch.log(counts / counts.sum()).to(dtype))

    def _extra(self):
        extra = f"n_classes={self.log_prior.numel()}, tau={self.tau}"
        if self.label_smoothing:
            extra += f", label_smoothing={self.label_smoothing}"
        return extra

    def forward(self, logits, target):
        target = _check_inputs(logits, target, self.log_prior.numel())
        adjusted = logits + self.tau * _cast(self.log_prior, logits)
        return F.cross_entropy(
            adjusted,
            target,
            weight=_cast(self.weight, logits),
            reduction=_check_reduction(self.reduction),
            label_smoothing=self.label_smoothing,
        )


@_shared
class FocalLoss(_ClassLoss):
    """Focal loss ``-alpha_t (1 - p_t)^gamma log(p_t)``.

    ``p_t`` is the softmax probability of the true class and
    ``alpha_t = weight[y]`` (1 without a weight) (Lin et al., 2017). The
    factor ``(1 - p_t)^gamma`` down-weights well-classified samples so that
    training focuses on hard ones. ``gamma=0`` is plain (weighted)
    cross-entropy.

    ``log(p_t)`` comes from :func:`torch.nn.functional.log_softmax` and
    ``1 - p_t`` from ``-expm1(log p_t)``, so the loss and its gradient stay
    finite for extreme logits. ``1 - p_t`` is clamped to at least ``1e-12``
    (or the dtype's smallest normal number when that is larger) before the
    power, because ``x**gamma`` has an infinite derivative at ``x = 0`` for
    ``gamma < 1``; this changes the loss by at most ``1e-12**gamma * |log
    p_t|``, which is negligible.

    Parameters
    ----------
    gamma : float, default=2.0
        Non-negative focusing parameter. Read at every call.
    weight : array-like of shape (n_classes,), default=None
        Per-class weights ``alpha``: sample ``i``'s loss is multiplied by
        ``alpha[y_i]``.
    {reduction}

    Attributes
    ----------
    weight : torch.Tensor of shape (n_classes,) or None
        Buffer holding the class weights.

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollar, "Focal Loss
       for Dense Object Detection", ICCV 2017.

    Examples
    --------
    >>> import torch
    >>> import torch.nn.functional as F
    >>> logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]])
    >>> target = torch.tensor([0, 2])
    >>> p_t = torch.softmax(logits, dim=1)[[0, 1], target]
    >>> expected = (-(1 - p_t) ** 2 * torch.log(p_t)).mean()
    >>> print(torch.allclose(FocalLoss(gamma=2.0)(logits, target), expected))
    True
    >>> ce = F.cross_entropy(logits, target)
    >>> print(torch.allclose(FocalLoss(gamma=0.0)(logits, target), ce))
    True
    """

    def __init__(self, gamma=2.0, weight=None, reduction="mean"):
        super().__init__(weight, reduction)
        self.gamma = _check_scalar(gamma, "gamma")

    def _extra(self):
        return f"gamma={self.gamma}"

    def forward(self, logits, target):
        weight = self.weight
        n_classes = None if weight is None else weight.numel()
        target = _check_inputs(logits, target, n_classes, name="weight")
        log_p_t = F.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1))
        log_p_t = log_p_t.squeeze(1)
        loss = -log_p_t
        if self.gamma != 0:
            floor = max(MIN_COUNT, torch.finfo(logits.dtype).tiny)
            one_minus_p_t = (-torch.expm1(log_p_t)).clamp_min(floor)
            loss = one_minus_p_t.pow(self.gamma) * loss
        return _reduce(loss, target, _cast(weight, logits), self.reduction)


@_shared
class LDAMLoss(_ClassLoss):
    """Label-distribution-aware margin (LDAM) loss.

    Class ``c`` gets the margin ``Delta_c = K / n_c^(1/4)``, with ``K`` chosen
    so that the largest margin (the rarest class's) equals ``max_margin``
    (Cao et al., 2019). The true-class logit of each sample is reduced by its
    class's margin, all logits are multiplied by ``s`` and the result goes
    through (weighted) cross-entropy. ``max_margin=0, s=1`` is plain
    (weighted) cross-entropy.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Number (or total sample weight) of training samples in each class,
        aligned with the logit columns. Counts must be finite and
        non-negative; they are clamped to at least ``1e-12`` before the
        power, so an empty class gets the largest margin.
    max_margin : float, default=0.5
        Non-negative margin of the rarest class. The margins are computed at
        construction; changing the attribute later does not update them.
    s : float, default=30.0
        Positive scale applied to the (margin-adjusted) logits. Read at every
        call.
    weight : array-like of shape (n_classes,), default=None
        Per-class weights ``w``: sample ``i``'s loss is multiplied by
        ``w[y_i]`` (LDAM-DRW passes re-weighting here).
    {reduction}

    Attributes
    ----------
    margins : torch.Tensor of shape (n_classes,)
        Buffer holding ``Delta_c``.
    class_counts : torch.Tensor of shape (n_classes,)
        Buffer holding the clamped counts.
    weight : torch.Tensor of shape (n_classes,) or None
        Buffer holding the class weights.

    Notes
    -----
    The original method expects normalised features and classifier weights
    (cosine logits in ``[-1, 1]``), hence the large default ``s``. With an
    ordinary linear output layer a smaller ``s`` (e.g. 1) may train better.

    References
    ----------
    .. [1] K. Cao, C. Wei, A. Gaidon, N. Arechiga and T. Ma, "Learning
       Imbalanced Datasets with Label-Distribution-Aware Margin Loss",
       NeurIPS 2019.

    Examples
    --------
    >>> import torch
    >>> import torch.nn.functional as F
    >>> loss = LDAMLoss(torch.tensor([10000.0, 100.0, 1.0]), max_margin=0.5)
    >>> print(torch.allclose(loss.margins, torch.tensor([0.05, 0.05 * 10**0.5, 0.5])))
    True
    >>> logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]])
    >>> target = torch.tensor([0, 2])
    >>> plain = LDAMLoss([10000, 100, 1], max_margin=0.0, s=1.0)
    >>> print(torch.allclose(plain(logits, target), F.cross_entropy(logits, target)))
    True
    """

    def __init__(
        self, class_counts, max_margin=0.5, s=30.0, weight=None, reduction="mean"
    ):
        counts = _check_counts(class_counts)
        super().__init__(weight, reduction, n_classes=counts.numel())
        self.max_margin = _check_scalar(max_margin, "max_margin")
        self.s = _check_scalar(s, "s", strict=True)
        inverse_quartic_root = counts.pow(-0.25)
        # Scale over the classes that have samples: an empty class (clamped
        # count) must not shrink every other margin; it gets max_margin.
        seen = counts > MIN_COUNT
        top = (
            inverse_quartic_root[seen].max()
            if seen.any()
            else inverse_quartic_root.max()
        )
        margins = (inverse_quartic_root * (self.max_margin / top)).clamp_max(
            self.max_margin
        )
        dtype = torch.get_default_dtype()
        self.register_buffer("class_counts", counts.to(dtype))
        self.register_buffer("margins", margins.to(dtype))

    def _extra(self):
        return (
            f"n_classes={self.margins.numel()}, max_margin={self.max_margin}, "
            f"s={self.s}"
        )

    def forward(self, logits, target):
        target = _check_inputs(logits, target, self.margins.numel())
        margins = _cast(self.margins, logits)
        true_class = F.one_hot(target, logits.shape[1]).to(logits.dtype)
        adjusted = logits - true_class * margins.unsqueeze(0)
        return F.cross_entropy(
            self.s * adjusted,
            target,
            weight=_cast(self.weight, logits),
            reduction=_check_reduction(self.reduction),
        )
