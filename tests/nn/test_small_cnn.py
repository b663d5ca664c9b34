import numpy as np
import pytest
import torch

from skimb import WeightedSamplerClassifier
from skimb.nn import SmallCNN


@pytest.mark.parametrize(
    "shape, expected",
    [
        ((1, 28, 28), (1, 28, 28)),
        ((3, 9, 7), (3, 9, 7)),
        ((5, 6), (1, 5, 6)),
        ((49,), (1, 7, 7)),
    ],
)
def test_shapes_and_flat_input(shape, expected):
    net = SmallCNN(input_shape=shape, n_classes=4, channels=(2, 3), hidden_units=5)
    assert net.input_shape == expected
    n = int(np.prod(expected))
    assert net(torch.zeros(6, *expected)).shape == (6, 4)
    assert net(torch.zeros(6, n)).shape == (6, 4)  # flat pixels


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(input_shape=(50,)), ValueError, "not a square"),
        (dict(input_shape=(1, 0, 4)), ValueError, "positive sizes"),
        (dict(input_shape=3), TypeError, "tuple of ints"),
        (dict(channels=(4,)), ValueError, "two integers"),
        (dict(n_classes=0), ValueError, "n_classes"),
    ],
)
def test_bad_arguments_are_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        SmallCNN(**kwargs)


@pytest.mark.parametrize("flat", [False, True])
def test_sized_from_the_data_at_fit(rng, flat):
    X = rng.normal(size=(60, 1, 6, 6)).astype(np.float32)
    y = rng.choice(["a", "b", "c"], size=60, p=[0.6, 0.3, 0.1])
    if flat:
        X = X.reshape(60, 36)
    est = WeightedSamplerClassifier(
        module=SmallCNN, module__channels=(2, 2), max_epochs=2, device="cpu"
    ).fit(X, y)
    assert est.module_.input_shape == (1, 6, 6)
    assert est.module_.n_classes == 3
    assert est.predict_proba(X).shape == (60, 3)
