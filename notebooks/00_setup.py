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
# # 00 · Setup: versions, device, data, seeds
#
# <!-- launch: written by `nnworkshop links` from pyproject.toml; edit there -->
# **Run it:** [Open in Colab](https://colab.research.google.com/github/nnworkshop/nnworkshop/blob/main/notebooks/00_setup.ipynb) · [Binder](https://mybinder.org/v2/gh/nnworkshop/nnworkshop/main?urlpath=lab%2Ftree%2Fnotebooks%2F00_setup.ipynb)
# <!-- /launch -->
#
# A two-minute check that this machine is ready for the course.
#
# **You will learn**
#
# - which versions of Python, NumPy and PyTorch you are running;
# - which device PyTorch will compute on, and why (a CUDA GPU, else Apple's MPS, else the CPU);
# - where the MNIST digits come from: downloaded once, or read from a local folder on an offline machine;
# - how to make runs reproducible with seeds;
# - the one switch that makes every notebook run small and fast (`NNWORKSHOP_QUICK=1`).
#
# Time: the last cell prints how long it took on your machine (plus a one-off ~12 MB download the first time,
# if MNIST is not there yet).
#
# **On Colab** (or any Python without the course installed), the set-up cell below installs the course from
# where it is published. With `make lab` it is already installed and that cell does nothing.

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
import platform
import time

import matplotlib
import numpy as np
import torch
import torchvision

import nnworkshop

notebook_start = time.perf_counter()
print(f"Python       {platform.python_version()}")
print(f"nnworkshop   {nnworkshop.__version__}")
print(f"NumPy        {np.__version__}")
print(f"PyTorch      {torch.__version__}")
print(f"torchvision  {torchvision.__version__}")
print(f"matplotlib   {matplotlib.__version__}")

# %% [markdown]
# ## Which device?
#
# PyTorch can compute on a CUDA GPU (NVIDIA), on Apple-silicon GPUs through the MPS backend, or on the CPU.
# `nnworkshop` picks the first one available in that order and tells you why. You can force a choice by
# setting the environment variable `NNWORKSHOP_DEVICE=cpu` (or `cuda`, `mps`) before starting Jupyter.
#
# No GPU? That is fine: every notebook in this course runs on a laptop CPU, and notebook 06 measures whether
# a framework is even faster than NumPy for networks this small.

# %%
from nnworkshop.device import explain_device, pick_device

name, reason = explain_device()
device = pick_device()
print(f"device: {device}")
print(f"why:    {reason}")

# %% [markdown]
# ## Quick mode
#
# Every notebook reads its sizes through `nnworkshop.config.pick(full, quick)`: the full course settings
# normally, smaller numbers (fewer epochs, fewer digits) when the environment variable `NNWORKSHOP_QUICK=1`
# is set. The code path is the same; only the numbers shrink, so far that they mean nothing: in quick mode
# every notebook says so in a banner near its top. CI uses it; in class, leave it unset.

# %%
from nnworkshop.config import pick, quick_mode, show_quick_mode_banner

show_quick_mode_banner()
print("quick mode is", "ON (NNWORKSHOP_QUICK)" if quick_mode() else "off: full course settings")
print("epochs for the MNIST MLP in this mode:", pick(5, 2))

# %% [markdown]
# ## Where the digits come from
#
# MNIST is 70,000 handwritten digits, 28×28 grey pixels each, in four files (training images and labels,
# test images and labels). `nnworkshop.data` looks for them in this order:
#
# 1. a `root=` folder passed in code;
# 2. the folder named by the environment variable **`NNWORKSHOP_DATA`**;
# 3. a per-user cache folder (`~/.cache/nnworkshop/data` on Linux and macOS).
#
# Under that folder the files sit in torchvision's layout, `MNIST/raw/train-images-idx3-ubyte` and so on.
# If they are missing, torchvision downloads them (about 12 MB). **Offline classroom:** copy the four files
# `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte`
# (the `.gz` versions work too) into `<folder>/MNIST/raw/` on each machine, and set
# `NNWORKSHOP_DATA=<folder>` before starting Jupyter.

# %%
from nnworkshop.data import describe_source, tilde

info = describe_source()
print(f"MNIST root: {tilde(info['root'])}  (chosen from: {info['source']})")
print(f"raw files:  {tilde(info['raw_folder'])}")
print(f"train set present: {info['train_present']}, test set present: {info['test_present']}")

# %% [markdown]
# Loading the two sets downloads them if they are missing (both the same way: asking for the training set
# only would leave a fresh machine without the test set).

# %%
from nnworkshop.data import mnist

train_set = mnist(train=True)
test_set = mnist(train=False)
print(f"{len(train_set):,} training digits, {len(test_set):,} test digits")
image, label = train_set[0]
print(f"one sample: image tensor of shape {tuple(image.shape)}, label {label}")
assert tuple(image.shape) == (1, 28, 28)

# %% [markdown]
# ## Reproducibility
#
# Neural networks start from random weights and see the data in a random order, so two runs differ unless
# the random number generators are **seeded**. `seed_everything(seed)` seeds Python, NumPy and PyTorch for
# the notebook's own cells, and returns a NumPy `Generator`; the library itself takes an explicit `seed=`
# argument everywhere instead of relying on global state.
#
# Same seed, same numbers (on the same machine and device; GPUs may differ in the last digits):

# %%
from nnworkshop.config import seed_everything

rng = seed_everything(42)
first = (rng.standard_normal(3), torch.randn(3))
rng = seed_everything(42)
second = (rng.standard_normal(3), torch.randn(3))
print(first)
print(second)
assert np.array_equal(first[0], second[0]) and torch.equal(first[1], second[1])

# %% [markdown]
# ## All set

# %%
print(f"this notebook ran in {time.perf_counter() - notebook_start:.0f} s on this machine")

# %% [markdown]
# The same checks are available from a terminal as `nnworkshop doctor` (or `make doctor`).
#
# **What to try next**
#
# - Restart the kernel with `NNWORKSHOP_DEVICE=cpu` set and rerun: the reason line changes.
# - Point `NNWORKSHOP_DATA` at an empty folder and rerun the loading cell: read the error message, it says
#   exactly which files to put where.
#
# Next: **01_numpy_from_scratch**, a neural network written by hand.
