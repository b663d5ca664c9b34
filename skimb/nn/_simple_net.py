"""The default network: a two-layer perceptron (784 -> 256 -> 10 by default)."""

import numbers

import torch
from torch import nn

from .._utils.validation import check_number

__all__ = ["SimpleNet"]


class SimpleNet(nn.Module):
    """Linear -> ReLU -> Linear perceptron for any 2-D (or flattenable) input.

    The skimb estimators size it at fit from ``n_features_in_`` and the number
    of classes, so a user only ever sets ``module__hidden_units``.

    Parameters
    ----------
    n_features : int, default=784
        Number of input features; inputs with more than two dimensions
        (``(n, 1, 28, 28)`` images, say) are flattened to ``(n, n_features)``.
        A sparse batch is multiplied sparse (``accepts_sparse``).
    n_classes : int, default=10
        Number of output logits.
    hidden_units : int, default=256
        Width of the hidden layer.

    Examples
    --------
    >>> import torch
    >>> net = SimpleNet(n_features=64, n_classes=3, hidden_units=8)
    >>> net(torch.zeros(5, 64)).shape
    torch.Size([5, 3])
    >>> net(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 3])
    """

    def __init__(self, n_features=784, n_classes=10, hidden_units=256):
        super().__init__()
        n_features, n_classes, hidden_units = (
            check_number(value, f"SimpleNet's {name}", numbers.Integral, min_val=1)
            for name, value in (
                ("n_features", n_features),
                ("n_classes", n_classes),
                ("hidden_units", hidden_units),
            )
        )
        self.n_features = n_features
        self.n_classes = n_classes
        self.hidden_units = hidden_units
        self.fc1 = nn.Linear(n_features, hidden_units)
        self.fc2 = nn.Linear(hidden_units, n_classes)

    #: A sparse batch (a bag of words, one-hot codes) is multiplied sparse.
    accepts_sparse = True

    def forward(self, X):
        if X.layout != torch.strided:
            hidden = torch.sparse.mm(X, self.fc1.weight.t()) + self.fc1.bias
        else:
            hidden = self.fc1(X.flatten(1))  # keeps the feature size when empty
        return self.fc2(torch.relu(hidden))
