"""SimpleNet: layer sizes, output shapes, flattening of image input, bad sizes."""

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV

from skimb import NetClassifier, SimpleNet


def test_defaults_are_784_256_10():
    net = SimpleNet()
    assert (net.fc1.in_features, net.fc1.out_features) == (784, 256)
    assert (net.fc2.in_features, net.fc2.out_features) == (256, 10)


@pytest.mark.parametrize("n_features, n_classes, hidden", [(1, 2, 1), (64, 3, 8)])
def test_layer_and_output_shapes(n_features, n_classes, hidden):
    net = SimpleNet(n_features=n_features, n_classes=n_classes, hidden_units=hidden)
    assert net.fc1.weight.shape == (hidden, n_features)
    assert net.fc2.weight.shape == (n_classes, hidden)
    assert (net.n_features, net.n_classes, net.hidden_units) == (
        n_features,
        n_classes,
        hidden,
    )
    assert net(torch.zeros(5, n_features)).shape == (5, n_classes)


@pytest.mark.parametrize("shape", [(0, 64), (0, 1, 8, 8)])
def test_empty_batch_gives_empty_output(shape):
    net = SimpleNet(n_features=64, n_classes=3, hidden_units=8)
    assert net(torch.zeros(shape)).shape == (0, 3)


def test_image_shaped_input_is_flattened():
    net = SimpleNet(n_features=64, n_classes=3, hidden_units=8)
    images = torch.randn(4, 1, 8, 8)
    out = net(images)
    assert out.shape == (4, 3)
    torch.testing.assert_close(out, net(images.reshape(4, 64)))
    # row-major flattening: a different pixel order is a different input
    assert not torch.allclose(out, net(images.transpose(2, 3).reshape(4, 64)))


def test_forward_is_linear_relu_linear():
    net = SimpleNet(n_features=3, n_classes=2, hidden_units=4)
    x = torch.randn(6, 3)
    hidden = torch.relu(x @ net.fc1.weight.T + net.fc1.bias)
    torch.testing.assert_close(net(x), hidden @ net.fc2.weight.T + net.fc2.bias)


def test_wrong_number_of_features_fails():
    net = SimpleNet(n_features=64, n_classes=3, hidden_units=8)
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied"):
        net(torch.zeros(2, 63))


def test_numpy_integer_sizes_become_ints():
    net = SimpleNet(np.int64(5), np.int32(2), np.int16(3))
    assert [type(v) for v in (net.n_features, net.n_classes, net.hidden_units)] == [
        int
    ] * 3
    assert net.fc1.weight.shape == (3, 5)


@pytest.mark.parametrize("name", ["n_features", "n_classes", "hidden_units"])
@pytest.mark.parametrize(
    "value, error, got",
    [
        (0, ValueError, "got 0."),
        (-3, ValueError, "got -3."),
        (2.0, TypeError, "got 2.0 of type float."),
        (True, TypeError, "got True of type bool."),
        ("8", TypeError, "got '8' of type str."),
        (None, TypeError, "got None of type NoneType."),
    ],
)
def test_bad_sizes(name, value, error, got):
    with pytest.raises(error) as exc:
        SimpleNet(**{name: value})
    assert str(exc.value) == f"SimpleNet's {name} must be a positive integer; {got}"


def test_numpy_int_hidden_units_in_a_grid(gauss60):
    X = gauss60
    y = np.arange(60) % 2
    grid = GridSearchCV(
        NetClassifier(max_epochs=1, device="cpu"),
        {"module__hidden_units": np.array([4, 8])},
        cv=2,
    ).fit(X, y)
    assert grid.best_estimator_.module_.fc1.out_features in (4, 8)
