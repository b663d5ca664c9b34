"""Batched linear layers, read from the nets' own nn.Linear layers."""

import pytest
import torch
from torch import nn

from skimb.estimators._batched_layers import BatchedPerceptron, linear_layers
from skimb.nn import SimpleNet


class Deep(nn.Module):
    """A perceptron of any depth, the layers registered in forward order."""

    def __init__(self, widths=None, bias=True, layers=None):
        super().__init__()
        if layers is None:
            pairs = zip(widths, widths[1:], strict=False)
            layers = [nn.Linear(a, b, bias=bias) for a, b in pairs]
        self.layers = nn.ModuleList(layers)

    def forward(self, X):
        *hidden, last = self.layers
        for layer in hidden:
            X = torch.relu(layer(X))
        return last(X)


@pytest.mark.parametrize("widths", [(5, 3), (5, 7, 3), (5, 9, 4, 6, 3)])
def test_batched_forward_equals_each_net_s_own(widths):
    nets = [Deep(widths) for _ in range(4)]
    batched = BatchedPerceptron([linear_layers(net)[0] for net in nets])
    X = torch.randn(4, 11, widths[0])
    logits = batched(X)
    for k, net in enumerate(nets):
        torch.testing.assert_close(logits[k], net(X[k]), rtol=1e-5, atol=1e-6)


def test_simple_net_is_read_as_its_linear_layers():
    net = SimpleNet(n_features=6, n_classes=3, hidden_units=5)
    layers, reason = linear_layers(net)
    assert reason is None
    assert [(layer.in_features, layer.out_features) for layer in layers] == [
        (6, 5),
        (5, 3),
    ]


def test_written_back_slices_are_each_net_s_weights():
    nets = [Deep((4, 6, 2)) for _ in range(3)]
    own = [linear_layers(net)[0] for net in nets]
    batched = BatchedPerceptron(own)
    with torch.no_grad():
        for p in batched.params:
            p.add_(torch.arange(3.0).view(-1, *[1] * (p.dim() - 1)))
    before = [p.detach().clone() for p in nets[2].parameters()]
    batched.write_back(2, own[2])
    for p, q in zip(nets[2].parameters(), before, strict=True):
        torch.testing.assert_close(p, q + 2.0)


@pytest.mark.parametrize(
    "module, reason",
    [
        (Deep(layers=[nn.Linear(4, 3), nn.Dropout(), nn.Linear(3, 2)]), "other than"),
        (Deep(layers=[]), "other than"),
        (Deep((4, 3, 2), bias=False), "no bias"),
        (Deep(layers=[nn.Linear(4, 3), nn.Linear(5, 2)]), "do not chain"),
        (Deep((4, 3, 2)).double(), "float32"),
    ],
)
def test_modules_without_a_batched_form_say_why(module, reason):
    layers, why = linear_layers(module)
    assert layers is None
    assert reason in why


def test_parameters_outside_the_linear_layers():
    net = Deep((4, 3, 2))
    net.scale = nn.Parameter(torch.ones(1))
    assert "outside its linear layers" in linear_layers(net)[1]
