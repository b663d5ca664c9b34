"""The sampler's rare-class shifts, drawn on the device at every draw."""

import numpy as np
import pytest
import torch
from torch.nn.functional import pad

from skimb import WeightedSamplerClassifier
from skimb.estimators import fit_many
from skimb.estimators._augment import shift_rare_rows
from skimb.nn._small_cnn import image_shape

TINY = dict(max_epochs=3, batch_size=16, module__hidden_units=8, device="cpu")


@pytest.mark.parametrize("flat", [False, True])
def test_rare_rows_are_shifted_crops_and_the_others_stay(flat):
    g = torch.Generator().manual_seed(0)
    X = torch.rand(40, 2, 5, 6)
    y = torch.arange(40) % 3
    rare = torch.tensor([False, True, True])
    given = X.reshape(40, -1) if flat else X
    out = shift_rare_rows(given, y, rare, (2, 5, 6), 2, g).reshape(40, 2, 5, 6)
    padded = pad(X, (2, 2, 2, 2))
    crops = [
        padded[:, :, i : i + 5, j : j + 6] for i in range(5) for j in range(5)
    ]  # every offset of up to 2 pixels
    moved = 0
    for k in range(40):
        if y[k] == 0:
            assert torch.equal(out[k], X[k])
            continue
        assert any(torch.equal(out[k], crop[k]) for crop in crops)
        moved += not torch.equal(out[k], X[k])
    assert moved > 10  # most rare rows moved (an offset of 0 is 1 in 25)


def test_image_shapes():
    assert image_shape((784,)) == (1, 28, 28)
    assert image_shape((8, 8)) == (1, 8, 8)
    assert image_shape((3, 4, 5)) == (3, 4, 5)
    with pytest.raises(ValueError, match="not a square image"):
        image_shape((10,))


@pytest.fixture
def images(rng):
    y = rng.choice(3, size=120, p=[0.7, 0.2, 0.1])
    X = rng.random((120, 1, 6, 6), dtype=np.float32)
    X[:, 0, 2, 2] += y
    return X, y


def test_augmented_fits_are_reproducible_and_stack_as_their_own(images):
    X, y = images
    kw = dict(augment_shift=1, n_threads=1, **TINY)

    def make():
        return [WeightedSamplerClassifier(random_state=k, **kw) for k in range(2)]

    separate = [est.fit(X, y) for est in make()]
    together = fit_many(make(), [X, X], [y, y])
    for a, b in zip(separate, together, strict=True):
        np.testing.assert_allclose(b.predict_proba(X), a.predict_proba(X), atol=1e-5)
    plain = WeightedSamplerClassifier(random_state=0, n_threads=1, **TINY).fit(X, y)
    shifted = separate[0]
    assert np.abs(plain.predict_proba(X) - shifted.predict_proba(X)).max() > 1e-3


def test_rows_that_are_not_images_are_refused_before_training(rng):
    X = rng.random((60, 10), dtype=np.float32)
    y = np.arange(60) % 2
    est = WeightedSamplerClassifier(augment_shift=1, **TINY)
    with pytest.raises(ValueError, match="not a square image"):
        est.fit(X, y)
    assert not est.initialized_
