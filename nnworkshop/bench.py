"""``nnworkshop bench``: where the training time goes, measured on one machine in one run.

Four ways to spend one epoch on the same digits, timed by the same function:

- **(a) original**: the original workshop's loop as written: ``torchvision.datasets.MNIST`` with
  ``ToTensor()`` + ``Normalize`` applied to each digit as it is fetched, ``DataLoader(batch_size=64,
  shuffle=True)``, and its ``train()`` body (``loss.item()`` and ``.sum().item()`` every batch).
- **(b) torch**: ``nnworkshop.training.fit`` on the digits preloaded once as a float32 tensor.
- **(c) numpy**: ``nnworkshop.scratch.fit``, the network written by hand, float32.
- **(d) GEMM floor**: only the epoch's matrix products (3 forward, 5 backward: dW of every layer and
  dX of the two upper layers), at the same batch size, into preallocated float32 buffers. No
  activation, loss, optimizer or data handling: no training loop can beat it with these matrix products.

Each runs one warm-up epoch (not timed; memory is measured there), then ``--epochs`` timed epochs
in rounds (a, b, c, d, a, b, c, d, ...), so that a busy spell on a shared machine slows all of them
alike; the table shows the median. Absolute seconds vary between runs on shared machines: read the
ratios, which are measured in the same process seconds apart.

The timing functions (``timed``, ``time_epochs``) are the ones ``nnworkshop.compare`` and
notebook 05 use, so the learner's table and this benchmark measure the same thing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import asdict, dataclass, field

import numpy as np

from .batches import batch_slices

SIZES = (784, 128, 64, 10)
LR, MOMENTUM = 0.01, 0.9  # the original workshop's optimizer settings
DEFAULT_SAMPLES = 60_000  # the full MNIST training set, as in the issue's figures
DEFAULT_EPOCHS = 3
DEFAULT_BATCH = 64

# Targets from issue 6, as ratios measured in one run (and, on a GPU, absolute seconds).
TARGETS = {
    "b_speedup_vs_a": 12.0,  # (b) at least 12x faster than (a)
    "c_over_floor": 1.3,  # (c) within 1.3x of (d)
    "b_over_floor": 1.8,  # (b) within 1.8x of (d)
    "gpu_b_epoch_s": 0.15,  # on an H100, for 60,000 digits
    "gpu_b_speedup_vs_a": 20.0,
    "import_overhead_s": 0.3,  # import nnworkshop on top of torch + torchvision
}

# Modules whose import cost is measured on top of ``import torch, torchvision``.
IMPORT_MODULES = ("nnworkshop", "nnworkshop.scratch", "nnworkshop.models", "nnworkshop.training", "nnworkshop.data")


# ---------------------------------------------------------------- the timing harness


def _no_sync():
    return None


def sync_for(device) -> callable:
    """A function that waits for ``device`` to finish queued work (``torch.cuda.synchronize`` on CUDA).

    Timing a GPU without it measures how fast work is *queued*, not done.
    """
    kind = str(device).split(":")[0]
    if kind == "cuda":
        import torch

        return lambda: torch.cuda.synchronize(device)
    if kind == "mps":
        import torch

        return torch.mps.synchronize
    return _no_sync


def timed(fn, *args, sync=None, **kwargs):
    """Run ``fn(*args, **kwargs)`` once; return ``(result, seconds)`` by ``time.perf_counter``.

    ``sync`` (from ``sync_for(device)``) runs before the clock starts and before it stops.
    """
    sync = sync or _no_sync
    sync()
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    sync()
    return result, time.perf_counter() - start


@dataclass
class Timing:
    """Seconds of each timed epoch (warm-up excluded) and the memory the warm-up epoch used.

    ``traced_peak_mb``: peak of Python/NumPy allocations (``tracemalloc``) during the warm-up epoch;
    torch's CPU tensors are not traced. ``rss_peak_mb``: the process's resident-memory high-water
    mark (``getrusage`` ``ru_maxrss``) after the warm-up epoch, everything loaded so far included.
    ``rss_growth_mb``: how much that high-water mark rose during the warm-up epoch.
    ``cuda_peak_mb``: ``torch.cuda.max_memory_allocated`` during the warm-up epoch (CUDA only).
    """

    seconds: list = field(default_factory=list)
    warmup_seconds: float = float("nan")
    traced_peak_mb: float | None = None
    rss_peak_mb: float | None = None
    rss_growth_mb: float | None = None
    cuda_peak_mb: float | None = None

    @property
    def median(self) -> float:
        """Median seconds per timed epoch."""
        return float(statistics.median(self.seconds)) if self.seconds else float("nan")

    @property
    def best(self) -> float:
        """The fastest timed epoch: the least disturbed by other work on a shared machine."""
        return float(min(self.seconds)) if self.seconds else float("nan")


def _maxrss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    scale = 1 / 1024 / 1024 if sys.platform == "darwin" else 1 / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def time_epochs(run_epoch, epochs: int = DEFAULT_EPOCHS, warmup: int = 1, sync=None, device=None) -> Timing:
    """Call ``run_epoch(i)`` for ``warmup`` untimed epochs, then ``epochs`` timed ones.

    The (first) warm-up epoch runs under ``tracemalloc`` to measure memory, so its time is not
    comparable and is only reported as ``warmup_seconds``. Returns a ``Timing``.
    """
    sync = sync or (sync_for(device) if device is not None else _no_sync)
    timing = Timing()
    cuda = device is not None and str(device).startswith("cuda")
    for i in range(warmup):
        if i == 0:
            if cuda:
                import torch

                torch.cuda.reset_peak_memory_stats(device)
            rss_before = _maxrss_mb()
            tracemalloc.start()
            _, timing.warmup_seconds = timed(run_epoch, i, sync=sync)
            timing.traced_peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            timing.rss_peak_mb = _maxrss_mb()
            timing.rss_growth_mb = timing.rss_peak_mb - rss_before
            if cuda:
                timing.cuda_peak_mb = torch.cuda.max_memory_allocated(device) / 2**20
        else:
            timed(run_epoch, i, sync=sync)
    for i in range(epochs):
        timing.seconds.append(timed(run_epoch, warmup + i, sync=sync)[1])
    return timing


def time_interleaved(run_epochs: dict, epochs: int, devices: dict, log=None) -> dict:
    """``time_epochs`` for several contenders at once, in rounds: every contender's warm-up epoch
    first, then round r times epoch r of each in turn. A slow spell on a shared machine then hits
    every contender alike instead of whichever happened to run during it. Returns ``{key: Timing}``.
    """
    log = log or (lambda text: None)
    timings = {}
    for key, run_epoch in run_epochs.items():
        log(f"({key}) warm-up epoch on {devices[key]} ...")
        timings[key] = time_epochs(run_epoch, epochs=0, warmup=1, device=devices[key])
    for r in range(epochs):
        for key, run_epoch in run_epochs.items():
            timings[key].seconds.append(timed(run_epoch, 1 + r, sync=sync_for(devices[key]))[1])
        log(f"round {r + 1}/{epochs}: " + ", ".join(f"({k}) {t.seconds[-1]:.3f} s" for k, t in timings.items()))
    return timings


# ---------------------------------------------------------------- the data, once for all four


@dataclass
class BenchData:
    """The training digits in the three forms the contenders read, all the same digits in the same order.

    ``dataset``: a torchvision Dataset with per-sample transforms (for (a)); ``X``/``y``: float32
    (N, 784) and int64 (N,) CPU tensors (for (b) and (d)); ``X_np``/``y_np``: the same memory as NumPy
    arrays (for (c)). ``n_real`` digits were read from ``root`` and tiled to ``samples`` when more were asked.
    """

    dataset: object
    X: object
    y: object
    X_np: np.ndarray
    y_np: np.ndarray
    samples: int
    n_real: int
    root: str
    synthetic: bool
    note: str

    @property
    def tiled(self) -> bool:
        return self.samples > self.n_real


def load_data(samples: int = DEFAULT_SAMPLES, root=None, synthetic: bool = False, seed: int = 0) -> BenchData:
    """Load the MNIST training digits (``root``, else ``NNWORKSHOP_DATA``, else the cache folder) and tile
    them to ``samples`` when more are asked than there are (digit i of the tiled set is digit i mod n).

    ``synthetic=True`` writes stand-in digits (``data.write_synthetic_mnist``) into a temporary folder and
    uses those: only when asked, never as a silent fallback. Raises ``MNISTNotFoundError`` (which says
    how to fix it) when the real digits are not there.
    """
    import torch
    from torch.utils.data import Subset

    from . import data

    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples must be a whole number >= 1, got {samples!r}.")
    if synthetic:
        root = tempfile.mkdtemp(prefix="nnworkshop-bench-")
        data.write_synthetic_mnist(root, n_train=min(samples, 2000), n_test=100, seed=seed)
    # (a)'s dataset exactly as the original builds it (its transform is data.default_transform()).
    dataset = data.mnist(train=True, root=root, download=False)
    X, y = data.mnist_tensors(train=True, root=root, download=False)
    root = data.resolve_root(root)
    n_real = len(y)
    if samples <= n_real:
        index = np.arange(samples)
    else:
        index = np.arange(samples) % n_real
    if samples != n_real:
        dataset = Subset(dataset, index.tolist())  # still transforms each digit as it is fetched
        X, y = X[torch.from_numpy(index)].contiguous(), y[torch.from_numpy(index)].contiguous()
    kind = "synthetic stand-in digits (--synthetic), NOT MNIST" if synthetic else "MNIST training digits"
    if samples > n_real:
        note = (f"{kind}: {n_real:,} available in {root}, tiled {samples / n_real:.4g}x "
                f"to the {samples:,} asked for (--samples)")
    elif samples < n_real:
        note = f"{kind}: the first {samples:,} of the {n_real:,} in {root}"
    else:
        note = f"{kind}: all {n_real:,} in {root}"
    return BenchData(dataset, X, y, X.numpy(), y.numpy(), samples, n_real, str(root), synthetic, note)


# ---------------------------------------------------------------- (a) the original's loop as written


def original_model():
    """The original workshop's ``NeuralNetwork``: Flatten, Linear(784,128) ReLU Linear(128,64) ReLU Linear(64,10)."""
    from .models import WorkshopMLP

    return WorkshopMLP()


