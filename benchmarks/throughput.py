"""Training throughput and peak memory: skimb against the loops it replaces.

Synthetic data of MNIST's shape (784 float32 features, 10 classes) with the
seed document's class profile (class 0 has 9x the samples of each other
class) are trained on by several routes: the seed document's two PyTorch
loops, plain skorch, imbalanced-learn resampling + plain skorch, the three
skimb estimators and a compute limit (forward, backward and optimizer step
on pre-made batches). See benchmarks/README.md for what each route and
column means.

Each measurement runs in a fresh child process (unless ``--isolation none``):
it makes the data, warms the route up on a slice, then times ``--epochs``
epochs and records the peak memory above what the process held before.
Repeats are the outermost loop, so drift hits all routes alike.

    .venv/bin/python benchmarks/throughput.py            # full run (make bench)
    .venv/bin/python benchmarks/throughput.py --quick    # seconds-long smoke
"""

import argparse
import datetime
import gc
import json
import multiprocessing as mp
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

N_FEATURES = 784
N_CLASSES = 10
CLASS_PROFILE = (9,) + (1,) * (N_CLASSES - 1)  # class 0: 9x each other class
LR = 1e-3
DATA_SEED = 0
MIN_SIZE = 200  # SMOTE needs a few samples of every minority class

# route -> type ("loss": every sample once per epoch, weighted loss or none;
# "sampler": class-rebalanced draws or resampled data, unweighted loss).
ROUTES = {
    "seed-weighted-loss": "loss",
    "seed-sampler": "sampler",
    "skorch-weighted-loss": "loss",
    "skorch-sampler": "sampler",
    "imblearn-ros+skorch": "sampler",
    "imblearn-smote+skorch": "sampler",
    "skimb-net": "loss",
    "skimb-weighted-loss": "loss",
    "skimb-weighted-sampler": "sampler",
    "compute-limit": "loss",
    "compute-limit-adam-default": "loss",
}
SEED_REF = {"loss": "seed-weighted-loss", "sampler": "seed-sampler"}
SKORCH_REF = {"loss": "skorch-weighted-loss", "sampler": "skorch-sampler"}

# Rough peak host memory of a route, in multiples of the input array, used to
# skip measurements that cannot fit ("where memory allows").
MEMORY_FACTOR = {"imblearn-ros+skorch": 12, "imblearn-smote+skorch": 12}
DEFAULT_MEMORY_FACTOR = 3

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "throughput.json"
DEFAULT_SCAN_OUT = DEFAULT_OUT.with_name("num_samples_scan.json")
# Imported once by the forkserver, so that each child starts in about a second.
PRELOAD = ["numpy", "torch", "sklearn", "skorch", "imblearn.over_sampling", "skimb"]
THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


# ---- data -------------------------------------------------------------------
def class_counts(n):
    """Split ``n`` samples by CLASS_PROFILE (largest remainder)."""
    p = np.asarray(CLASS_PROFILE, dtype=np.float64)
    raw = p / p.sum() * n
    counts = np.floor(raw).astype(np.int64)
    extra = n - counts.sum()
    counts[np.argsort(counts - raw, kind="stable")[:extra]] += 1
    return counts


def make_data(n, seed=DATA_SEED):
    """Gaussian clusters, float32 from the start (no float64 copy)."""
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.repeat(np.arange(N_CLASSES), class_counts(n)))
    centers = rng.standard_normal((N_CLASSES, N_FEATURES), dtype=np.float32)
    X = rng.standard_normal((n, N_FEATURES), dtype=np.float32)
    chunk = 65536
    for start in range(0, n, chunk):
        X[start : start + chunk] += centers[y[start : start + chunk]]
    return X, y.astype(np.int64)


def balanced_weights(y):
    counts = np.bincount(y, minlength=N_CLASSES).astype(np.float64)
    return len(y) / (N_CLASSES * counts)


