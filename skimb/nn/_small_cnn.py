"""A small convolutional network for MNIST-sized images."""

import math
import numbers

from torch import nn

from .._utils.validation import check_number

__all__ = ["SmallCNN", "image_shape"]


class SmallCNN(nn.Module):
    """Two convolution blocks and a perceptron head, for small images.

    ``conv(3x3) -> ReLU -> max-pool(2)`` twice (``channels`` filters each),
    then ``Linear -> ReLU -> Linear``. The skimb estimators size it at fit
    from the data (``input_shape``, the shape of one sample) and the number
    of classes. Flat input of ``prod(input_shape)`` columns (a table of
    pixels, as the comparison and the resamplers see images) is reshaped to
    ``input_shape``; a flat ``input_shape`` of a square number of values is
    read as one square single-channel image.

    Parameters
    ----------
    input_shape : tuple of int, default=(1, 28, 28)
        ``(channels, height, width)`` of one image, or ``(n_values,)`` for a
        square single-channel image given flat.
    n_classes : int, default=10
        Number of output logits.
    channels : tuple of two int, default=(16, 32)
        Filters of the two convolution blocks.
    hidden_units : int, default=64
        Width of the head's hidden layer.

    Examples
    --------
    >>> import torch
    >>> net = SmallCNN(input_shape=(1, 8, 8), n_classes=3)
    >>> net(torch.zeros(5, 1, 8, 8)).shape
    torch.Size([5, 3])
    >>> net(torch.zeros(5, 64)).shape  # flat pixels
    torch.Size([5, 3])
    >>> SmallCNN(input_shape=(784,)).input_shape
    (1, 28, 28)
    """

    def __init__(
        self, input_shape=(1, 28, 28), n_classes=10, channels=(16, 32), hidden_units=64
    ):
        super().__init__()
        self.input_shape = image_shape(input_shape)
        self.n_classes = check_number(
            n_classes, "n_classes", numbers.Integral, min_val=1
        )
        self.hidden_units = check_number(
            hidden_units, "hidden_units", numbers.Integral, min_val=1
        )
        if len(tuple(channels)) != 2:
            raise ValueError(f"channels must be two integers; got {channels!r}.")
        c1, c2 = (
            check_number(c, "channels", numbers.Integral, min_val=1) for c in channels
        )
        self.channels = (c1, c2)
        c, h, w = self.input_shape
        self.features = nn.Sequential(
            nn.Conv2d(c, c1, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2, ceil_mode=True),
            nn.Conv2d(c1, c2, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2, ceil_mode=True),
        )
        size = c2 * math.ceil(math.ceil(h / 2) / 2) * math.ceil(math.ceil(w / 2) / 2)
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(size, self.hidden_units),
            nn.ReLU(),
            nn.Linear(self.hidden_units, self.n_classes),
        )

    def forward(self, X):
        X = X.reshape(len(X), *self.input_shape)
        return self.head(self.features(X))


def image_shape(shape, name="input_shape"):
    """``(channels, height, width)`` from a 3-D shape, a 2-D ``(height,
    width)`` or a flat square ``(n_values,)``: one image's shape, read as the
    CNN and the sampler's shifts read it.

    Raises
    ------
    TypeError
        If ``shape`` is not a tuple of ints.
    ValueError
        If a flat ``shape`` is not a square number of values, or a size is
        not positive.
    """
    try:
        shape = tuple(int(s) for s in shape)
    except TypeError:
        raise TypeError(f"{name} must be a tuple of ints; got {shape!r}.") from None
    if len(shape) == 1:
        side = math.isqrt(shape[0])
        if side * side != shape[0]:
            raise ValueError(
                f"{name}={shape!r} is flat and its {shape[0]} values are not a "
                "square image; give the image's (channels, height, width)."
            )
        shape = (1, side, side)
    elif len(shape) == 2:
        shape = (1, *shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ValueError(
            f"{name} must be (channels, height, width) of positive sizes; "
            f"got {shape!r}."
        )
    return shape