def original_train(model, dataloader, loss_fn, optimizer, device):
    """The original workshop's ``train()``, line for line, except that the progress line it prints every
    100 batches is not printed (its ``loss.item()`` still runs)."""
    import torch

    model.train()
    running_loss = 0.0
    correct = 0
    total = 0
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)
        pred = model(X)
        loss = loss_fn(pred, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        _, predicted = torch.max(pred.data, 1)
        total += y.size(0)
        correct += (predicted == y).sum().item()
        if batch % 100 == 0:
            _ = f"Batch [{batch}/{len(dataloader)}] Loss: {loss.item():.4f}"
    return running_loss / len(dataloader), 100 * correct / total


def original_runner(bench_data: BenchData, batch_size: int, device, seed: int = 0):
    """``run_epoch(i)`` for (a): one epoch of ``original_train`` over a shuffling DataLoader."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader

    torch.manual_seed(seed)
    model = original_model().to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    loader = DataLoader(bench_data.dataset, batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    return lambda i: original_train(model, loader, loss_fn, optimizer, device)


# ---------------------------------------------------------------- (b) and (c): the course's loops


def torch_runner(bench_data: BenchData, batch_size: int, device, seed: int = 0, **fit_options):
    """``run_epoch(i)`` for (b): ``nnworkshop.training.fit(..., epochs=1)`` on the preloaded tensors.

    Each call is a whole ``fit`` call, so whatever ``fit`` does once per call is counted too.
    ``fit_options`` pass through (e.g. a compile or mixed-precision switch, where ``fit`` has one).
    """
    import torch

    from . import training
    from .models import MLP

    torch.manual_seed(seed)
    model = MLP(SIZES, activation="relu").to(device)
    train = (bench_data.X.to(device), bench_data.y.to(device))

    def run_epoch(i):
        return training.fit(model, train, epochs=1, optimizer="sgd", lr=LR, momentum=MOMENTUM,
                            batch_size=batch_size, device=device, seed=seed + i, progress=False, **fit_options)

    return run_epoch


def numpy_runner(bench_data: BenchData, batch_size: int, seed: int = 0):
    """``run_epoch(i)`` for (c): ``nnworkshop.scratch.fit(..., epochs=1)``, float32, SGD with momentum."""
    from . import scratch

    net = scratch.mlp(SIZES, "relu", seed=seed, dtype=np.float32)
    optimizer = scratch.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)  # kept across epochs, as in (a)
    X, y = bench_data.X_np, bench_data.y_np

    def run_epoch(i):
        return scratch.fit(net, X, y, epochs=1, batch_size=batch_size, optimizer=optimizer,
                           seed=seed + i, progress=False)

    return run_epoch


# ---------------------------------------------------------------- (d) the GEMM floor


def gemm_flops(samples: int, sizes=SIZES) -> int:
    """Floating-point operations of one epoch's matrix products: forward (every layer), backward
    (dW of every layer, dX of every layer but the first), 2 per multiply-add."""
    pairs = list(zip(sizes[:-1], sizes[1:]))
    per_sample = sum(2 * i * o for i, o in pairs) * 2 + sum(2 * i * o for i, o in pairs[1:])
    return per_sample * samples


def _floor_runner(X, weights, batch_size: int, empty, mm):
    """``run_epoch(i)``: per batch, the 3 forward and 5 backward products of the epoch, into buffers
    allocated once, with nothing else. ``empty(shape)`` allocates and ``mm(a, b, out)`` multiplies in
    the library being measured; the batches are slices (views) of the preloaded ``X``."""
    sizes = [weights[0].shape[1]] + [w.shape[0] for w in weights]
    grads = [empty(tuple(w.shape)) for w in weights]
    plan = batch_slices(len(X), batch_size)
    buffers = {}
    for s, e in plan:
        b = e - s
        if b not in buffers:
            buffers[b] = ([empty((b, o)) for o in sizes[1:]],  # layer outputs
                          [empty((b, i)) for i in sizes[1:-1]])  # input grads, layers 2..L
    last = len(weights) - 1

    def run_epoch(i):
        for s, e in plan:
            outs, dins = buffers[e - s]
            h = X[s:e]
            inputs = [h]
            for w, out in zip(weights, outs):  # forward: h @ W.T
                mm(h, w.T, out)
                h = out
                inputs.append(h)
            g = outs[-1]  # stands in for d loss / d logits: the values do not change the cost
            for layer in range(last, -1, -1):  # backward: dW = g.T @ x, dX = g @ W
                mm(g.T, inputs[layer], grads[layer])
                if layer > 0:
                    mm(g, weights[layer], dins[layer - 1])
                    g = dins[layer - 1]

    return run_epoch


def gemm_floor_torch_runner(X, batch_size: int, device, sizes=SIZES, seed: int = 0):
    """``run_epoch(i)`` for (d) in torch: the epoch's 8 matrix products per batch with ``torch.mm(out=...)``
    on ``device``."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    weights = [(torch.randn(o, i, generator=gen) * math.sqrt(2 / i)).to(device)
               for i, o in zip(sizes[:-1], sizes[1:])]
    return _floor_runner(X.to(device), weights, batch_size,
                         empty=lambda shape: torch.empty(shape, device=device),
                         mm=lambda a, b, out: torch.mm(a, b, out=out))