# ---- routes -----------------------------------------------------------------
# A route takes (X, y, cfg), does any untimed preparation and returns the
# timed callable, which trains from the numpy arrays to a trained model and
# returns {"samples_per_epoch", "epoch_s", ...}.


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _seed_loop(X, y, cfg, *, sampler):
    from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler

    from skimb.nn import SimpleNet

    device, batch, epochs = cfg["device"], cfg["batch"], cfg["epochs"]

    def train():
        torch.manual_seed(0)
        X_t, y_t = torch.from_numpy(X), torch.from_numpy(y)
        counts = torch.bincount(y_t, minlength=N_CLASSES).double()
        dataset = TensorDataset(X_t, y_t)
        if sampler:  # Method 2: inverse class frequency per sample
            weights = (1.0 / counts)[y_t]
            draw = WeightedRandomSampler(
                weights, num_samples=len(y_t), replacement=True
            )
            loader = DataLoader(dataset, batch_size=batch, sampler=draw)
            criterion = nn.CrossEntropyLoss()
        else:  # Method 1: inverse class frequency in the loss
            class_weights = counts.sum() / (N_CLASSES * counts)
            loader = DataLoader(dataset, batch_size=batch, shuffle=True)
            criterion = nn.CrossEntropyLoss(weight=class_weights.float().to(device))
        model = SimpleNet().to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=LR)
        epoch_s = []
        for _ in range(epochs):
            start = time.perf_counter()
            model.train()
            total_loss = 0.0
            for xb, yb in loader:
                xb, yb = xb.to(device), yb.to(device)
                optimizer.zero_grad()
                loss = criterion(model(xb), yb)
                loss.backward()
                optimizer.step()
                total_loss += loss.item()
            epoch_s.append(time.perf_counter() - start)
        return {"samples_per_epoch": len(y_t), "epoch_s": epoch_s}

    return train


def _skorch_net(cfg, **kwargs):
    from skorch import NeuralNetClassifier

    from skimb.nn import SimpleNet

    return NeuralNetClassifier(
        SimpleNet,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=LR,
        batch_size=cfg["batch"],
        max_epochs=cfg["epochs"],
        train_split=None,
        verbose=0,
        device=str(cfg["device"]),
        **kwargs,
    )


def _fit_info(net, X, y):
    torch.manual_seed(0)
    net.fit(X, y)
    return {"samples_per_epoch": len(y), "epoch_s": list(net.history[:, "dur"])}


def _skorch_weighted_loss(X, y, cfg):
    def train():
        weight = torch.as_tensor(balanced_weights(y), dtype=torch.float32)
        net = _skorch_net(cfg, criterion__weight=weight, iterator_train__shuffle=True)
        return _fit_info(net, X, y)

    return train


def _skorch_sampler(X, y, cfg):
    from torch.utils.data import WeightedRandomSampler

    def train():
        weights = torch.as_tensor(balanced_weights(y)[y], dtype=torch.float64)
        draw = WeightedRandomSampler(weights, num_samples=len(y), replacement=True)
        net = _skorch_net(
            cfg, iterator_train__sampler=draw, iterator_train__shuffle=False
        )
        return _fit_info(net, X, y)

    return train


def _imblearn(X, y, cfg, *, smote):
    from imblearn.over_sampling import SMOTE, RandomOverSampler

    def train():
        start = time.perf_counter()
        resampler = (
            SMOTE(random_state=0) if smote else RandomOverSampler(random_state=0)
        )
        X_res, y_res = resampler.fit_resample(X, y)
        X_res = np.asarray(X_res, dtype=np.float32)
        resample_s = time.perf_counter() - start
        net = _skorch_net(cfg, iterator_train__shuffle=True)
        info = _fit_info(net, X_res, np.asarray(y_res, dtype=np.int64))
        info["resample_s"] = resample_s
        return info

    return train


def _skimb(X, y, cfg, *, kind):
    import skimb

    estimator = {
        "net": skimb.NetClassifier,
        "loss": skimb.WeightedLossClassifier,
        "sampler": skimb.WeightedSamplerClassifier,
    }[kind]
    params = {
        "lr": LR,
        "batch_size": cfg["batch"],
        "max_epochs": cfg["epochs"],
        "train_split": None,
        "verbose": 0,
        "device": str(cfg["device"]),
        "random_state": 0,
    }
    if kind == "sampler" and cfg.get("num_samples") is not None:
        params["num_samples"] = cfg["num_samples"]

    def train():
        est = estimator(**params).fit(X, y)
        return {
            "samples_per_epoch": getattr(est, "num_samples_", len(y)),
            "epoch_s": list(est.history_[:, "dur"]),
            "optimizer_fused": bool(est.optimizer_.defaults.get("fused")),
        }

    return train


