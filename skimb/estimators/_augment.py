"""Random shifts of the rare classes' images, drawn on the device at each draw.

Augmentation is the seed's third remedy for rare classes: with the weighted
sampler a rare image is drawn many times per epoch, and a new random shift
at every draw turns the copies into variants. The shift is made on the
training device, for a whole batch at once: the images are zero-padded by
``max_shift`` pixels and each rare row is cropped back at its own random
offset; the other rows are left as they are.
"""

import torch

__all__ = ["shift_rare_rows"]


def shift_rare_rows(X, y, rare, shape, max_shift, generator):
    """``X`` with each row of a rare class shifted by up to ``max_shift``
    pixels in each direction (zeros come in at the border).

    Parameters
    ----------
    X : torch.Tensor of shape (batch, ...)
        The batch, images or their flat pixels.
    y : torch.Tensor of shape (batch,)
        Encoded labels.
    rare : torch.Tensor of shape (n_classes,), bool
        Which classes are shifted.
    shape : tuple of 3 int
        ``(channels, height, width)`` of one image.
    max_shift : int >= 1
    generator : torch.Generator on ``X``'s device

    Returns
    -------
    torch.Tensor of ``X``'s shape
    """
    chosen = rare.index_select(0, y)
    if not bool(chosen.any()):
        return X
    rows = torch.nonzero(chosen).squeeze(1)
    c, h, w = shape
    images = X.index_select(0, rows).reshape(len(rows), c, h, w)
    s = max_shift
    padded = torch.nn.functional.pad(images, (s, s, s, s))
    offsets = torch.randint(
        0, 2 * s + 1, (2, len(rows)), generator=generator, device=X.device
    )
    top = offsets[0][:, None] + torch.arange(h, device=X.device)  # (n, h)
    left = offsets[1][:, None] + torch.arange(w, device=X.device)  # (n, w)
    n = torch.arange(len(rows), device=X.device)[:, None, None]
    shifted = padded.permute(0, 2, 3, 1)[n, top[:, :, None], left[:, None, :]]
    out = X.clone()
    out[rows] = shifted.permute(0, 3, 1, 2).reshape(len(rows), *X.shape[1:])
    return out
