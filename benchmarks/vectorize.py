"""Wall times of the main jobs, with fit_many against one fit at a time, and speed
on a shared machine.

Four measurements, each side by side in one run with the ratio printed:

1. ``compare``: the default comparison (digits, the six default methods,
   5-fold CV + held-out fit, 30 epochs) with ``fit_many=True`` and ``False``.
2. ``benchmark``: ten keel-binary data sets (the first ten, alphabetically,
   with at most 1,000 rows and at least 10 minority samples), the default
   methods, 5 folds, 30 epochs, vectorised and not.
3. ``busy``: a ``WeightedLossClassifier`` fit (784-256-10, 5,000 rows, 3
   epochs) on an idle machine and beside one CPU-bound process, with the
   estimator's default thread choice and with torch's default threads.
4. ``overhead``: a 20-epoch fit on an 800 x 8 table against the raw loop
   (the same batches made before the clock starts, the same fused Adam).

    .venv/bin/python benchmarks/vectorize.py                   # all four
    .venv/bin/python benchmarks/vectorize.py --only compare,busy --device cuda

Results are printed and written to ``benchmarks/results/vectorize.json``.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

import skimb
from skimb import WeightedLossClassifier
from skimb.datasets import list_benchmark_datasets
from skimb.evaluation import benchmark


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _pair(name, slow_label, slow, fast_label, fast):
    ratio = slow / fast
    print(
        f"{name}: {slow_label} {slow:.2f} s, {fast_label} {fast:.2f} s, "
        f"ratio {ratio:.2f}x",
        flush=True,
    )
    return {slow_label: slow, fast_label: fast, "ratio": ratio}


def bench_compare(device):
    kw = dict(output=None, progress=False, plots=False, device=device)
    skimb.compare(methods=["baseline"], cv=2, max_epochs=1, **kw)  # warm-up
    one = _timed(lambda: skimb.compare(fit_many=False, **kw))
    many = _timed(lambda: skimb.compare(fit_many=True, **kw))
    return _pair("compare (digits, defaults)", "one_at_a_time", one, "fit_many", many)


def ten_keel_sets():
    table = list_benchmark_datasets("keel-binary")
    table = table[(table["samples"] <= 1000) & (table["minority"] >= 10)]
    return sorted(table["name"])[:10]


def bench_benchmark(device):
    names = ten_keel_sets()
    print("benchmark data sets:", ", ".join(names), flush=True)
    kw = dict(output=None, progress=False, device=device)

    def run(vectorize):
        benchmark(names, fit_many=vectorize, **kw)

    one = _timed(lambda: run(False))
    many = _timed(lambda: run(True))
    out = _pair(
        "benchmark (10 keel sets, defaults)", "one_at_a_time", one, "fit_many", many
    )
    out["datasets"] = names
    return out


def _fit_seconds(threads):
    rng = np.random.default_rng(0)
    X = rng.random((5000, 784), dtype=np.float32)
    y = np.where(rng.random(5000) < 0.1, 1, 0)
    kwargs = {} if threads is None else {"n_threads": threads}
    clf = WeightedLossClassifier(max_epochs=3, random_state=0, device="cpu", **kwargs)
    clf.fit(X[:200], y[:200])  # warm-up
    return min(_timed(lambda: clf.fit(X, y)) for _ in range(3))


def bench_busy(_device):
    out = {}
    for label, threads in (
        ("default", None),
        ("torch_threads", torch.get_num_threads()),
    ):
        idle = _fit_seconds(threads)
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            time.sleep(1.0)  # let the scheduler see the competitor
            busy = _fit_seconds(threads)
        finally:
            hog.kill()
            hog.wait()
        out[label] = _pair(
            f"fit beside a busy process ({label} threads)", "busy", busy, "idle", idle
        )
    return out


def bench_overhead(_device):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(800, 8)).astype(np.float32)
    y = (rng.random(800) < 0.2).astype(np.int64)
    clf = WeightedLossClassifier(max_epochs=20, random_state=0, device="cpu")
    clf.fit(X, y)  # warm-up
    fit = min(_timed(lambda: clf.fit(X, y)) for _ in range(5))

    def raw():
        torch.manual_seed(0)
        net = skimb.SimpleNet(8, 2, 256)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3, fused=True)
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        w = torch.as_tensor(clf.class_weight_, dtype=torch.float32)
        g = torch.Generator().manual_seed(1)
        batches = [
            [(Xt[i], yt[i]) for i in torch.randperm(800, generator=g).split(64)]
            for _ in range(20)
        ]
        start = time.perf_counter()
        for epoch in batches:
            losses = []
            for xb, yb in epoch:
                opt.zero_grad()
                loss = torch.nn.functional.cross_entropy(net(xb), yb, weight=w)
                loss.backward()
                opt.step()
                losses.append(loss.detach())
            torch.stack(losses).tolist()
        return time.perf_counter() - start

    loop = min(raw() for _ in range(5))
    out = _pair("20-epoch fit on 800 x 8 vs the raw loop", "fit", fit, "raw_loop", loop)
    out["speed_of_raw"] = loop / fit
    print(f"  the fit runs at {loop / fit:.2f} of the raw loop's speed", flush=True)
    return out


BENCHES = {
    "compare": bench_compare,
    "benchmark": bench_benchmark,
    "busy": bench_busy,
    "overhead": bench_overhead,
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(BENCHES))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", default="benchmarks/results/vectorize.json")
    args = parser.parse_args(argv)
    results = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "device": args.device,
        "load_average_before": os.getloadavg(),
    }
    for name in args.only.split(","):
        results[name] = BENCHES[name](args.device)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1, default=str))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
