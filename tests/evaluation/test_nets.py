"""The net a comparison trains: SimpleNet, SmallCNN on images, or the user's."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from torch import nn

from skimb import compare
from skimb.cli import main


@pytest.fixture(scope="module")
def images():
    """Digits as (n, 1, 8, 8) images, class 0 made rare."""
    X, y = load_digits(return_X_y=True)
    keep = (y != 0) | (np.arange(len(y)) % 6 == 0)
    X = (X[keep] / 16).astype(np.float32).reshape(-1, 1, 8, 8)
    return X[:600], y[keep][:600]


class Tiny(nn.Module):
    """A user's module, sized at fit."""

    def __init__(self, n_features=64, n_classes=10):
        super().__init__()
        self.out = nn.Linear(n_features, n_classes)

    def forward(self, X):
        return self.out(X.flatten(1))


def test_a_cnn_on_images(images, tiny):
    X, y = images
    result = compare(
        X, y, methods=["weighted-loss", "random-over"], net="cnn", output=None, **tiny
    )
    assert (result.rows["status"] == "ok").all()
    net = result.config["net"]
    assert net["module"] == "SmallCNN" and tuple(net["module__input_shape"]) == (
        1,
        8,
        8,
    )
    assert "module__hidden_units" not in net  # the simple net's width only


@pytest.mark.parametrize("net", [Tiny, Tiny(64, 10)], ids=["class", "instance"])
def test_a_module_of_ones_own(images, tiny, net):
    X, y = images
    result = compare(X, y, methods=["weighted-loss"], net=net, output=None, **tiny)
    assert (result.rows["status"] == "ok").all()
    assert result.config["net"]["module"].startswith("Tiny")


def test_interpolating_resamplers_on_images_say_so(images, tiny):
    X, y = images
    with pytest.warns(UserWarning, match="smote interpolates between neighbouring"):
        compare(X, y, methods=["smote"], net="cnn", output=None, **tiny)


@pytest.mark.parametrize("net, error", [("resnet", ValueError), (3, TypeError)])
def test_bad_nets_are_refused_before_any_fit(images, tiny, net, error):
    X, y = images
    with pytest.raises(error, match="net must be one of 'simple', 'cnn'"):
        compare(X, y, net=net, output=None, **tiny)


def test_the_command_line_takes_net(tmp_path, capsys):
    rc = main(
        [
            "compare",
            "--net",
            "cnn",
            "--methods",
            "weighted-loss",
            "--cv",
            "2",
            "--max-epochs",
            "1",
            "--device",
            "cpu",
            "--no-progress",
            "--no-plots",
            "--output",
            str(tmp_path / "out"),
        ]
    )
    assert rc == 0
    assert '"module": "SmallCNN"' in (tmp_path / "out" / "results.json").read_text()


def test_augmented_sampler_shifts_images_and_refuses_tables(images, tiny, rng):
    X, y = images
    result = compare(
        X, y, methods=["augmented-sampler"], net="cnn", output=None, **tiny
    )
    assert (result.rows["status"] == "ok").all()
    table = rng.random((80, 5))
    labels = np.r_[np.zeros(70, int), np.ones(10, int)]
    with pytest.raises(ValueError, match="augmented-sampler shifts images"):
        compare(table, labels, methods=["augmented-sampler"], output=None, **tiny)


class Scripted(Tiny):
    """A module as a script defines it: in ``__main__``."""


Scripted.__module__ = "__main__"


def test_a_module_of_a_scripts_main_trains_in_this_process(images, tiny, monkeypatch):
    import skimb.evaluation._compare as compare_module

    # As if the work called for two workers.
    monkeypatch.setattr(compare_module, "auto_workers", lambda *a, **k: 2)
    X, y = images
    # Workers could not import it to send the fitted net back: 'auto' stays
    # in this process, and asking for workers is a clear error.
    with pytest.raises(ValueError, match=r"defined in the script's __main__.*n_jobs=2"):
        compare(
            X, y, methods=["weighted-loss"], net=Scripted, n_jobs=2, output=None, **tiny
        )
    result = compare(
        X,
        y,
        methods=["weighted-loss"],
        net=Scripted,
        n_jobs="auto",
        output=None,
        **tiny,
    )
    assert (result.rows["status"] == "ok").all()
