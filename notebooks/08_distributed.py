# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
#     notebook_metadata_filter: kernelspec,jupytext
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 08 · Beyond one device: data-parallel training, checkpoints, TensorBoard
#
# <!-- launch: written by `nnworkshop links` from pyproject.toml; edit there -->
# **Run it:** [Open in Colab](https://colab.research.google.com/github/nnworkshop/nnworkshop/blob/main/notebooks/08_distributed.ipynb) · [Binder](https://mybinder.org/v2/gh/nnworkshop/nnworkshop/main?urlpath=lab%2Ftree%2Fnotebooks%2F08_distributed.ipynb)
# <!-- /launch -->
#
# Real networks train on several GPUs or machines, for hours, and people watch the curves while they do.
# This notebook shows the three tools that make that work, on the course's MLP and on whatever machine you
# have: a laptop CPU is enough.
#
# **You will learn**
#
# - what `DistributedDataParallel` (DDP) does: every process holds the whole model, takes its **shard** of
#   each batch, and the gradients are **averaged** across processes before each step;
# - that this gives *the same weights* as one process on the same batches (we check it, to float precision);
# - how to start the same code from a notebook and from the shell with `torchrun`, and on a cluster;
# - what two processes buy on *your* machine, measured, and why;
# - checkpoints that resume a run exactly, and TensorBoard curves.
#
# Time: much of it goes into starting processes; the last cell prints the total on your machine.

# %%
# Set-up (the same in every notebook): installs the course where it is missing, e.g. on Colab.
import importlib.util, sys  # noqa: E401
COURSE = "git+https://github.com/nnworkshop/nnworkshop@main"
if importlib.util.find_spec("nnworkshop") is None:
    import subprocess
    print(f"nnworkshop is not installed here: pip install {COURSE} ...")
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", COURSE], capture_output=True, text=True)
    if pip.returncode != 0:  # say what failed and what to do, then stop the notebook here
        class CourseNotInstalled(Exception):
            _render_traceback_ = lambda self: [str(self)]  # noqa: E731 - Jupyter shows this message alone
        why = (pip.stderr.strip().splitlines() or ["pip gave no reason"])[-1][:300]
        raise CourseNotInstalled(
            f"The course could not be installed: {why}\n"
            "Check the internet connection (pip fetches the course from GitHub with git), then run this cell again."
            f"\nOr install it by hand: pip install {COURSE}\nOr, on your own machine: clone the course and run `make lab`.")
    importlib.invalidate_caches()
    print("nnworkshop installed.")
if "google.colab" in sys.modules:
    print("Colab: Runtime > Change runtime type > GPU makes training use CUDA.")
    print("MNIST (12 MB) downloads on first use.")

# %%
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from nnworkshop import checkpoint, data, distributed, speed
from nnworkshop.batches import batch_slices, epoch_orders
from nnworkshop.config import pick
from nnworkshop.models import MLP
from nnworkshop.training import fit

notebook_start = time.perf_counter()

work = Path(tempfile.mkdtemp(prefix="nnworkshop-08-"))  # checkpoints and results of this notebook
print(f"torch {torch.__version__}; {os.cpu_count()} CPU core(s); CUDA GPUs: {torch.cuda.device_count()}")
print(f"files of this notebook go to {work}")

# %%
from nnworkshop.config import show_quick_mode_banner

show_quick_mode_banner()

# %% [markdown]
# ## 1. The data and the settings
#
# The training digits as one tensor (quick mode keeps the first 2,000), and the settings every run below
# shares: plain SGD with momentum, batches of 64, seed 0.

# %%
X, y = data.mnist_tensors(train=True, limit=pick(None, 2000))
settings = dict(lr=0.05, momentum=0.9, batch_size=64, seed=0)
epochs = pick(3, 2)
sizes = (784, 128, 64, 10)
n_params = sum(p.numel() for p in MLP(sizes).parameters())
print(f"{len(X):,} training digits; MLP {sizes}: {n_params:,} parameters; {epochs} epochs; {settings}")

# %% [markdown]
# ## 2. What one step of DDP does
#
# One process (notebook 04) takes a **global batch** of 64 digits, computes the mean loss, its gradient, and
# steps. With DDP and *P* processes, each process takes its own contiguous part of the *same* global batch
# (`distributed.shard`), and computes the gradient of its part. DDP then **all-reduces** the gradients: every
# process sends its gradient and receives the average of all of them, while backward is still running. Every
# process then makes the same optimizer step with the same averaged gradient, so the model copies never drift
# apart.
#
# One detail makes the average exact: the last batch of an epoch can be smaller and split unevenly, so each
# process scales its summed loss by *P* / (global batch size). Averaging over *P* processes then leaves exactly
# the mean over the global batch, the number one process would compute.
#
# The batch order is the course's (`nnworkshop.batches`, as in `training.fit`), so both runs see the same
# global batches. Here is how two processes split the first global batch of the first epoch:

# %%
order = next(epoch_orders(len(X), settings["seed"]))
first = batch_slices(len(X), settings["batch_size"])[0]
for rank in range(2):
    a, b = distributed.shard(*first, rank, 2)
    print(f"process {rank}: positions {a}–{b - 1} of the batch → digits #{order[a:b][:4].tolist()} … "
          f"({b - a} digits, labels {y[order[a:b]][:8].tolist()} …)")

# %% [markdown]
# ## 3. Two processes, started from this notebook
#
# `distributed.train` starts the processes (with `torch.multiprocessing`; the worker function lives in the
# package, which is what makes starting processes from Jupyter work), lets them meet on a free port of this
# machine, and returns the weights of process 0. The backend is **gloo** on CPUs and **NCCL** when there is
# one CUDA GPU per process; `backend=None` picks. Process 0 also writes a checkpoint after every epoch (only
# one process writes: they all hold the same weights).

# %%
ddp = distributed.train(sizes, (X, y), world_size=2, epochs=epochs, checkpoint=work / "ddp.pt", **settings)
print(f"backend {ddp.backend}, {ddp.world_size} processes, {ddp.threads} thread(s) each; "
      f"starting them took {ddp.startup_seconds:.1f} s")
print(ddp.history)
print(f"process 0's checkpoint {work / 'ddp.pt'} holds epoch {checkpoint.read(work / 'ddp.pt')['epoch']}")

# %% [markdown]
# Now the same training in one ordinary process: `training.fit` on the same global batches, from the same
# initial weights (`distributed.make_model` draws them from the seed, as each DDP process did).

# %%
single = distributed.make_model(sizes, seed=settings["seed"])
h_single = fit(single, (X, y), epochs=epochs, optimizer="sgd", device="cpu", progress=False, **settings)
start = distributed.make_model(sizes, seed=settings["seed"]).state_dict()
diff = max((single.state_dict()[k] - v).abs().max().item() for k, v in ddp.state_dict.items())
moved = max((single.state_dict()[k] - v).abs().max().item() for k, v in start.items())
print(f"largest weight difference, DDP x2 vs one process: {diff:.2e} (bit for bit equal: {diff == 0})")
print(f"(for scale: training moved some weight by {moved:.2f})")
print(f"train loss per epoch, DDP: {np.round(ddp.history.train_loss, 5).tolist()}")
print(f"train loss per epoch, one: {np.round(h_single.train_loss, 5).tolist()}")
assert diff < 1e-4, f"DDP and single-process weights differ by {diff}"

# %% [markdown]
# The assert holds the two runs to 1e-4; the printed difference is how close they really are. Where they are
# not bit for bit equal, the reason is rounding: each process sums the gradient over its half of the batch and
# the halves are added afterwards, a different order of float32 additions than one process summing the whole
# batch.

# %% [markdown]
# ## 4. The same worker, started by `torchrun`
#
# Outside a notebook, the tool for starting *P* processes is `torchrun`. It sets `RANK`, `WORLD_SIZE` and the
# meeting point in each process's environment; `python -m nnworkshop.distributed` reads them and runs the
# same worker. On one machine:
#
# ```bash
# torchrun --standalone --nproc_per_node=2 -m nnworkshop.distributed --epochs 3 --out ddp_result.pt
# ```
#
# We run it now (on the same digits and settings) and compare its weights with the run above.

# %%
out = work / "torchrun_result.pt"
cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
       "-m", "nnworkshop.distributed", "--epochs", str(epochs), "--lr", str(settings["lr"]),
       "--momentum", str(settings["momentum"]), "--seed", str(settings["seed"]),
       "--n-train", str(len(X)), "--backend", ddp.backend, "--out", str(out)]
print("torchrun " + " ".join(cmd[3:]))
done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
print(done.stdout.strip() or done.stderr[-2000:])
assert done.returncode == 0, done.stderr[-2000:]
via_torchrun = torch.load(out, weights_only=True)["model"]
same = max((via_torchrun[k] - v).abs().max().item() for k, v in ddp.state_dict.items())
print(f"largest weight difference, torchrun vs notebook launch: {same:.2e}")
assert same < 1e-4, f"torchrun and the notebook launch differ by {same}"

