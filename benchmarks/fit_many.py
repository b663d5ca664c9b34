"""Many nets in one loop: ``fit_many`` against K separate fits.

K ``NetClassifier`` estimators (``SimpleNet`` 784-256-10, Adam, different
seeds) train on the same random data, once as K ``fit`` calls one after the
other and once as one ``skimb.fit_many`` call. Throughput is training
samples per second over all K nets (K * n * epochs / seconds, fit overhead
included); one line per K with the ratio fit_many / one at a time.

    .venv/bin/python benchmarks/fit_many.py                  # K = 1, 5, 15, 50
    .venv/bin/python benchmarks/fit_many.py --ks 1,5 --n 1000 --device cuda
"""

import argparse
import time

import numpy as np
import torch

from skimb import NetClassifier
from skimb.estimators import fit_many


def _make(k, args):
    return [
        NetClassifier(
            module__hidden_units=args.hidden,
            batch_size=args.batch_size,
            max_epochs=args.epochs,
            device=args.device,
            random_state=seed,
        )
        for seed in range(k)
    ]


def _one_at_a_time(estimators, X, y):
    for est in estimators:
        est.fit(X, y)


def _in_one_loop(estimators, X, y):
    fit_many(estimators, [X] * len(estimators), [y] * len(estimators))


def _timed(device, fn, *args):
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    start = time.perf_counter()
    fn(*args)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ks", default="1,5,15,50", help="numbers of nets")
    parser.add_argument("--n", type=int, default=3000, help="training rows")
    parser.add_argument("--features", type=int, default=784)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:<i>")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.n, args.features)).astype(np.float32)
    y = rng.integers(0, args.classes, size=args.n)

    # Warm both routes up (allocator, kernels, first-call imports).
    warm = argparse.Namespace(**dict(vars(args), epochs=1))
    _one_at_a_time(_make(2, warm), X[:256], y[:256])
    _in_one_loop(_make(2, warm), X[:256], y[:256])

    print(
        f"device={args.device} threads={torch.get_num_threads()} n={args.n} "
        f"net={args.features}-{args.hidden}-{args.classes} "
        f"batch={args.batch_size} epochs={args.epochs}"
    )
    print(f"{'K':>4} {'one at a time':>16} {'fit_many':>16} {'ratio':>7}")
    for k in (int(v) for v in args.ks.split(",")):
        samples = k * args.n * args.epochs
        t_alone = _timed(args.device, _one_at_a_time, _make(k, args), X, y)
        t_many = _timed(args.device, _in_one_loop, _make(k, args), X, y)
        print(
            f"{k:>4} {samples / t_alone:>12,.0f} s/s {samples / t_many:>12,.0f} s/s "
            f"{t_alone / t_many:>6.2f}x"
        )


if __name__ == "__main__":
    main()
