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
# # 03 · MNIST: the handwritten digits
#
# <!-- launch: written by `nnworkshop links` from pyproject.toml; edit there -->
# **Run it:** [Open in Colab](https://colab.research.google.com/github/nnworkshop/nnworkshop/blob/main/notebooks/03_mnist.ipynb) · [Binder](https://mybinder.org/v2/gh/nnworkshop/nnworkshop/main?urlpath=lab%2Ftree%2Fnotebooks%2F03_mnist.ipynb)
# <!-- /launch -->
#
# XOR had four samples. Real problems have thousands. MNIST is the classic first real dataset: 28×28
# grey-scale images of handwritten digits 0–9, each labelled with the digit it shows.
#
# **You will learn**
#
# - how `torchvision` loads MNIST as a `Dataset` of `(image, label)` pairs;
# - what the normalisation `Normalize((0.1307,), (0.3081,))` does and where the two numbers come from;
# - what the digits look like, and whether the ten classes are balanced;
# - how the course turns the whole set into one tensor (or NumPy array) for fast training.
#
# Time: the last code cell prints how long it took on your machine.

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
# %matplotlib inline
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from torchvision import datasets

from nnworkshop import data, plots

notebook_start = time.perf_counter()

# %% [markdown]
# ## Loading with torchvision
#
# `nnworkshop.data.mnist(train)` is `torchvision.datasets.MNIST` with the course's data folder
# (see notebook 00) and the standard MNIST transform: `ToTensor()` then `Normalize`.

# %%
train_set = data.mnist(train=True)
test_set = data.mnist(train=False)
print(f"{type(train_set).__name__}: {len(train_set):,} training digits, {len(test_set):,} test digits")
print("transform applied to each image:", test_set.transform)

# %%
image, label = train_set[0]
print(f"image: {type(image).__name__} of shape {tuple(image.shape)} and dtype {image.dtype}; label: {label}")
assert tuple(image.shape) == (1, 28, 28) and image.dtype == torch.float32

# %% [markdown]
# ## Normalisation, explained
#
# The files store each pixel as a byte: 0 where there is no ink (the background) up to 255 where the ink is
# fullest. (The grids in this course draw ink dark on a light page, matplotlib's `gray_r` colour map, the way a
# digit looks on paper; a plain `gray` map would show the same numbers as light ink on black.) `ToTensor()` divides by 255,
# giving values in $[0, 1]$. Then `Normalize(mean, std)` computes $(x - \text{mean}) / \text{std}$ for every
# pixel. The numbers 0.1307 and 0.3081 are the mean and standard deviation of all pixels of the 60,000 MNIST
# training images, so after normalisation the pixels have mean ≈ 0 and standard deviation ≈ 1.
#
# Why bother? Inputs centred on zero with unit spread keep the first layer's weighted sums in a sensible range
# for the initialisations we use (notebook 01 showed how much the starting scale matters), and make one
# learning rate work for all weights.
#
# Let's measure it on the raw bytes of the digits we have:

# %%
raw = datasets.MNIST(str(data.resolve_root()), train=True, download=False)  # no transform: raw bytes
pixels = raw.data.float() / 255
print(f"{len(raw):,} training images; pixel mean {pixels.mean():.4f}, std {pixels.std():.4f}")
print(f"the course uses MEAN = {data.MEAN}, STD = {data.STD} (the published values for the full 60,000)")

X_train, y_train = data.mnist_tensors(train=True)
print(f"after normalisation: mean {X_train.mean():.3f}, std {X_train.std():.3f}")
if not data.standin_digits():  # only the test harness's synthetic stand-in digits have other statistics
    assert abs(pixels.mean() - data.MEAN) < 0.01 and abs(pixels.std() - data.STD) < 0.01

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3))
axes[0].hist(pixels[:1000].ravel().numpy(), bins=50)
axes[0].set_title("pixels after ToTensor(): [0, 1]")
axes[1].hist(X_train[:1000].ravel().numpy(), bins=50, color="C1")
axes[1].set_title("after Normalize: mean 0, std 1")
for ax in axes:
    ax.set_yscale("log")
    ax.set_xlabel("pixel value")
    ax.set_ylabel("number of pixels (log scale)")
plt.show()

# %%
print(f"{(pixels == 0).float().mean():.0%} of all pixels are background (exactly 0), "
      f"{(pixels == 1).float().mean():.1%} full ink (exactly 1), the rest stroke edges in between")

# %% [markdown]
# Most pixels are background (the tall bar on the left); the core of each stroke is the bar at the right end
# (full ink), and the stroke edges are the values in between (the shares are printed above).
#
# ## What the digits look like