def _compute_limit(X, y, cfg, *, fused):
    from skimb.nn import SimpleNet

    device, batch, epochs = cfg["device"], cfg["batch"], cfg["epochs"]
    # Untimed: one shuffled copy on the device, sliced into batches.
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(0))
    X_t = torch.from_numpy(X)[perm].to(device)
    y_t = torch.from_numpy(y)[perm].to(device)
    batches = [
        (X_t[start : start + batch], y_t[start : start + batch])
        for start in range(0, len(y), batch)
    ]
    weight = torch.as_tensor(balanced_weights(y), dtype=torch.float32, device=device)
    _sync(device)

    def train():
        torch.manual_seed(0)
        model = SimpleNet().to(device)
        kwargs = {"fused": True} if fused else {}
        optimizer = torch.optim.Adam(model.parameters(), lr=LR, **kwargs)
        criterion = nn.CrossEntropyLoss(weight=weight)
        epoch_s = []
        for _ in range(epochs):
            start = time.perf_counter()
            for xb, yb in batches:
                optimizer.zero_grad()
                loss = criterion(model(xb), yb)
                loss.backward()
                optimizer.step()
            _sync(device)
            epoch_s.append(time.perf_counter() - start)
        return {
            "samples_per_epoch": len(y),
            "epoch_s": epoch_s,
            "optimizer_fused": bool(optimizer.defaults.get("fused")),
        }

    return train


ROUTE_FUNCS = {
    "seed-weighted-loss": lambda X, y, c: _seed_loop(X, y, c, sampler=False),
    "seed-sampler": lambda X, y, c: _seed_loop(X, y, c, sampler=True),
    "skorch-weighted-loss": _skorch_weighted_loss,
    "skorch-sampler": _skorch_sampler,
    "imblearn-ros+skorch": lambda X, y, c: _imblearn(X, y, c, smote=False),
    "imblearn-smote+skorch": lambda X, y, c: _imblearn(X, y, c, smote=True),
    "skimb-net": lambda X, y, c: _skimb(X, y, c, kind="net"),
    "skimb-weighted-loss": lambda X, y, c: _skimb(X, y, c, kind="loss"),
    "skimb-weighted-sampler": lambda X, y, c: _skimb(X, y, c, kind="sampler"),
    "compute-limit": lambda X, y, c: _compute_limit(X, y, c, fused=True),
    "compute-limit-adam-default": lambda X, y, c: _compute_limit(X, y, c, fused=False),
}
assert ROUTE_FUNCS.keys() == ROUTES.keys()