def gemm_floor_numpy_runner(X_np, batch_size: int, sizes=SIZES, seed: int = 0):
    """``run_epoch(i)`` for (d) in NumPy: the same 8 products per batch with ``np.matmul(out=...)``."""
    rng = np.random.default_rng(seed)
    weights = [(rng.standard_normal((o, i)) * math.sqrt(2 / i)).astype(np.float32)
               for i, o in zip(sizes[:-1], sizes[1:])]
    return _floor_runner(X_np, weights, batch_size,
                         empty=lambda shape: np.empty(shape, np.float32),
                         mm=lambda a, b, out: np.matmul(a, b, out=out))


# ---------------------------------------------------------------- import cost

_IMPORT_PROBE = """
import json, sys, time
t0 = time.perf_counter()
import torch, torchvision
t1 = time.perf_counter()
for name in sys.argv[1:]:
    __import__(name)
t2 = time.perf_counter()
import nnworkshop.scratch
print(json.dumps({"torch_torchvision_s": t1 - t0, "nnworkshop_s": t2 - t1}))
"""

_SCRATCH_PROBE = """
import json, sys, time
t0 = time.perf_counter()
import nnworkshop.scratch
t1 = time.perf_counter()
print(json.dumps({"scratch_s": t1 - t0, "torch_imported": "torch" in sys.modules}))
"""