# %%
plots.samples(train_set, n=16)

# %% [markdown]
# ## Are the classes balanced?
#
# If one digit made up half the data, a network could score 50 % by always guessing it. Counting the labels:

# %%
y_test = test_set.targets
train_counts = torch.bincount(y_train, minlength=10)
test_counts = torch.bincount(y_test, minlength=10)
for digit in range(10):
    print(f"digit {digit}: {train_counts[digit]:>5} train ({train_counts[digit] / len(y_train):5.1%}), "
          f"{test_counts[digit]:>5} test ({test_counts[digit] / len(y_test):5.1%})")
assert train_counts.sum() == len(y_train) and (train_counts > 0).all()
shares = torch.cat([train_counts / len(y_train), test_counts / len(y_test)]) * 100
print(f"every digit's share lies between {shares.min():.1f} % and {shares.max():.1f} %; always guessing the "
      f"most common training digit would score {test_counts[train_counts.argmax()] / len(y_test):.1%} on the test set")

# %%
fig, ax = plt.subplots(figsize=(9, 3), layout="constrained")
width = 0.4
ax.bar(np.arange(10) - width / 2, train_counts / len(y_train) * 100, width, label="train")
ax.bar(np.arange(10) + width / 2, test_counts / len(y_test) * 100, width, label="test")
ax.axhline(10, color="gray", ls=":", label="perfectly balanced (10 %)")
ax.set_xticks(range(10))
ax.set_xlabel("digit")
ax.set_ylabel("share of the set (%)")
fig.legend(loc="outside right upper")  # beside the axes: it covers no bar
plt.show()

# %% [markdown]
# Every share is close to the 10 % of a perfectly balanced set (the range is printed above), so accuracy is
# a fair summary, and always guessing the most common digit scores barely more than a tenth.
#
# ## The whole set as one tensor
#
# A `DataLoader` fetches images one by one and applies the transform each time: fine for big datasets on
# disk, but MNIST's tiny images fit in memory many times over. The course's training loops instead
# hold the whole normalised set as one tensor and slice mini-batches out of it (measured below). `mnist_tensors` gives the
# images flattened to 784 numbers per digit (the input of a fully connected network); `mnist_arrays` gives
# the same as NumPy arrays, for the network written by hand.

# %%
X_test, y_test = data.mnist_tensors(train=False)
X_np, y_np = data.mnist_arrays(train=False, limit=1000)
print("tensors:", tuple(X_test.shape), X_test.dtype, tuple(y_test.shape), y_test.dtype)
print("arrays: ", X_np.shape, X_np.dtype, y_np.shape, y_np.dtype)
assert X_np.shape == (1000, 784) and X_np.dtype == np.float32

# %% [markdown]
# Same pixels, same normalisation, whichever way you load them:

# %%
image, label = test_set[3]
assert torch.allclose(image.reshape(-1), X_test[3], atol=1e-6) and label == y_test[3]
print(f"test digit 3 (a {label}) is identical in the Dataset and in the tensor")

# %% [markdown]
# And what the one tensor buys: one pass over the test digits in batches of 64, through a `DataLoader` and by
# slicing the tensor (each timed three times; the median is printed):

# %%
from torch.utils.data import DataLoader


def one_pass_loader():
    for images, labels in DataLoader(test_set, batch_size=64):
        pass


def one_pass_slices():
    for start in range(0, len(X_test), 64):
        images, labels = X_test[start:start + 64], y_test[start:start + 64]


def median_seconds(run, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


loader_s, slices_s = median_seconds(one_pass_loader), median_seconds(one_pass_slices)
print(f"DataLoader: {loader_s * 1000:.0f} ms, tensor slices: {slices_s * 1000:.1f} ms for {len(X_test):,} digits "
      f"(slicing {loader_s / slices_s:.0f}x faster here)")
print(f"this notebook ran in {time.perf_counter() - notebook_start:.0f} s on this machine")

# %% [markdown]
# ## What to try next
#
# - Plot the *average* image of each digit: `X_train[y_train == d].mean(0).reshape(28, 28)`. Which digits
#   look alike on average?
# - What would the first layer see without normalisation? To find out in training, undo it,
#   `X_raw = X_train * data.STD + data.MEAN` (pixels back in $[0, 1]$), and train with `training.fit` (notebook 04) on
#   `(X_raw, y_train)` next to `(X_train, y_train)`.
#
# Next: **04_pytorch_mlp**, a network that learns to read these digits.
