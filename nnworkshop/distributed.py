"""Data-parallel training of the course's MLP with ``torch.nn.parallel.DistributedDataParallel``.

One worker function, two ways to start it:

- from Python or a notebook: ``train(sizes, (X, y), world_size=2, ...)`` spawns the
  processes (it works from Jupyter because the worker lives here, in an importable module);
- from a shell: ``torchrun --standalone --nproc_per_node=2 -m nnworkshop.distributed --out ddp.pt``.

Every process holds the whole model. Each global batch is the one ``training.fit``
would use (same ``nnworkshop.batches`` order for the same seed); process ``rank`` takes
its contiguous shard of it (``shard``), computes gradients on that shard, and DDP
averages the gradients of all processes with an all-reduce before each step, so every
process makes the same update as one process on the whole global batch. Backends: gloo
(CPU, any machine) and NCCL (one CUDA GPU per process).

Why shard by hand instead of torch's ``DistributedSampler``: the sampler deals whole samples
out to the processes with its own shuffle, so the global batches would not be ``training.fit``'s
and the run could not be checked against one process. The data reach the spawned processes
through a file they memory-map, not through shared memory, which containers often keep small.
"""

from __future__ import annotations

import argparse
import os
import socket
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import torch
from torch import nn

from .batches import batch_slices, epoch_orders
from .config import SIZES
from .history import History
from .models import MLP
from .validate import DivergenceError, check_batch_size, check_choice, check_epochs, check_lr, check_momentum

__all__ = ["train", "DDPResult", "shard", "make_model", "pick_backend", "check_world_size", "free_port",
           "check_port", "BACKENDS", "main"]

BACKENDS = ("gloo", "nccl")
HOST = "127.0.0.1"


@dataclass
class DDPResult:
    """What a data-parallel run returns: rank 0's final weights, its history and how it ran."""

    state_dict: dict
    history: History
    world_size: int
    backend: str
    threads: int
    startup_seconds: float = 0.0
    shards: list = field(default_factory=list)  # [(rank, first sample, stop)] of the first global batch


def shard(start: int, stop: int, rank: int, world_size: int) -> tuple[int, int]:
    """The ``[start, stop)`` positions of a global batch that process ``rank`` takes.

    Contiguous and as even as possible: the first ``(stop - start) % world_size`` ranks
    take one sample more. Together the ranks cover the batch exactly once.
    """
    n = stop - start
    base, extra = divmod(n, world_size)
    first = start + rank * base + min(rank, extra)
    return first, first + base + (1 if rank < extra else 0)


def make_model(sizes=SIZES, activation: str = "relu", seed: int = 0) -> MLP:
    """The course's ``MLP`` with weights drawn from ``seed`` (the same in every process)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MLP(sizes, activation=activation)


def check_world_size(world_size, n_samples: int, batch_size: int) -> int:
    """A whole number >= 1, and no more processes than the smallest global batch has samples."""
    if isinstance(world_size, bool) or not isinstance(world_size, int) or world_size < 1:
        raise ValueError(f"world_size (the number of processes) must be a whole number >= 1, got {world_size!r}.")
    smallest = min(e - s for s, e in batch_slices(n_samples, batch_size))
    if world_size > smallest:
        raise ValueError(
            f"world_size={world_size} processes, but a global batch has only {smallest} samples "
            f"({n_samples} samples in batches of {batch_size}): every process needs at least one sample of "
            f"every batch. Use world_size <= {smallest}, or a batch_size that leaves a larger last batch."
        )
    return world_size


def pick_backend(backend, world_size: int) -> str:
    """``backend`` checked against this machine; None picks NCCL with enough CUDA GPUs, else gloo."""
    if backend is None:
        usable = torch.cuda.is_available() and torch.cuda.device_count() >= world_size
        return "nccl" if usable and torch.distributed.is_nccl_available() else "gloo"
    backend = check_choice("backend", backend, BACKENDS)
    if backend == "nccl":
        if not torch.cuda.is_available():
            raise RuntimeError(
                "backend='nccl' needs CUDA GPUs, and this machine has none (torch.cuda.is_available() is False). "
                "Use backend='gloo', which runs on CPUs, or backend=None to pick for this machine."
            )
        if torch.cuda.device_count() < world_size:
            raise RuntimeError(
                f"backend='nccl' runs one process per GPU: world_size={world_size} but this machine has "
                f"{torch.cuda.device_count()} GPU(s). Use world_size <= {torch.cuda.device_count()}, or backend='gloo'."
            )
        if not torch.distributed.is_nccl_available():
            raise RuntimeError("this torch build has no NCCL. Use backend='gloo', or install a CUDA build of torch.")
    return backend


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def check_port(port) -> int:
    """``port`` if nothing listens on it on 127.0.0.1; a clear error naming the fix if it is taken."""
    if port is None:
        return free_port()
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"port must be a whole number in 1-65535 (or None to pick a free one), got {port!r}.")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError:
            raise RuntimeError(
                f"port {port} on {HOST} is in use (another run, or another program, holds it). "
                "Pass port=None to pick a free port, or choose another port."
            ) from None
    return port


def _threads(world_size: int) -> int:
    """Cores per process: the machine's cores shared out, so processes do not fight over them."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, cores // world_size)