def import_cost(repeats: int = 3, modules=IMPORT_MODULES) -> dict:
    """Seconds to ``import torch, torchvision`` and then, on top, ``import`` each of ``modules``, in fresh
    Python processes (median of ``repeats``); and whether ``import nnworkshop.scratch`` alone imports torch."""
    def probe(code, *args):
        out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    runs = [probe(_IMPORT_PROBE, *modules) for _ in range(repeats)]
    scratch_only = probe(_SCRATCH_PROBE)
    return {
        "torch_torchvision_s": statistics.median(r["torch_torchvision_s"] for r in runs),
        "nnworkshop_s": statistics.median(r["nnworkshop_s"] for r in runs),
        "modules": list(modules),
        "repeats": repeats,
        "scratch_alone_s": scratch_only["scratch_s"],
        "scratch_imports_torch": scratch_only["torch_imported"],
    }


# ---------------------------------------------------------------- the whole benchmark

CONTENDERS = {
    "a": "original: DataLoader, per-digit ToTensor+Normalize",
    "b": "nnworkshop.training.fit (preloaded tensors)",
    "c": "nnworkshop.scratch.fit (NumPy, float32)",
    "d": "GEMM floor: the epoch's matrix products only (torch)",
    "d_numpy": "GEMM floor in NumPy (its BLAS)",
}


