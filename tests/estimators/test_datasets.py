"""torch Datasets as input: streamed with their transforms, drawn as arrays are."""

import numpy as np
import pytest
import torch
from torch.utils.data import Dataset, TensorDataset

from skimb import NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier
from skimb.estimators import FitManyWarning, fit_many

ESTIMATORS = [NetClassifier, WeightedLossClassifier, WeightedSamplerClassifier]
TINY = dict(max_epochs=3, batch_size=16, module__hidden_units=8, device="cpu")


@pytest.fixture
def images(rng):
    """(n, 1, 4, 4) images with a rare class that a net can tell apart."""
    y = rng.choice(3, size=120, p=[0.7, 0.2, 0.1])
    X = rng.normal(size=(120, 1, 4, 4)).astype(np.float32)
    X[:, 0, 0, 0] += 2 * y
    return X, y


class Counted(Dataset):
    """Items ``(x, label)`` with string labels in ``targets``; counts the
    items it gives and adds ``noise`` to each (a transform drawn per access)."""

    def __init__(self, X, labels, noise=0.0):
        self.X, self.targets, self.noise = torch.as_tensor(X), list(labels), noise
        self.calls = 0

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        self.calls += 1
        x = self.X[i]
        if self.noise:
            x = x + self.noise * torch.randn_like(x)
        return x, self.targets[i]


@pytest.mark.parametrize("cls", ESTIMATORS)
@pytest.mark.parametrize("early_stopping", [False, True])
def test_a_dataset_trains_as_the_same_arrays(cls, early_stopping, images):
    """The same draws (from the fit's generator, on the device), the same
    validation part, the same weights: a Dataset of the arrays gives the
    net the arrays give, and predicts as it does."""
    X, y = images
    ds = TensorDataset(torch.as_tensor(X), torch.as_tensor(y))
    kw = dict(random_state=0, early_stopping=early_stopping, **TINY)
    from_arrays = cls(**kw).fit(X, y)
    from_dataset = cls(**kw).fit(ds)
    np.testing.assert_allclose(
        from_dataset.predict_proba(X), from_arrays.predict_proba(X), atol=1e-5
    )
    np.testing.assert_allclose(
        from_dataset.predict_proba(ds), from_arrays.predict_proba(X), atol=1e-5
    )
    assert from_dataset.best_epoch_ == from_arrays.best_epoch_
    assert from_dataset.n_features_in_ == from_arrays.n_features_in_


@pytest.mark.parametrize("cls", ESTIMATORS)
def test_string_labels_from_targets_and_transforms_drawn_every_epoch(cls, images):
    X, y = images
    names = np.array(["cat", "dog", "rare-bird"])[y]
    ds = Counted(X, names, noise=0.1)
    est = cls(random_state=0, **TINY).fit(ds)
    # Labels came from targets: the items were read once per draw (three
    # epochs of one draw per training row, or the sampler's num_samples),
    # plus the two rows of the output check and one for the item shape;
    # never in a pass of their own.
    draws = getattr(est, "num_samples_", len(X))
    assert ds.calls == 3 * draws + 3
    assert est.classes_.tolist() == ["cat", "dog", "rare-bird"]
    assert set(est.predict(ds)) <= set(est.classes_)
    # The noise is drawn at every access: two predictions differ.
    assert np.abs(est.predict_proba(ds) - est.predict_proba(ds)).max() > 1e-3


def test_labels_from_the_items_when_there_are_no_targets(images):
    X, y = images

    class Pairs(Dataset):
        def __len__(self):
            return len(X)

        def __getitem__(self, i):
            return torch.as_tensor(X[i]), int(y[i])

    est = NetClassifier(random_state=0, **TINY).fit(Pairs())
    assert est.classes_.tolist() == [0, 1, 2]
    np.testing.assert_array_equal(est.class_counts_, np.bincount(y))


def test_an_image_folder_with_augmentation(tmp_path, rng):
    torchvision = pytest.importorskip("torchvision")
    from PIL import Image
    from torchvision import transforms

    for label, count in (("common", 30), ("rare", 6)):
        folder = tmp_path / label
        folder.mkdir()
        for i in range(count):
            pixels = rng.integers(0, 255, size=(8, 8), dtype=np.uint8)
            if label == "rare":
                pixels[:4] = 255
            Image.fromarray(pixels, mode="L").save(folder / f"{i}.png")
    augment = transforms.Compose(
        [
            transforms.RandomAffine(degrees=10, translate=(0.1, 0.1)),
            transforms.ToTensor(),
        ]
    )
    folder = torchvision.datasets.ImageFolder(tmp_path, transform=augment)
    est = WeightedLossClassifier(random_state=0, **TINY).fit(folder)
    assert est.classes_.tolist() == [0, 1]  # ImageFolder's class indices
    np.testing.assert_array_equal(est.class_counts_, [30, 6])
    plain = torchvision.datasets.ImageFolder(tmp_path, transform=transforms.ToTensor())
    assert est.predict_proba(plain).shape == (36, 2)


def test_bad_datasets_are_clear_errors(images):
    X, y = images
    unlabelled = TensorDataset(torch.as_tensor(X))
    with pytest.raises(ValueError, match="without a label.*give y"):
        NetClassifier(**TINY).fit(unlabelled)
    with pytest.raises(ValueError, match="120 items and y 3 labels"):
        NetClassifier(**TINY).fit(unlabelled, y[:3])
    with pytest.raises(ValueError, match="sample_weight is not supported"):
        NetClassifier(**TINY).fit(unlabelled, y, sample_weight=np.ones(len(y)))
    est = NetClassifier(**TINY).fit(unlabelled, y)  # y given: no labels needed
    wrong = TensorDataset(torch.zeros(5, 1, 3, 3))
    with pytest.raises(ValueError, match=r"items have shape \(1, 3, 3\)"):
        est.predict(wrong)
    with pytest.raises(ValueError, match="requires y"):
        NetClassifier(**TINY).fit(X)


def test_fit_many_fits_a_dataset_alone_and_says_why(images):
    X, y = images
    ds = TensorDataset(torch.as_tensor(X), torch.as_tensor(y))
    nets = [NetClassifier(random_state=k, **TINY) for k in range(2)]
    with pytest.warns(FitManyWarning, match="Dataset streams its items"):
        fit_many(nets, [ds, X], [None, y])
    assert all(len(net.history_) == 3 for net in nets)