# %% [markdown]
# **Several machines** (not run here). Each machine runs the same `torchrun` line; they find each other
# through one of them, the *rendezvous endpoint*. With 2 machines of 4 GPUs each, on every machine:
#
# ```bash
# torchrun --nnodes=2 --nproc_per_node=4 --rdzv_backend=c10d --rdzv_endpoint=HEAD_HOST:29500 \
#          -m nnworkshop.distributed --epochs 5 --out ddp_result.pt
# ```
#
# `HEAD_HOST` is any one of the machines that the others can reach; 8 processes then train together,
# NCCL carries the all-reduce between GPUs and across the network. On a Slurm cluster, `srun` starts that line
# once per machine, and the job's first node is the endpoint:
#
# ```bash
# srun --nodes=2 --ntasks-per-node=1 --gpus-per-node=4 torchrun --nnodes=2 --nproc_per_node=4 \
#      --rdzv_backend=c10d --rdzv_endpoint=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1):29500 \
#      -m nnworkshop.distributed --epochs 5 --out ddp_result.pt
# ```
#
# Each machine reads MNIST itself, so every machine needs the files (`NNWORKSHOP_DATA` on a shared drive).

# %% [markdown]
# ## 5. What two processes buy here: measured
#
# Time per epoch for our MLP and for a much wider one, in three ways of using this machine's cores:
#
# - **1 process, *t* threads**, with *t* = half the cores (1 on a 2-core machine): the baseline;
# - **1 process, all cores**: torch's usual way on a CPU, the matrix products split over threads;
# - **2 processes, *t* threads each**: DDP; each half of the cores works on half of every batch.
#
# All three run the same code (`distributed.train`); starting the processes is not counted, and the timing
# uses at most the first 12,000 digits so the wide network stays quick. Other programs running on this machine
# change the numbers (the load average is printed): run the cell twice to see how much they move.

# %%
def seconds_per_epoch(net_sizes, world_size, threads, n_epochs):
    """Seconds of each epoch of a DDP run on the timing digits (starting the processes not counted)."""
    run = distributed.train(net_sizes, (X_time, y_time), world_size=world_size, threads=threads,
                            epochs=n_epochs, **settings)
    return run.history.seconds