def _openblas_calls(action: str) -> list:
    """NumPy's OpenBLAS ``get``/``set_num_threads`` functions, found in the libraries this process has loaded
    (Linux only; empty where none is found, e.g. NumPy built on Accelerate or MKL)."""
    import ctypes

    try:
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f if "openblas" in line.lower() and ".so" in line})
    except OSError:
        return []
    calls = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                fn = getattr(lib, f"{prefix}_{action}_num_threads{suffix}", None)
                if fn is not None:
                    calls.append(fn)
                    break
            else:
                continue
            break
    return calls


def numpy_blas_threads() -> int | None:
    """Threads NumPy's OpenBLAS uses (``None`` where it cannot be asked)."""
    calls = _openblas_calls("get")
    return int(calls[0]()) if calls else None


def set_threads(n: int) -> dict:
    """Use ``n`` threads in torch (``torch.set_num_threads``) and in NumPy's OpenBLAS; return ``_threads()``.

    At batch 64 the matrix products are small: on a 2-core machine shared with other work, threads
    that wait for each other can cost more than they save, which is what ``--threads 1`` shows.
    """
    import torch

    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"threads must be a whole number >= 1, got {n!r}.")
    torch.set_num_threads(n)
    for fn in _openblas_calls("set"):
        fn(n)
    return _threads()


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _threads() -> dict:
    import torch

    env = {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
           if k in os.environ}
    return {"cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "numpy_blas_threads": numpy_blas_threads(), "env": env}


def run_bench(samples: int = DEFAULT_SAMPLES, epochs: int = DEFAULT_EPOCHS, batch_size: int = DEFAULT_BATCH,
              device=None, root=None, synthetic: bool = False, seed: int = 0, only=None,
              imports: bool = True, log=None, fit_options=None, threads: int | None = None) -> dict:
    """Run the benchmark and return its results as a JSON-ready dict (``format_report`` prints it).

    ``only``: a subset of 'a', 'b', 'c', 'd', 'd_numpy' to run (default all). ``log(text)`` is told
    what is running. ``fit_options`` pass through to ``nnworkshop.training.fit`` for (b). ``threads``:
    set torch's and NumPy's BLAS thread counts first (default: leave them as they are).
    """
    import torch

    if threads is not None:
        set_threads(threads)

    from .device import explain_device
    from .validate import check_batch_size, check_epochs

    log = log or (lambda text: None)
    epochs = check_epochs(epochs)
    device_name, device_reason = explain_device(device)
    device = torch.device(device_name)
    only = list(CONTENDERS) if only is None else [k for k in CONTENDERS if k in set(only)]
    bench_data = load_data(samples, root=root, synthetic=synthetic, seed=seed)
    batch_size = check_batch_size(batch_size, bench_data.samples)
    log(f"data: {bench_data.note}")

    runners = {
        "a": lambda: original_runner(bench_data, batch_size, device, seed),
        "b": lambda: torch_runner(bench_data, batch_size, device, seed, **(fit_options or {})),
        "c": lambda: numpy_runner(bench_data, batch_size, seed),
        "d": lambda: gemm_floor_torch_runner(bench_data.X, batch_size, device, seed=seed),
        "d_numpy": lambda: gemm_floor_numpy_runner(bench_data.X_np, batch_size, seed=seed),
    }
    devices = {"a": device, "b": device, "c": "cpu", "d": device, "d_numpy": "cpu"}
    # The digits each contender holds: (a) the decoded uint8 images (a Subset only holds indices);
    # the others one float32 copy, (N, 784) (the NumPy arrays share the CPU tensors' memory).
    base = getattr(bench_data.dataset, "dataset", bench_data.dataset)
    uint8_mb = (base.data.numel() * base.data.element_size() + base.targets.numel() * 8) / 2**20
    float_mb = (bench_data.X_np.nbytes + bench_data.y_np.nbytes) / 2**20
    data_mb = {"a": uint8_mb, "b": float_mb, "c": float_mb, "d": float_mb, "d_numpy": float_mb}
    run_epochs = {key: runners[key]() for key in only}
    timings = time_interleaved(run_epochs, epochs, {key: devices[key] for key in only}, log=log)
    results = {}
    for key, timing in timings.items():
        results[key] = {"name": CONTENDERS[key], "device": str(devices[key]), **asdict(timing),
                        "median_s": timing.median, "best_s": timing.best, "data_mb": data_mb[key]}
    for key, r in results.items():
        r["speedup_vs_a"] = results["a"]["median_s"] / r["median_s"] if "a" in results else None
        r["over_floor"] = r["median_s"] / results["d"]["median_s"] if "d" in results else None
        r["over_numpy_floor"] = r["median_s"] / results["d_numpy"]["median_s"] if "d_numpy" in results else None
    flops = gemm_flops(bench_data.samples)
    for key in ("d", "d_numpy"):
        if key in results:
            results[key]["gflops_per_s"] = flops / results[key]["median_s"] / 1e9

    out = {
        "device": str(device),
        "device_reason": device_reason,
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else _cpu_name(),
        "versions": {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__},
        "threads": _threads(),
        "samples": bench_data.samples,
        "real_samples": bench_data.n_real,
        "tiled": bench_data.tiled,
        "synthetic": bench_data.synthetic,
        "data": bench_data.note,
        "batch_size": batch_size,
        "epochs_timed": epochs,
        "warmup_epochs": 1,
        "statistic": f"median of {epochs} timed epochs, after 1 warm-up epoch, contenders interleaved",
        "epoch_gemm_gflop": flops / 1e9,
        "results": results,
        "import_cost": None,
    }
    if imports:
        log("import cost: fresh Python processes ...")
        out["import_cost"] = import_cost()
    out["targets"] = check_targets(out)
    return out


def check_targets(out: dict) -> list[dict]:
    """Each target of issue 6 with the measured value and whether it is met (``None``: not measured here)."""
    results, rows = out["results"], []

    def row(name, measured, target, op):
        met = None if measured is None else (measured >= target if op == ">=" else measured <= target)
        rows.append({"target": name, "measured": measured, "goal": f"{op} {target:g}", "met": met})

    get = lambda k, f: results.get(k, {}).get(f)  # noqa: E731
    row("(b) speed-up over (a)", get("b", "speedup_vs_a"), TARGETS["b_speedup_vs_a"], ">=")
    # (c) is judged against the floor of the BLAS it calls (NumPy's), (b) against torch's: each ratio is
    # then the loop's own overhead. (c) / torch's floor is in the table too ("/ (d)").
    c_floor = get("c", "over_numpy_floor")
    row("(c) / (d_numpy) GEMM floor of its own BLAS", c_floor if c_floor is not None else get("c", "over_floor"),
        TARGETS["c_over_floor"], "<=")
    row("(b) / (d) GEMM floor", get("b", "over_floor"), TARGETS["b_over_floor"], "<=")
    if out["device"].startswith("cuda"):
        per_60k = get("b", "median_s")
        per_60k = None if per_60k is None else per_60k * 60_000 / out["samples"]
        row("GPU: (b) seconds per 60,000-digit epoch", per_60k, TARGETS["gpu_b_epoch_s"], "<=")
        row("GPU: (b) speed-up over (a)", get("b", "speedup_vs_a"), TARGETS["gpu_b_speedup_vs_a"], ">=")
    cost = out.get("import_cost")
    row("import nnworkshop on top of torch+torchvision (s)", cost and cost["nnworkshop_s"],
        TARGETS["import_overhead_s"], "<=")
    return rows


def _fmt(x, spec):
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def format_report(out: dict) -> str:
    """The benchmark's results as a printable table."""
    lines = [
        f"nnworkshop bench on {out['device']}: {out['device_name']} ({out['device_reason']})",
        f"  data: {out['data']}",
        f"  batch {out['batch_size']}, {out['statistic']}; threads: torch {out['threads']['torch_threads']}, "
        f"NumPy BLAS {out['threads']['numpy_blas_threads'] or '?'}, {out['threads']['cpu_count']} CPUs; torch {out['versions']['torch']}, numpy {out['versions']['numpy']}",
        "",
        f"  {'':<10}{'what':<55}{'s/epoch':>9}{'best':>8}{'vs (a)':>9}{'/ (d)':>8}{'peak mem':>18}{'data':>9}",
    ]
    for key, r in out["results"].items():
        mem = (f"{r['cuda_peak_mb']:.0f} MB cuda" if r.get("cuda_peak_mb") is not None
               else f"+{_fmt(r['rss_growth_mb'], '.0f')} rss/{_fmt(r['traced_peak_mb'], '.1f')} py")
        lines.append(
            f"  {'(' + key + ')':<10}{r['name'][:55]:<55}{_fmt(r['median_s'], '.4f'):>9}{_fmt(r.get('best_s'), '.4f'):>8}"
            f"{_fmt(r['speedup_vs_a'], '.1f'):>8}x{_fmt(r['over_floor'], '.2f'):>7}x{mem:>18}"
            f"{_fmt(r.get('data_mb'), '.1f'):>6} MB"
        )
    d = out["results"].get("d")
    lines.append("")
    lines.append("  s/epoch: median; best: the fastest epoch (the least disturbed by other work); ratios use the medians.")
    lines.append(f"  vs (a): how many times faster than the original's loop; / (d): how many times the GEMM floor "
                 f"({out['epoch_gemm_gflop']:.1f} GFLOP per epoch"
                 + (f", {d['gflops_per_s']:.1f} GFLOP/s in torch" if d else "")
                 + (f", {out['results']['d_numpy']['gflops_per_s']:.1f} in NumPy" if "d_numpy" in out["results"]
                    else "") + ").")
    lines.append("  peak mem: growth of the process's peak RSS during the warm-up epoch (MB) / peak of "
                 "Python+NumPy allocations traced by tracemalloc (MB; torch tensors are not traced).")
    lines.append("  data: the digits each one holds: (a) decoded uint8 images, converted per digit as fetched; "
                 "the others one float32 copy, converted once.")
    cost = out.get("import_cost")
    if cost:
        lines.append(f"  import: torch+torchvision {cost['torch_torchvision_s']:.2f} s, then "
                     f"{', '.join(cost['modules'])} +{cost['nnworkshop_s']:.3f} s "
                     f"(median of {cost['repeats']} fresh processes); nnworkshop.scratch alone "
                     f"{cost['scratch_alone_s']:.3f} s, imports torch: {cost['scratch_imports_torch']}")
    lines.append("")
    lines.append("  targets (issue 6):")
    for t in out["targets"]:
        verdict = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
        lines.append(f"    {t['target']:<52}{_fmt(t['measured'], '.3g'):>8}  (goal {t['goal']}): {verdict}")
    if out["synthetic"]:
        lines.append("")
        lines.append("  NOTE: synthetic stand-in digits (--synthetic), not MNIST.")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The ``nnworkshop bench`` command line."""
    p = argparse.ArgumentParser(
        prog="nnworkshop bench",
        description="Time one training epoch four ways on the same digits: (a) the original workshop's "
        "DataLoader loop, (b) nnworkshop.training.fit, (c) the NumPy net (nnworkshop.scratch), (d) the "
        "epoch's matrix products alone. Prints seconds per epoch (median), ratios, peak memory, the device.",
    )
    p.add_argument("--json", action="store_true", help="print the results as JSON only")
    p.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    p.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS,
                   help=f"timed epochs per contender, after 1 warm-up; the median is reported (default {DEFAULT_EPOCHS})")
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH, help=f"default {DEFAULT_BATCH}")
    p.add_argument("--samples", type=int, default=DEFAULT_SAMPLES,
                   help=f"digits per epoch (default {DEFAULT_SAMPLES:,}); the available digits are tiled "
                   "to this many when there are fewer, and the output says so")
    p.add_argument("--root", default=None, help="folder holding MNIST/raw (default: $NNWORKSHOP_DATA, then the cache)")
    p.add_argument("--synthetic", action="store_true",
                   help="use synthetic stand-in digits written to a temporary folder (for machines without MNIST)")
    p.add_argument("--only", default=None, help="comma-separated subset of a,b,c,d,d_numpy to run")
    p.add_argument("--no-imports", action="store_true", help="skip measuring the import cost")
    p.add_argument("--threads", type=int, default=None,
                   help="threads for torch and NumPy's BLAS (default: as they are, usually one per core)")
    p.add_argument("--seed", type=int, default=0)
    return p


def main(argv=None) -> int:
    """``nnworkshop bench [--json] [--device D] [--epochs N] [--batch-size B] [--samples N] [--synthetic]``."""
    args = build_parser().parse_args(argv)
    from .data import MNISTNotFoundError

    log = (lambda text: None) if args.json else (lambda text: print(text, file=sys.stderr, flush=True))
    only = None if args.only is None else [s.strip() for s in args.only.split(",") if s.strip()]
    if only is not None:
        unknown = [s for s in only if s not in CONTENDERS]
        if unknown:
            print(f"nnworkshop bench: unknown --only {','.join(unknown)}; valid: {','.join(CONTENDERS)}",
                  file=sys.stderr)
            return 2
    try:
        out = run_bench(samples=args.samples, epochs=args.epochs, batch_size=args.batch_size, device=args.device,
                        root=args.root, synthetic=args.synthetic, seed=args.seed, only=only,
                        imports=not args.no_imports, log=log, threads=args.threads)
    except MNISTNotFoundError as err:
        print(f"nnworkshop bench: {err}\nOn a machine without MNIST, 'nnworkshop bench --synthetic' "
              "times the same loops on synthetic stand-in digits.", file=sys.stderr)
        return 1
    except (ValueError, RuntimeError) as err:
        print(f"nnworkshop bench: {err}", file=sys.stderr)
        return 2
    print(json.dumps(out, indent=2) if args.json else format_report(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