# ---- one measurement --------------------------------------------------------
def _proc_status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _reset_peak_rss():
    """Reset the peak-RSS mark if the kernel allows; return (method, RSS KiB)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM (Linux >= 4.0)
        return "vmhwm-reset", _proc_status_kib("VmRSS")
    except OSError:
        pass
    try:
        return "ru_maxrss", _proc_status_kib("VmRSS")
    except (OSError, KeyError):
        return "ru_maxrss", _peak_rss_kib("ru_maxrss")


def _peak_rss_kib(method):
    if method == "vmhwm-reset":
        return _proc_status_kib("VmHWM")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS


_DATA_CACHE = {}


def _data(n, cache):
    if not cache:
        return make_data(n)
    if n not in _DATA_CACHE:
        _DATA_CACHE.clear()
        gc.collect()
        _DATA_CACHE[n] = make_data(n)
    return _DATA_CACHE[n]


def measure(spec, *, cache=False):
    """Warm up, then time one (route, n, batch) on the data; return a record."""
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(spec["threads"])
    device = torch.device(spec["device"])
    X, y = _data(spec["n"], cache)
    route = ROUTE_FUNCS[spec["route"]]
    cfg = {
        "device": device,
        "batch": spec["batch"],
        "epochs": spec["epochs"],
        "num_samples": spec.get("num_samples"),
    }
    with threadpool_limits(limits=spec["threads"]):
        # Warm-up: one epoch on a slice (lazy imports, kernels, allocators).
        m = min(len(y), max(8 * spec["batch"], 512))
        route(X[:m], y[:m], {**cfg, "epochs": 1, "num_samples": None})()
        _sync(device)
        gc.collect()
        rss_method, rss0 = _reset_peak_rss()
        if device.type == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(device)
            cuda0 = torch.cuda.memory_allocated(device)
        train = route(X, y, cfg)  # untimed preparation (compute-limit's batches)
        _sync(device)
        start = time.perf_counter()
        info = train()
        _sync(device)
        total_s = time.perf_counter() - start
        peak_kib = _peak_rss_kib(rss_method)
    resample_s = info.pop("resample_s", 0.0)
    train_s = total_s - resample_s
    n, epochs = len(y), spec["epochs"]
    record = {
        **spec,
        "total_s": total_s,
        "train_s": train_s,
        "resample_s": resample_s,
        "samples_per_s": n * epochs / train_s,
        "seen_samples_per_s": info["samples_per_epoch"] * epochs / train_s,
        "peak_rss_mib": max(peak_kib - rss0, 0) / 1024,
        "rss_method": rss_method,
        **info,
    }
    if device.type == "cuda":
        peak = torch.cuda.max_memory_allocated(device) - cuda0
        record["peak_cuda_mib"] = peak / 2**20
    return record


def _child(spec, conn):
    try:
        conn.send(measure(spec))
    except Exception as exc:  # report, so that the run goes on
        conn.send({**spec, "error": f"{type(exc).__name__}: {exc}"})
    finally:
        conn.close()


_CONTEXTS = {}


def _mp_context(method):
    """A multiprocessing context; forkserver preloads the heavy imports once."""
    if method not in _CONTEXTS:
        if method not in mp.get_all_start_methods():
            method = "spawn"
        ctx = mp.get_context(method)
        if method == "forkserver":
            ctx.set_forkserver_preload(PRELOAD)
        _CONTEXTS[method] = ctx
    return _CONTEXTS[method]


def run_spec(spec, isolation):
    """Measure ``spec`` in a child process (or here with isolation 'none')."""
    if isolation == "none":
        try:
            return measure(spec, cache=True)
        except Exception as exc:
            return {**spec, "error": f"{type(exc).__name__}: {exc}"}
    ctx = _mp_context(isolation)
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(spec, send))
    proc.start()
    send.close()
    try:
        record = receive.recv()
    except EOFError:  # killed (out of memory, say) before it could report
        record = None
    proc.join()
    receive.close()
    if record is None:
        record = {**spec, "error": f"child process died (exit code {proc.exitcode})"}
    return record


# ---- metadata -----------------------------------------------------------------
def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _mem_available_bytes():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _load_average():
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def _git_commit():
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def metadata(args, device):
    import imblearn
    import sklearn
    import skorch

    import skimb

    if device.type == "cuda":
        device_name = torch.cuda.get_device_name(device)
    else:
        device_name = f"CPU: {_cpu_model()}"
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
            timespec="seconds"
        ),
        "device": str(device),
        "device_name": device_name,
        "cpu_model": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "threads": args.threads,
        "isolation": args.isolation,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": {
            "torch": torch.__version__,
            "skorch": skorch.__version__,
            "scikit-learn": sklearn.__version__,
            "imbalanced-learn": imblearn.__version__,
            "numpy": np.__version__,
            "skimb": skimb.__version__,
        },
        "git_commit": _git_commit(),
        "argv": sys.argv[1:],
    }


# ---- summaries and tables -----------------------------------------------------
def _median(records, key):
    values = [r[key] for r in records if r.get(key) is not None]
    return statistics.median(values) if values else None


def summarize(records):
    groups = {}
    for r in records:
        if "error" not in r and "skipped" not in r:
            groups.setdefault((r["route"], r["n"], r["batch"]), []).append(r)
    rows = []
    for (route, n, batch), recs in groups.items():
        rows.append(
            {
                "route": route,
                "type": ROUTES[route],
                "n": n,
                "batch": batch,
                "repeats": len(recs),
                "samples_per_s": _median(recs, "samples_per_s"),
                "seen_samples_per_s": _median(recs, "seen_samples_per_s"),
                "total_s": _median(recs, "total_s"),
                "train_s": _median(recs, "train_s"),
                "resample_s": _median(recs, "resample_s"),
                "peak_rss_mib": max(r["peak_rss_mib"] for r in recs),
                "peak_cuda_mib": (
                    max(r["peak_cuda_mib"] for r in recs)
                    if "peak_cuda_mib" in recs[0]
                    else None
                ),
            }
        )
    speed = {(r["route"], r["n"], r["batch"]): r["samples_per_s"] for r in rows}
    for row in rows:
        key = (row["n"], row["batch"])
        for col, refs in (("vs_seed", SEED_REF), ("vs_skorch", SKORCH_REF)):
            ref = speed.get((refs[row["type"]], *key))
            row[col] = row["samples_per_s"] / ref if ref else None
    order = list(ROUTES)
    rows.sort(key=lambda r: (r["n"], r["batch"], order.index(r["route"])))
    return rows


def _fmt(value, spec, suffix=""):
    return "–" if value is None else f"{value:{spec}}{suffix}"


def markdown_table(rows, *, cuda):
    head = [
        "route",
        "n",
        "batch",
        "samples/s",
        "vs seed",
        "vs skorch",
        "total s",
        "peak RSS MiB",
    ]
    if cuda:
        head.append("peak GPU MiB")
    head.append("resample s")
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" if i < 1 else "---:" for i in range(len(head))) + "|",
    ]
    for r in rows:
        cells = [
            r["route"],
            f"{r['n']:,}",
            str(r["batch"]),
            _fmt(r["samples_per_s"], ",.0f"),
            _fmt(r["vs_seed"], ".2f", "x"),
            _fmt(r["vs_skorch"], ".2f", "x"),
            _fmt(r["total_s"], ".3g"),
            _fmt(r["peak_rss_mib"], ".1f"),
        ]
        if cuda:
            cells.append(_fmt(r["peak_cuda_mib"], ".1f"))
        is_imblearn = r["route"].startswith("imblearn")
        cells.append(_fmt(r["resample_s"] if is_imblearn else None, ".3g"))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def scan_table(records):
    groups = {}
    for r in records:
        if "error" not in r and "skipped" not in r:
            groups.setdefault((r["n"], r["batch"], r["num_samples"]), []).append(r)
    lines = [
        "| n | batch | num_samples | steps/epoch | s/epoch | µs/draw |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    rows = []
    for (n, batch, ns), recs in sorted(groups.items()):
        per_epoch = statistics.median(s for r in recs for s in r["epoch_s"])
        rows.append(
            {"n": n, "batch": batch, "num_samples": ns, "s_per_epoch": per_epoch}
        )
        lines.append(
            f"| {n:,} | {batch} | {ns:,} | {-(-ns // batch):,} | "
            f"{per_epoch:.4g} | {per_epoch / ns * 1e6:.3g} |"
        )
    return rows, "\n".join(lines)


# ---- command line ---------------------------------------------------------------
def _int_list(text):
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected integers: {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one integer")
    return values


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--sizes",
        type=_int_list,
        default=[2000, 10700, 100000],
        help="training-set sizes n (1000000 where memory allows)",
    )
    parser.add_argument("--batch-sizes", type=_int_list, default=[64, 256, 1024])
    parser.add_argument(
        "--epochs",
        type=int,
        default=2,
        help="epochs timed per measurement (after a warm-up)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="interleaved repeats; the table shows medians",
    )
    parser.add_argument(
        "--routes",
        default=",".join(ROUTES),
        help="comma-separated subset of: " + ", ".join(ROUTES),
    )
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument(
        "--threads",
        type=int,
        default=2,
        help="torch.set_num_threads (and BLAS/OpenMP threads)",
    )
    parser.add_argument(
        "--isolation",
        choices=("forkserver", "spawn", "none"),
        default=None,
        help="'forkserver' (default): a fresh child process per measurement, "
        "forked from a server that has the imports done; 'spawn': a fresh "
        "interpreter per measurement (slow to start); 'none': everything in "
        "this process (default with --quick; peak memory is then approximate)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"JSON output (default {DEFAULT_OUT.name}, or "
        f"{DEFAULT_SCAN_OUT.name} with --num-samples-scan, in "
        "benchmarks/results/); a .md table is written beside it",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: n=2000, batch 64, 1 repeat, 1 epoch",
    )
    parser.add_argument(
        "--num-samples-scan",
        action="store_true",
        help="instead of the routes, time skimb-weighted-sampler "
        "at num_samples = n/2, n, 2n and print seconds per epoch",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.batch_sizes, args.repeats, args.epochs = [2000], [64], 1, 1
        args.isolation = args.isolation or "none"
    args.isolation = args.isolation or "forkserver"
    args.routes = [r.strip() for r in args.routes.split(",") if r.strip()]
    unknown = sorted(set(args.routes) - ROUTES.keys())
    if unknown:
        parser.error(f"unknown routes {unknown}; choose from {list(ROUTES)}")
    if min(args.sizes) < MIN_SIZE:
        parser.error(f"sizes must be at least {MIN_SIZE}")
    for name in ("batch_sizes", "epochs", "repeats", "threads"):
        value = getattr(args, name)
        if min(value if isinstance(value, list) else [value]) < 1:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if args.out is None:
        args.out = DEFAULT_SCAN_OUT if args.num_samples_scan else DEFAULT_OUT
    return args


def _resolve_device(name):
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: no CUDA GPU is available")
    return torch.device(name)


def _plan(args, device):
    """The measurements in run order: repeats outermost, routes innermost."""
    available = _mem_available_bytes()
    specs = []
    for rep in range(args.repeats):
        for n in args.sizes:
            for batch in args.batch_sizes:
                if args.num_samples_scan:
                    runs = [("skimb-weighted-sampler", ns) for ns in (n // 2, n, 2 * n)]
                else:
                    runs = [(route, None) for route in args.routes]
                for route, num_samples in runs:
                    spec = {
                        "route": route,
                        "n": n,
                        "batch": batch,
                        "epochs": args.epochs,
                        "repeat": rep,
                        "device": str(device),
                        "threads": args.threads,
                        "num_samples": num_samples,
                    }
                    need = (
                        n
                        * N_FEATURES
                        * 4
                        * MEMORY_FACTOR.get(route, DEFAULT_MEMORY_FACTOR)
                    )
                    if available is not None and need > 0.85 * available:
                        spec["skipped"] = (
                            f"needs about {need / 2**30:.1f} GiB of host memory; "
                            f"{available / 2**30:.1f} GiB available"
                        )
                    specs.append(spec)
    return specs


def main(argv=None):
    args = parse_args(argv)
    device = _resolve_device(args.device)
    for var in THREAD_ENV:  # inherited by the child processes
        os.environ[var] = str(args.threads)
    torch.set_num_threads(args.threads)
    load = _load_average()
    if load is not None and load > 0.5:
        print(
            f"warning: load average {load:.2f} before the run; other work on the "
            "machine slows multi-threaded training very unevenly",
            file=sys.stderr,
        )
    specs = _plan(args, device)
    records = []
    started = time.perf_counter()
    for i, spec in enumerate(specs, 1):
        label = (
            f"[{i}/{len(specs)}] repeat {spec['repeat'] + 1} n={spec['n']} "
            f"batch={spec['batch']} {spec['route']}"
        )
        if spec["num_samples"] is not None:
            label += f" num_samples={spec['num_samples']}"
        if "skipped" in spec:
            print(f"{label}: skipped ({spec['skipped']})", file=sys.stderr)
            records.append(spec)
            continue
        record = run_spec(spec, args.isolation)
        record["load_average"] = _load_average()
        records.append(record)
        if "error" in record:
            print(f"{label}: ERROR {record['error']}", file=sys.stderr)
        else:
            print(
                f"{label}: {record['samples_per_s']:,.0f} samples/s, "
                f"{record['total_s']:.2f} s, peak {record['peak_rss_mib']:.0f} MiB",
                file=sys.stderr,
                flush=True,
            )
    elapsed = time.perf_counter() - started

    meta = metadata(args, device)
    meta["wall_s"] = elapsed
    meta["load_average_before"] = load
    config = {
        "sizes": args.sizes,
        "batch_sizes": args.batch_sizes,
        "epochs": args.epochs,
        "repeats": args.repeats,
        "routes": args.routes,
        "class_profile": list(CLASS_PROFILE),
        "n_features": N_FEATURES,
        "lr": LR,
    }
    if args.num_samples_scan:
        rows, table = scan_table(records)
        result = {"meta": meta, "config": config, "scan": rows, "records": records}
    else:
        rows = summarize(records)
        table = markdown_table(rows, cuda=device.type == "cuda")
        result = {"meta": meta, "config": config, "summary": rows, "records": records}
    header = (
        f"{meta['device_name']}, torch {torch.__version__}, {args.threads} threads, "
        f"{args.epochs} epoch(s) x median of {args.repeats} repeat(s), {meta['date']}"
    )
    print(f"\n{header}\n\n{table}")
    failed = [r for r in records if "error" in r]
    if failed:
        print(f"\n{len(failed)} measurement(s) failed; see 'records' in the JSON.")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(f"{header}\n\n{table}\n")
    print(f"\nwrote {args.out} and {args.out.with_suffix('.md')} ({elapsed:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
