"""Tests for skimb.nn._losses: formulas, reductions, weights, gradients, validation."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from skimb.nn import FocalLoss, LDAMLoss, LogitAdjustedLoss

LOGITS = [[2.0, 0.5, -1.0], [0.1, 0.2, 0.3], [-0.5, 1.5, 0.0]]
TARGET = [0, 2, 1]
COUNTS = [50.0, 10.0, 2.0]
WEIGHT = [0.5, 1.0, 3.0]
REDUCTIONS = ["mean", "sum", "none"]


def _logits():
    return torch.tensor(LOGITS, dtype=torch.float32)


def _target():
    return torch.tensor(TARGET)


def _np_log_softmax(z):
    z = np.asarray(z, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _np_reduce(per_sample, weight, reduction):
    """Reference weighted reduction, in numpy."""
    w = np.ones(len(TARGET)) if weight is None else np.asarray(weight)[TARGET]
    weighted = w * per_sample
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return weighted.sum()
    return weighted.sum() / w.sum()


def _np_ce(z):
    return -_np_log_softmax(z)[np.arange(len(TARGET)), TARGET]


def _check(actual, expected):
    np.testing.assert_allclose(
        actual.detach().double().numpy(), expected, rtol=1e-5, atol=1e-6
    )


def _all_losses(**overrides):
    kwargs = {"weight": torch.tensor(WEIGHT)}
    kwargs.update(overrides)
    return [
        LogitAdjustedLoss(COUNTS, tau=0.7, **kwargs),
        FocalLoss(gamma=1.5, **kwargs),
        LDAMLoss(COUNTS, max_margin=0.4, s=2.0, **kwargs),
    ]


# --------------------------------------------------------------------------
# formulas
# --------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, WEIGHT])
def test_logit_adjusted_formula(reduction, weight):
    tau = 0.7
    prior = np.array(COUNTS) / np.sum(COUNTS)
    expected = _np_reduce(
        _np_ce(np.array(LOGITS) + tau * np.log(prior)), weight, reduction
    )
    w = None if weight is None else torch.tensor(weight)
    loss = LogitAdjustedLoss(COUNTS, tau=tau, weight=w, reduction=reduction)
    _check(loss(_logits(), _target()), expected)


def test_logit_adjusted_hand_computed():
    # two classes, balanced softmax: logits (0, 0), counts (3, 1) -> adjusted
    # logits (log 3/4, log 1/4), so p(class 1) = 1/4 and the loss is log 4.
    loss = LogitAdjustedLoss([3, 1], tau=1.0)
    value = loss(torch.zeros(1, 2), torch.tensor([1]))
    assert value.item() == pytest.approx(math.log(4.0), rel=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, WEIGHT])
@pytest.mark.parametrize("gamma", [0.5, 2.0])
def test_focal_formula(reduction, weight, gamma):
    log_p_t = _np_log_softmax(LOGITS)[np.arange(3), TARGET]
    per_sample = -((1 - np.exp(log_p_t)) ** gamma) * log_p_t
    expected = _np_reduce(per_sample, weight, reduction)
    w = None if weight is None else torch.tensor(weight)
    loss = FocalLoss(gamma=gamma, weight=w, reduction=reduction)
    _check(loss(_logits(), _target()), expected)


def test_focal_hand_computed():
    # logits (0, 0): p_t = 1/2, so the loss is (1/2)^2 * log 2 with gamma 2.
    value = FocalLoss(gamma=2.0)(torch.zeros(1, 2), torch.tensor([0]))
    assert value.item() == pytest.approx(0.25 * math.log(2.0), rel=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, WEIGHT])
def test_ldam_formula(reduction, weight):
    max_margin, s = 0.4, 2.0
    quartic = np.array(COUNTS) ** -0.25
    margins = quartic * max_margin / quartic.max()
    adjusted = np.array(LOGITS)
    adjusted[np.arange(3), TARGET] -= margins[TARGET]
    expected = _np_reduce(_np_ce(s * adjusted), weight, reduction)
    w = None if weight is None else torch.tensor(weight)
    loss = LDAMLoss(COUNTS, max_margin=max_margin, s=s, weight=w, reduction=reduction)
    _check(loss(_logits(), _target()), expected)


def test_ldam_hand_computed():
    # counts (16, 1): margins (0.5 * 1/2, 0.5); logits (0, 0), target 1, s 1:
    # adjusted (0, -0.5), loss = log(1 + e^0.5) .
    loss = LDAMLoss([16, 1], max_margin=0.5, s=1.0)
    value = loss(torch.zeros(1, 2), torch.tensor([1]))
    assert value.item() == pytest.approx(math.log1p(math.exp(0.5)), rel=1e-6)


# --------------------------------------------------------------------------
# reduction to cross-entropy and the weight factor
# --------------------------------------------------------------------------


def _reducing_losses(weight, reduction):
    return [
        LogitAdjustedLoss(COUNTS, tau=0.0, weight=weight, reduction=reduction),
        FocalLoss(gamma=0.0, weight=weight, reduction=reduction),
        LDAMLoss(COUNTS, max_margin=0.0, s=1.0, weight=weight, reduction=reduction),
    ]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_reduces_to_cross_entropy(reduction, weighted):
    w = torch.tensor(WEIGHT) if weighted else None
    logits = torch.randn(7, 3)
    target = torch.tensor([0, 1, 2, 2, 1, 0, 2])
    expected = F.cross_entropy(logits, target, weight=w, reduction=reduction)
    for loss in _reducing_losses(w, reduction):
        torch.testing.assert_close(loss(logits, target), expected)


def test_none_includes_weight_factor():
    w = torch.tensor(WEIGHT)
    unweighted = [
        loss(_logits(), _target())
        for loss in _all_losses(weight=None, reduction="none")
    ]
    weighted = [loss(_logits(), _target()) for loss in _all_losses(reduction="none")]
    for plain, scaled in zip(unweighted, weighted, strict=True):
        assert scaled.shape == (3,)
        torch.testing.assert_close(scaled, plain * w[_target()])


def test_mean_is_weighted_mean():
    w = torch.tensor(WEIGHT)
    for loss in _all_losses():
        loss.reduction = "none"
        per_sample = loss(_logits(), _target())
        loss.reduction = "mean"
        expected = per_sample.sum() / w[_target()].sum()
        torch.testing.assert_close(loss(_logits(), _target()), expected)


def test_reduction_can_change_after_construction():
    for loss in _all_losses():
        total = loss(_logits(), _target())
        loss.reduction = "sum"
        summed = loss(_logits(), _target())
        loss.reduction = "none"
        per_sample = loss(_logits(), _target())
        assert per_sample.shape == (3,)
        torch.testing.assert_close(summed, per_sample.sum())
        assert not torch.allclose(total, summed)
        loss.reduction = "average"
        with pytest.raises(ValueError, match=r"reduction must be one of .*'average'"):
            loss(_logits(), _target())


# --------------------------------------------------------------------------
# gradients
# --------------------------------------------------------------------------


EXTREME = {
    "pm1e4": ([[1e4, -1e4, 0.0], [-1e4, 1e4, -1e4]], [0, 0]),
    "true_class_p_one": ([[100.0, -100.0, -100.0], [0.0, 80.0, 0.0]], [0, 1]),
    "true_class_p_zero": ([[-100.0, 100.0, 100.0], [50.0, -60.0, 0.0]], [0, 1]),
    "exact_ties": ([[0.0, 0.0, 0.0], [1e4, 1e4, 1e4]], [2, 1]),
}


def _extreme_losses():
    return [
        LogitAdjustedLoss(COUNTS, tau=1.0),
        LogitAdjustedLoss([1e6, 0.0, 1.0], tau=2.0, weight=WEIGHT),
        FocalLoss(gamma=0.0),
        FocalLoss(gamma=0.5),
        FocalLoss(gamma=0.01, weight=WEIGHT),
        FocalLoss(gamma=2.0),
        LDAMLoss(COUNTS),
        LDAMLoss([1e6, 0.0, 1.0], max_margin=1.0, s=30.0, weight=WEIGHT),
    ]


@pytest.mark.parametrize("case", sorted(EXTREME))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_gradients_finite_for_extreme_logits(case, dtype):
    values, target = EXTREME[case]
    for loss in _extreme_losses():
        for reduction in REDUCTIONS:
            loss.reduction = reduction
            logits = torch.tensor(values, dtype=dtype, requires_grad=True)
            out = loss(logits, torch.tensor(target))
            assert torch.isfinite(out).all(), (loss, reduction)
            out.sum().backward()
            assert torch.isfinite(logits.grad).all(), (loss, reduction)


def test_focal_low_gamma_gradient_when_true_class_certain():
    # p_t == 1 in float32: (1 - p_t) ** 0.5 would have an infinite derivative
    logits = torch.tensor([[30.0, -30.0], [1e4, -1e4]], requires_grad=True)
    loss = FocalLoss(gamma=0.5)(logits, torch.tensor([0, 0]))
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(logits.grad).all()
    assert logits.grad.abs().max() < 1e-3


# --------------------------------------------------------------------------
# LDAM margins, buffers and devices
# --------------------------------------------------------------------------


def test_ldam_margins():
    counts = [1000.0, 250.0, 16.0, 1.0]
    loss = LDAMLoss(counts, max_margin=0.8)
    margins = loss.margins.double()
    assert margins.shape == (4,)
    assert int(margins.argmin()) == 0  # the largest class, the smallest margin
    assert int(margins.argmax()) == 3
    assert margins.max().item() == pytest.approx(0.8)
    # Delta_a / Delta_b = (n_b / n_a)^(1/4), i.e. (n_a / n_b)^(-1/4)
    assert (margins[1] / margins[0]).item() == pytest.approx((1000 / 250) ** 0.25)
    assert (margins[3] / margins[2]).item() == pytest.approx(16**0.25)
    assert torch.all(margins[:-1] < margins[1:])


def test_ldam_margins_with_an_empty_class():
    with_empty = LDAMLoss([100.0, 10.0, 0.0]).margins
    # the seen classes keep their (n_a / n_b) ** (1/4) ratio and the largest
    # seen margin is max_margin; the empty class gets max_margin too
    assert with_empty[0] / with_empty[1] == pytest.approx((10 / 100) ** 0.25)
    assert with_empty[1] == pytest.approx(0.5)
    assert with_empty[2] == pytest.approx(0.5)


def test_zero_count_is_clamped():
    la = LogitAdjustedLoss([10.0, 0.0, 5.0])
    ldam = LDAMLoss([10.0, 0.0, 5.0], max_margin=0.5)
    assert torch.isfinite(la.log_prior).all()
    assert torch.isfinite(ldam.margins).all()
    assert int(ldam.margins.argmax()) == 1
    assert ldam.margins[1].item() == pytest.approx(0.5)


@pytest.mark.parametrize("weighted", [False, True])
def test_buffers_registered_and_move(weighted):
    w = WEIGHT if weighted else None
    expected = {
        LogitAdjustedLoss: {"log_prior", "class_counts"},
        FocalLoss: set(),
        LDAMLoss: {"margins", "class_counts"},
    }
    for loss in _all_losses(weight=w):
        names = expected[type(loss)] | ({"weight"} if weighted else set())
        assert set(loss.state_dict()) == names
        assert {name for name, _ in loss.named_buffers()} == names
        assert (loss.weight is None) is (not weighted)
        moved = loss.to("cpu").to(torch.float64)
        assert moved is loss
        for buffer in loss.buffers():
            assert buffer.device.type == "cpu"
            assert buffer.dtype == torch.float64
        out = loss(_logits().double(), _target())
        assert out.dtype == torch.float64


def test_float64_logits_with_float32_buffers():
    for loss in _all_losses():
        out = loss(_logits().double(), _target())
        assert out.dtype == torch.float64
        torch.testing.assert_close(out.float(), loss(_logits(), _target()))


def test_weight_attribute_is_tensor():
    loss = FocalLoss(weight=np.array([1.0, 2.0]))
    assert isinstance(loss.weight, torch.Tensor)
    assert loss.weight.dtype == torch.get_default_dtype()
    assert loss.weight.tolist() == [1.0, 2.0]
    assert FocalLoss().weight is None


def test_state_dict_round_trip():
    source = LDAMLoss(COUNTS, max_margin=0.3, weight=WEIGHT)
    target = LDAMLoss(COUNTS, max_margin=0.3, weight=[1.0, 1.0, 1.0])
    target.load_state_dict(source.state_dict())
    torch.testing.assert_close(target.weight, source.weight)


def test_repr_names_options():
    text = repr(LogitAdjustedLoss(COUNTS, tau=0.5, reduction="sum"))
    assert "tau=0.5" in text and "reduction='sum'" in text
    assert "gamma=2.0" in repr(FocalLoss())
    assert "s=30.0" in repr(LDAMLoss(COUNTS))


def test_int_targets_accepted():
    for loss in _all_losses():
        expected = loss(_logits(), _target())
        torch.testing.assert_close(loss(_logits(), _target().int()), expected)


# --------------------------------------------------------------------------
# validation
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, match",
    [
        (
            lambda: LogitAdjustedLoss(COUNTS, tau=-1.0),
            r"tau must be a non-negative finite float; got -1\.0",
        ),
        (lambda: LogitAdjustedLoss(COUNTS, tau=float("nan")), r"tau .* got nan"),
        (lambda: FocalLoss(gamma=-0.5), r"gamma must be a non-negative .* got -0\.5"),
        (lambda: FocalLoss(gamma=float("inf")), r"gamma .* got inf"),
        (
            lambda: LDAMLoss(COUNTS, max_margin=-0.1),
            r"max_margin must be a non-negative finite float; got -0\.1",
        ),
        (lambda: LDAMLoss(COUNTS, s=0.0), r"s must be a positive finite float; got 0"),
        (lambda: LDAMLoss(COUNTS, s=-2), r"s must be a positive .* got -2"),
        (
            lambda: FocalLoss(reduction="avg"),
            r"reduction must be one of 'mean', 'sum', 'none'; got 'avg'",
        ),
        (lambda: LogitAdjustedLoss(COUNTS, reduction="Mean"), r"reduction .* 'Mean'"),
        (lambda: LDAMLoss(COUNTS, reduction=None), r"reduction .* got None"),
        (lambda: LogitAdjustedLoss([1.0, -2.0]), r"class_counts .* non-negative"),
        (lambda: LDAMLoss([[1.0, 2.0]]), r"class_counts .* 1-D .* shape \(1, 2\)"),
        (lambda: LDAMLoss([]), r"class_counts .* non-empty"),
        (lambda: LogitAdjustedLoss([1.0, float("inf")]), r"class_counts .* finite"),
        (
            lambda: LogitAdjustedLoss(COUNTS, weight=[1.0, 2.0]),
            r"weight must have one entry per class \(3.*got 2",
        ),
        (lambda: FocalLoss(weight=[1.0, -1.0]), r"weight .* non-negative"),
        (
            lambda: LogitAdjustedLoss([1.0, 2.0], tau=-1),
            r"tau must be a non-negative finite float; got -1",
        ),
        (
            lambda: FocalLoss(gamma=-1),
            r"gamma must be a non-negative finite float; got -1",
        ),
        (lambda: LDAMLoss([1.0, 2.0], s=0), r"s must be"),
    ],
)
def test_bad_options_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: LogitAdjustedLoss(COUNTS, tau="1"), r"tau .* got '1'"),
        (lambda: FocalLoss(gamma=True), r"gamma .* got True"),
        (lambda: LDAMLoss(COUNTS, s=None), r"s must be a positive .* got None"),
        (lambda: LogitAdjustedLoss(None), r"class_counts .* got None"),
        (lambda: LDAMLoss("abc"), r"class_counts"),
    ],
)
def test_bad_option_types_raise_type_error(make, match):
    with pytest.raises(TypeError, match=match):
        make()


def test_class_counts_shape_mismatch_at_forward():
    logits = torch.zeros(2, 4)
    target = torch.tensor([0, 3])
    for loss in (LogitAdjustedLoss(COUNTS), LDAMLoss(COUNTS)):
        with pytest.raises(ValueError, match=r"class_counts has 3 classes .* 4"):
            loss(logits, target)
    with pytest.raises(ValueError, match=r"weight has 3 classes .* 4"):
        FocalLoss(weight=WEIGHT)(logits, target)


def test_bad_inputs_at_forward():
    loss = FocalLoss()
    with pytest.raises(ValueError, match=r"logits must have shape \(N, C\)"):
        loss(torch.zeros(3), torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"target must have shape \(N,\)"):
        loss(torch.zeros(3, 2), torch.tensor([0, 1]))
    with pytest.raises(TypeError, match=r"target must be an integer tensor"):
        loss(torch.zeros(3, 2), torch.zeros(3))
    with pytest.raises(TypeError, match=r"logits must be a floating-point tensor"):
        loss(torch.zeros(3, 2, dtype=torch.long), torch.tensor([0, 1, 1]))
