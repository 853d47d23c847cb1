"""The four ways ``nnworkshop bench`` spends one epoch on the same digits, each as a runner ``run(epoch)``.

- **(a) original**: the original workshop's loop as written (``DataLoader``, per-digit ``ToTensor`` + ``Normalize``).
- **(b) torch**: ``nnworkshop.training.fit`` on the digits preloaded once as a float32 tensor.
- **(c) numpy**: ``nnworkshop.scratch.fit``, the network written by hand, float32.
- **(d) GEMM floor**: only the epoch's matrix products, into preallocated float32 buffers (in torch and in NumPy).
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass

import numpy as np

from ..batches import batch_slices
from ..config import SIZES

LR, MOMENTUM = 0.01, 0.9  # the original workshop's optimizer settings
DEFAULT_SAMPLES = 60_000  # the full MNIST training set

CONTENDERS = {
    "a": "original: DataLoader, per-digit ToTensor+Normalize",
    "b": "nnworkshop.training.fit (preloaded tensors)",
    "c": "nnworkshop.scratch.fit (NumPy, float32)",
    "d": "GEMM floor: the epoch's matrix products only (torch)",
    "d_numpy": "GEMM floor in NumPy (its BLAS)",
}


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

    from .. import data

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

    from ..models import WorkshopMLP

    torch.manual_seed(seed)
    model = WorkshopMLP().to(device)  # the original workshop's NeuralNetwork
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

    from .. import training
    from ..models import MLP

    torch.manual_seed(seed)
    model = MLP(SIZES, activation="relu").to(device)
    train = (bench_data.X.to(device), bench_data.y.to(device))

    def run_epoch(i):
        return training.fit(model, train, epochs=1, optimizer="sgd", lr=LR, momentum=MOMENTUM,
                            batch_size=batch_size, device=device, seed=seed + i, progress=False, **fit_options)

    return run_epoch


def numpy_runner(bench_data: BenchData, batch_size: int, seed: int = 0):
    """``run_epoch(i)`` for (c): ``nnworkshop.scratch.fit(..., epochs=1)``, float32, SGD with momentum."""
    from .. import scratch

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
