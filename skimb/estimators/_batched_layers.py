"""K copies of one perceptron as ``(K, out, in)`` batched linear layers.

As tabm's ``ensemble_linear_layers_`` does for its ensembles, the layers are
read from the module itself: every ``nn.Linear`` of K initialised nets, in
forward order, becomes one batched layer whose slice ``k`` is net ``k``'s own
``weight`` and ``bias``, and a forward pass over the K nets is one
``torch.baddbmm`` per layer instead of a Python loop over the nets.
"""

import torch
from torch import nn

__all__ = ["BatchedLinear", "BatchedPerceptron", "layer_params", "linear_layers"]

# SimpleNet's forward: flatten, then its linear layers in the order they are
# registered, with a ReLU between two of them.
_ACTIVATION = torch.relu


def linear_layers(module):
    """``(layers, None)`` for a perceptron of float32 ``nn.Linear`` layers,
    else ``(None, why)``.

    The layers are the module's ``nn.Linear`` submodules in registration
    order, which is SimpleNet's forward order; they must be all its
    submodules but plain containers (a dropout or normalisation layer would
    need its own batched form), carry a bias, chain (each output width the
    next input width) and hold all its parameters. The module's own forward
    is taken to be SimpleNet's (the caller checks its type).
    """
    # Containers without a forward of their own only hold the layers.
    children = [
        m
        for m in list(module.modules())[1:]
        if not isinstance(m, nn.ModuleList | nn.ModuleDict)
    ]
    layers = [m for m in children if isinstance(m, nn.Linear)]
    if not layers or len(layers) != len(children):
        return None, "its module has layers other than nn.Linear"
    if any(layer.bias is None for layer in layers):
        return None, "a linear layer of its module has no bias"
    if any(
        a.out_features != b.in_features
        for a, b in zip(layers, layers[1:], strict=False)
    ):
        return None, "the linear layers of its module do not chain"
    params = layer_params(layers)
    if [id(p) for p in module.parameters()] != [id(p) for p in params]:
        return None, "its module has parameters outside its linear layers"
    if any(p.dtype != torch.float32 for p in params):
        return None, "its parameters are not float32"
    return layers, None


def layer_params(layers):
    """One net's parameters in the order of :attr:`BatchedPerceptron.params`."""
    return [p for layer in layers for p in (layer.weight, layer.bias)]


class BatchedLinear:
    """K ``nn.Linear`` layers of one shape as one ``(K, out, in)`` layer.

    The weight keeps ``nn.Linear``'s layout and enters ``baddbmm``
    transposed, so slice ``k`` is net ``k``'s own ``weight``; the bias is
    ``(K, 1, out)`` to broadcast over the batch.
    """

    def __init__(self, layers):
        with torch.no_grad():
            self.weight = torch.stack([layer.weight for layer in layers])
            self.bias = torch.stack([layer.bias for layer in layers]).unsqueeze(1)
        self.weight.requires_grad_(True)
        self.bias.requires_grad_(True)

    def __call__(self, X, nets=None):
        """``(K, batch, in)`` -> ``(K, batch, out)``; with ``nets`` (an index
        tensor), only those nets': ``X`` is then ``(len(nets), batch, in)``."""
        weight, bias = self.weight, self.bias
        if nets is not None:
            weight, bias = weight.index_select(0, nets), bias.index_select(0, nets)
        return torch.baddbmm(bias, X, weight.transpose(1, 2))


class BatchedPerceptron:
    """K perceptrons of one architecture as batched layers.

    Parameters
    ----------
    nets_layers : list of list of nn.Linear
        Each net's :func:`linear_layers`, all of the same shapes.
    """

    def __init__(self, nets_layers):
        self.layers = [BatchedLinear(same) for same in zip(*nets_layers, strict=True)]
        self.params = layer_params(self.layers)

    def __call__(self, X, nets=None):
        """Logits ``(K, batch, n_classes)`` of inputs ``(K, batch, n_features)``;
        with ``nets`` (an index tensor), those nets' logits of their inputs
        ``(len(nets), batch, n_features)``: a net whose epoch has ended, or
        that has stopped, costs no compute (its gradient is zero)."""
        *hidden, last = self.layers
        for layer in hidden:
            X = _ACTIVATION(layer(X, nets))
        return last(X, nets)

    @torch.no_grad()
    def write_back(self, k, layers):
        """Copy net ``k``'s slices into its own layers."""
        for p, batched in zip(layer_params(layers), self.params, strict=True):
            p.copy_(batched[k].view_as(p))