# ----------------------------------------------------------------------------- the worker


def run_rank(rank: int, world_size: int, X: torch.Tensor, y: torch.Tensor, cfg: dict) -> History:
    """Train in process ``rank`` of an initialised process group; return the history (same on every rank).

    ``cfg``: sizes, activation, epochs, lr, momentum, batch_size, seed, threads, and optionally
    checkpoint (a path rank 0 writes after every epoch). Leaves the weights in ``cfg['model']``.
    """
    torch.set_num_threads(cfg["threads"])
    cuda = cfg["backend"] == "nccl"  # the caller has chosen this process's GPU (torch.cuda.set_device)
    device = torch.device("cuda", torch.cuda.current_device()) if cuda else torch.device("cpu")
    model = make_model(cfg["sizes"], cfg["activation"], cfg["seed"]).to(device)
    ddp = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if cuda else None)
    opt = torch.optim.SGD(ddp.parameters(), lr=cfg["lr"], momentum=cfg["momentum"])
    X, y = X.to(device), y.to(device)
    n, batch_size = len(X), cfg["batch_size"]
    slices = batch_slices(n, batch_size)
    orders = epoch_orders(n, cfg["seed"], True)
    loss_sum_fn = nn.CrossEntropyLoss(reduction="sum")
    history = History(label=f"DDP {cfg['backend']} x{world_size}", device=str(device))
    history.config = {k: cfg[k] for k in ("lr", "momentum", "batch_size", "epochs", "seed", "sizes")}
    history.config.update(optimizer="sgd", world_size=world_size, n_train=n, model="MLP")
    for epoch in range(1, cfg["epochs"] + 1):
        start = time.perf_counter()
        order = torch.from_numpy(next(orders)).to(device)
        totals = torch.zeros(2, dtype=torch.float64, device=device)  # loss sum, correct
        losses = []
        for s, e in slices:
            a, b = shard(s, e, rank, world_size)
            idx = order[a:b]
            out = ddp(X[idx])
            # Sum over my shard / global batch size, times world_size: DDP divides the summed
            # gradients by world_size, which leaves exactly the mean over the whole global batch.
            mine = loss_sum_fn(out, y[idx])
            loss = mine * (world_size / (e - s))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            totals[0] += mine.detach()
            losses.append(mine.detach())
            totals[1] += (out.argmax(1) == y[idx]).sum()
        torch.distributed.all_reduce(totals)  # the epoch's numbers, summed over processes
        loss_sum, correct = totals.tolist()
        if not torch.isfinite(torch.tensor(loss_sum)):  # the same sum in every process: all stop together
            finite = torch.isfinite(torch.stack(losses))
            first = int((~finite).nonzero()[0, 0]) if not bool(finite.all()) else len(losses) - 1
            raise DivergenceError(epoch, first + 1, float(losses[first]), cfg["lr"])
        history.append(loss_sum / n, 100.0 * correct / n, time.perf_counter() - start)
        if rank == 0 and cfg.get("checkpoint"):  # one writer: every process holds the same weights
            from .checkpoint import save

            save(cfg["checkpoint"], epoch=epoch, model=model, optimizer=opt, history=history, seed=cfg["seed"])
    cfg["model"] = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    return history


def _spawned(rank: int, world_size: int, port: int, cfg: dict) -> None:
    """Entry point of each spawned process: join the group, train, rank 0 writes the result."""
    X, y = torch.load(cfg["data"], mmap=True, weights_only=True)
    os.environ.update(MASTER_ADDR=HOST, MASTER_PORT=str(port))
    if cfg["backend"] == "nccl":
        torch.cuda.set_device(rank)
    torch.distributed.init_process_group(cfg["backend"], rank=rank, world_size=world_size,
                                         timeout=timedelta(seconds=cfg["timeout"]))
    try:
        history = run_rank(rank, world_size, X, y, cfg)
        if rank == 0:
            torch.save({"model": cfg["model"], "history": history.to_dict()}, cfg["out"])
        torch.distributed.barrier()  # leave together: a process that exits early can abort the others' gloo
    finally:
        torch.distributed.destroy_process_group()