n_time = min(len(X), pick(12000, 2000))
X_time, y_time = X[:n_time], y[:n_time]
cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
wide = (784, 1024, 1024, 10)
t = max(1, cores // 2)
ways = [(f"1 process, {t} thread(s)", 1, t), (f"1 process, {cores} threads", 1, cores),
        (f"2 processes, {t} thread(s) each", 2, t)]
print(f"timing on {n_time:,} digits, {cores} core(s)")
print(speed.busy() or "load before timing: fine")
times = {}
for net in (sizes, wide):
    for name, world_size, threads in ways:
        times[net, name] = seconds_per_epoch(net, world_size, threads, pick(3, 2))
        print(f"MLP {net}, {name}: {np.median(times[net, name]):.2f} s/epoch (median of {len(times[net, name])})")
print(f"load average after: {os.getloadavg()[0]:.1f}\n")


steps = len(batch_slices(n_time, settings["batch_size"]))
for net in (sizes, wide):
    params = sum(p.numel() for p in MLP(net).parameters())
    base, threaded, ddp2 = (times[net, name] for name, _, _ in ways)
    print(f"MLP {net}, {params:,} parameters; each of the {steps} steps all-reduces {params * 4 / 1e6:.2f} MB")
    print(f"   against 1 process with {t} thread(s) (2x faster would be perfect): "
          + speed.race("1 process", base, "2 processes", ddp2).sentence())
    print(f"   against 1 process with {cores} threads: " + speed.race("1 process", threaded, "2 processes", ddp2).sentence())

# %% [markdown]
# **What decides these numbers.** Two processes on one machine use the same cores that one process could use
# as threads, so against "1 process, all cores" DDP brings no extra hardware: at best it splits the work in a
# way that wastes less. What DDP adds is work of its own: every step, each process sends its whole gradient to
# the other and waits for the average (the all-reduce, in MB above), and each runs its own Python loop. For a
# small network a step is so short that this overhead is a large part of it; a wider network does much more
# arithmetic per step for the same number of all-reduces, so the overhead weighs less. Threads have their own
# cost: they wait for each other at every matrix product, which hurts most when other programs keep the
# cores busy. DDP pays off when each process brings hardware of its own: one GPU per process, or several
# machines.

# %%
if torch.cuda.is_available():
    gpu = distributed.train(sizes, (X, y), world_size=1, epochs=epochs, backend="nccl", **settings)
    print(f"1 GPU ({torch.cuda.get_device_name(0)}), NCCL: {np.median(gpu.history.seconds):.2f} s/epoch")
else:
    print("No CUDA GPU on this machine: GPU times not measured. On a GPU machine this cell times one GPU.")

# %% [markdown]
# ## 6. Checkpoints that resume exactly
#
# A long run must survive a crash or a time limit. `fit(..., checkpoint=PATH)` writes after every epoch the
# model's weights, the optimizer's state (momentum buffers), the epoch, the history and the random state.
# Writing is atomic: the new file is written next to the old one and then renamed over it, so a crash while
# writing leaves the previous checkpoint intact. `fit(..., resume=PATH, epochs=N)` continues that run up to *N*
# epochs in total.
#
# The test: 3 epochs, stop, resume for 2 more, against 5 epochs in one go. The network has dropout, so the
# random state must be restored too, not just the weights.

# %%
ckpt_settings = dict(optimizer="sgd", lr=0.05, momentum=0.9, batch_size=64, seed=1, device="cpu",
                     progress=False)


def dropout_mlp():
    torch.manual_seed(0)
    return MLP(sizes, dropout=0.2)


whole = dropout_mlp()
h5 = fit(whole, (X, y), epochs=5, **ckpt_settings)
part = dropout_mlp()
fit(part, (X, y), epochs=3, checkpoint=work / "run.pt", **ckpt_settings)
resumed = dropout_mlp()  # a fresh model, as after a restart: everything comes from the file
h3_2 = fit(resumed, (X, y), epochs=5, resume=work / "run.pt", **ckpt_settings)
same_weights = all(torch.equal(a, b) for a, b in zip(whole.state_dict().values(), resumed.state_dict().values()))
print(f"3 + 2 epochs, weights identical to 5 in one go: {same_weights}")
print(f"train loss, 5 in one go: {np.round(h5.train_loss, 5).tolist()}")
print(f"train loss, 3 + 2:       {np.round(h3_2.train_loss, 5).tolist()}")
assert same_weights and h3_2.train_loss == h5.train_loss and h3_2.train_acc == h5.train_acc

# %% [markdown]
# ## 7. Watching runs in TensorBoard
#
# TensorBoard is the field's usual dashboard for training curves. `TensorBoardLogger` is a `fit` callback that
# writes each epoch's loss, accuracy and learning rate, and at the end the run's settings (the HPARAMS tab)
# with its final numbers. `write_history` writes any finished run the same way (a NumPy run, or a run from
# notebook 05's dashboard: `write_history(run.history, ...)`).
#
# Comparing two learning rates is a choice, so the runs are scored on validation digits carved out of the
# training set, and TensorBoard files them under `accuracy/validation`: the test digits stay for the one final
# measurement, as in notebooks 04, 05 and 07.

# %%
from nnworkshop.splits import validation_split
from nnworkshop.tensorboard_log import TensorBoardLogger

log_root = work / "runs"
train_part, val = validation_split(X, y, n_val=len(X) // 10)  # two learning rates compared: on validation digits
for lr in (0.01, 0.05):
    model = distributed.make_model(sizes, seed=0)
    logger = TensorBoardLogger(log_root / f"sgd_lr{lr}", hparams={"sizes": str(sizes)})
    h = fit(model, train_part, val=val, epochs=epochs, optimizer="sgd", lr=lr, momentum=0.9, seed=0, progress=False,
            callbacks=[logger])
    print(f"lr={lr}: validation accuracy {h.val_acc[-1]:.2f}% → logged to {log_root / f'sgd_lr{lr}'}")
print(f"\nTo look at them, in a terminal:   tensorboard --logdir {log_root}")
print(f"or in this notebook:              %load_ext tensorboard  then  %tensorboard --logdir {log_root}")

# %% [markdown]
# What TensorBoard will show is what is in the event files; reading one back:

# %%
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

events = EventAccumulator(str(log_root / "sgd_lr0.05"))
events.Reload()
print("tags:", sorted(events.Tags()["scalars"]))
print("accuracy/validation per epoch:", [round(e.value, 2) for e in events.Scalars("accuracy/validation")])

# %%
print(f"this notebook ran in {time.perf_counter() - notebook_start:.0f} s on this machine")

# %% [markdown]
# ## What to remember
#
# - DDP = the whole model in every process, a shard of every batch in each, gradients averaged by an
#   all-reduce: the same updates as one process on the whole batch (section 3 measured how close).
# - The same worker runs from a notebook, from `torchrun`, and on a cluster; only the launcher changes.
# - More processes help only when they bring more hardware; section 5 measured what they bring here.
# - `checkpoint=` / `resume=` make a long run restartable without changing its result.