def train(sizes, data, *, world_size: int = 2, epochs: int = 1, lr: float = 0.01, momentum: float = 0.0,
          batch_size: int = 64, seed: int = 0, activation: str = "relu", backend=None, port=None,
          threads=None, checkpoint=None, timeout: float = 600.0) -> DDPResult:
    """Train ``MLP(sizes)`` on ``data = (X, y)`` with ``world_size`` processes; return rank 0's result.

    ``X``: (N, 784) float inputs, ``y``: (N,) int64 labels (e.g. ``nnworkshop.data.mnist_tensors()``).
    SGD with ``lr``/``momentum`` on the batches ``training.fit`` would draw with ``seed``.
    ``backend``: "gloo", "nccl" or None (pick). ``port``: where the processes meet on
    127.0.0.1 (None: a free one). ``threads``: torch threads per process (None: cores / world_size).
    ``checkpoint``: a path rank 0 writes after every epoch. ``timeout``: seconds before a hung
    run is stopped with an error. The processes are started with "spawn" (fresh interpreters):
    from a notebook that just works; in a script, call ``train`` under ``if __name__ == "__main__":``.
    """
    X, y = data
    epochs, lr, momentum = check_epochs(epochs), check_lr(lr), check_momentum(momentum)
    batch_size = check_batch_size(batch_size, len(X))
    world_size = check_world_size(world_size, len(X), batch_size)
    backend = pick_backend(backend, world_size)
    port = check_port(port)
    threads = _threads(world_size) if threads is None else int(threads)
    import torch.multiprocessing as mp

    with tempfile.TemporaryDirectory(prefix="nnworkshop-ddp-") as tmp:
        cfg = dict(sizes=tuple(sizes), activation=activation, epochs=epochs, lr=lr, momentum=momentum,
                   batch_size=batch_size, seed=seed, backend=backend, threads=threads, timeout=timeout,
                   checkpoint=None if checkpoint is None else str(checkpoint), out=str(Path(tmp) / "rank0.pt"),
                   data=str(Path(tmp) / "data.pt"))
        torch.save((X.detach().cpu(), y.detach().cpu()), cfg["data"])
        start = time.perf_counter()
        ctx = mp.start_processes(_spawned, args=(world_size, port, cfg), nprocs=world_size,
                                 join=False, start_method="spawn")
        deadline = time.monotonic() + timeout
        while not _joined(ctx):
            if time.monotonic() > deadline:
                for p in ctx.processes:
                    if p.is_alive():
                        p.kill()
                raise TimeoutError(f"the {world_size} processes did not finish within {timeout:g} s and were "
                                   "stopped. Raise timeout=, or train for fewer epochs.")
        wall = time.perf_counter() - start
        out = torch.load(cfg["out"], weights_only=True)
    history = History(**out["history"])
    first = batch_slices(len(X), batch_size)[0]
    return DDPResult(out["model"], history, world_size, backend, threads,
                     startup_seconds=max(0.0, wall - history.total_seconds),
                     shards=[(r, *shard(*first, r, world_size)) for r in range(world_size)])


def _joined(ctx) -> bool:
    """Whether all processes ended; a process's error is raised here with its own message on top."""
    import torch.multiprocessing as mp

    try:
        return ctx.join(timeout=0.5)
    except mp.ProcessRaisedException as err:
        last = err.msg.strip().splitlines()[-1]
        raise RuntimeError(f"training process {err.error_index} failed: {last}") from err
    except mp.ProcessExitedException as err:
        raise RuntimeError(
            f"training process {err.error_index} ended abruptly ({err}); its own message, if any, is printed "
            "above. If the machine ran out of memory, train a smaller network or use fewer processes."
        ) from err


# ----------------------------------------------------------------------------- torchrun


def main(argv=None) -> None:
    """``torchrun --standalone --nproc_per_node=N -m nnworkshop.distributed [options]``: train on MNIST."""
    parser = argparse.ArgumentParser(prog="python -m nnworkshop.distributed",
                                     description="Data-parallel MLP training; start it with torchrun.")
    parser.add_argument("--sizes", default="784,128,64,10", help="layer widths, comma-separated")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--momentum", type=float, default=0.0)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-train", type=int, default=None, help="use the first N training digits")
    parser.add_argument("--root", default=None, help="MNIST folder (default: NNWORKSHOP_DATA or the cache)")
    parser.add_argument("--backend", choices=BACKENDS, default=None)
    parser.add_argument("--checkpoint", default=None, help="rank 0 writes a checkpoint here every epoch")
    parser.add_argument("--out", default="ddp_result.pt", help="rank 0 saves weights and history here")
    args = parser.parse_args(argv)
    if "RANK" not in os.environ:
        parser.error("start me with torchrun, e.g. torchrun --standalone --nproc_per_node=2 -m nnworkshop.distributed")
    from .data import mnist_tensors

    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    X, y = mnist_tensors(train=True, root=args.root, limit=args.n_train)
    check_world_size(world_size, len(X), check_batch_size(args.batch_size, len(X)))
    backend = pick_backend(args.backend, int(os.environ.get("LOCAL_WORLD_SIZE", world_size)))
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    torch.distributed.init_process_group(backend)
    cfg = dict(sizes=tuple(int(s) for s in args.sizes.split(",")), activation="relu", epochs=args.epochs,
               lr=args.lr, momentum=args.momentum, batch_size=args.batch_size, seed=args.seed, backend=backend,
               threads=_threads(int(os.environ.get("LOCAL_WORLD_SIZE", world_size))), checkpoint=args.checkpoint)
    try:
        history = run_rank(rank, world_size, X, y, cfg)
        if rank == 0:
            torch.save({"model": cfg["model"], "history": history.to_dict()}, args.out)
            print(f"{world_size} processes ({backend}): {history!r}; weights saved to {args.out}")
        torch.distributed.barrier()
    finally:
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
