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
# # 07 · Convolutions: by hand in NumPy, then in PyTorch
#
# <!-- launch: written by `nnworkshop links` from pyproject.toml; edit there -->
# **Run it:** [Open in Colab](https://colab.research.google.com/github/nnworkshop/nnworkshop/blob/main/notebooks/07_convolutions.ipynb) · [Binder](https://mybinder.org/v2/gh/nnworkshop/nnworkshop/main?urlpath=lab%2Ftree%2Fnotebooks%2F07_convolutions.ipynb)
# <!-- /launch -->
#
# The network of chapters 01 to 05 sees a digit as 784 numbers in a row: nothing in it knows that pixel 300 is
# next to pixel 301, and a stroke learnt in one place must be learnt again one pixel further on. A
# **convolution** slides one small set of weights (a *filter*, or *kernel*) over the whole image, so the same
# detector looks everywhere, and it reads only a small neighbourhood at a time. Networks built from them are
# called convolutional neural networks (CNNs).
#
# **You will learn**
#
# - what a convolution computes, written as loops straight from the formula;
# - **im2col**: the same convolution as one matrix product, fast enough to train, and its backward pass,
#   checked against finite differences and against PyTorch;
# - max-pooling, and a small CNN trained in NumPy with the training loop of chapter 01;
# - the same network with `nn.Conv2d` and `training.fit`, measured against the MLP on the same digits:
#   accuracy, number of weights, time per epoch;
# - what the filters look like, and what each one picks out of a digit.
#
# Time: a few minutes on a laptop CPU.

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
import inspect
import time

import numpy as np
import torch

import nnworkshop.scratch as S
from nnworkshop import data, plots, speed
from nnworkshop.config import pick, seed_everything
from nnworkshop.device import pick_device
from nnworkshop.models import CNN, MLP
from nnworkshop.splits import validation_split
from nnworkshop.table import Table
from nnworkshop.timing import timed
from nnworkshop.training import evaluate, fit, predict_proba

seed_everything(0)
device = pick_device(verbose=True)

# %%
from nnworkshop.config import show_quick_mode_banner

show_quick_mode_banner()
notebook_start = time.perf_counter()

# %% [markdown]
# The digits as images this time, shape `(N, 1, 28, 28)`: N images, 1 channel (grey; a colour photo has 3),
# 28 rows, 28 columns. As in chapters 04 and 05, a tenth of the training digits is set aside for validation
# (every choice below is made on it), and the test digits are kept for one measurement at the very end.

# %%
X_all, y_all = data.mnist_arrays(train=True, flatten=False)
X_test, y_test = data.mnist_arrays(train=False, flatten=False)
n = pick(len(X_all), 1200)
(X_train, y_train), (X_val, y_val) = validation_split(X_all[:n], y_all[:n], n_val=n // 10, seed=0)
X_test, y_test = X_test[:pick(len(X_test), 2000)], y_test[:pick(len(y_test), 2000)]
print(f"{len(X_train):,} training digits {X_train.shape[1:]}, {len(X_val):,} validation digits, "
      f"{len(X_test):,} test digits (measured once, at the end)")

# %% [markdown]
# ## 1. A convolution, straight from the formula
#
# A filter `w` of shape `(in_channels, kh, kw)` lays over a patch of the image, multiplies pixel by pixel, and
# sums: one number. Sliding it to every position gives a new image, the filter's **feature map**. A layer has
# several filters, so its weights have shape `(out_channels, in_channels, kh, kw)`, the layout `nn.Conv2d`
# uses, and it turns `(N, C, H, W)` images into `(N, out_channels, OH, OW)` maps:
#
# $$\text{out}[n, f, i, j] = b_f + \sum_{c,\,p,\,q} x[n, c,\; i \cdot s + p,\; j \cdot s + q]\; w[f, c, p, q]$$
#
# with stride $s$ (how far the filter moves each step). **Padding** adds a border of zeros first, so that a
# 3×3 filter with padding 1 keeps a 28×28 image 28×28. (Strictly this is a cross-correlation: a mathematician's
# convolution flips the filter first. Deep-learning libraries do not flip, and neither do we.)
#
# Here is the formula as loops, from `nnworkshop.scratch.conv`:

# %%
print(inspect.getsource(S.conv2d_loop))

# %% [markdown]
# Two filters set by hand: the first subtracts the column on the right from the column on the left, so it
# responds to vertical edges (the two sides of an upright stroke, with opposite signs); the second does the same
# from top to bottom, for horizontal edges. Applied to one digit, each lights up a different part of its strokes.

# %%
edges = np.array([[[[1, 0, -1]] * 3], [[[1, 1, 1], [0, 0, 0], [-1, -1, -1]]]], dtype=np.float32)
print("filters, shape", edges.shape, "\n", edges[:, 0])
digit = X_val[:1]
maps = S.conv2d_loop(digit, edges, padding=1)
print(f"one digit {digit.shape} -> feature maps {maps.shape}")
plots.feature_maps(maps[0], title="two hand-made edge filters on one digit", image=digit[0])

# %% [markdown]
# ## 2. The same thing as one matrix product: im2col
#
# Six nested Python loops are far too slow to train with. The trick every library uses on CPUs: copy every
# patch the filter visits into one row of a matrix (`im2col`, "image to columns"), and the whole convolution
# becomes one matrix product, `cols @ W.T`, which NumPy hands to an optimised BLAS. The patches overlap, so the
# matrix is about `kh * kw` times larger than the image: memory traded for speed.

# %%
print(inspect.getsource(S.im2col))
print(inspect.getsource(S.conv2d_forward))

# %% [markdown]
# Do the two versions compute the same thing? On a batch of digits, with 8 random filters, stride 1 and 2:

# %%
rng = np.random.default_rng(0)
batch = X_train[:8].astype(np.float64)
w8, b8 = rng.standard_normal((8, 1, 3, 3)), rng.standard_normal(8)
for stride in (1, 2):
    slow, t_loop = timed(S.conv2d_loop, batch, w8, b8, stride=stride, padding=1)
    (fast, _), t_fast = timed(S.conv2d_forward, batch, w8, b8, stride=stride, padding=1)
    diff = np.abs(fast - slow).max()
    print(f"stride {stride}: output {fast.shape}, largest difference {diff:.1e}")
    assert diff < 1e-10

# %% [markdown]
# And how much faster is it? Each version timed five times on the same 8 digits (on a shared machine one
# timing says little; `speed.race` reports the median ratio and calls a winner only when the spread allows):

# %%
print(speed.busy() or f"load before timing: fine ({speed.cores()} core(s) mostly idle)")
loop_s = [timed(S.conv2d_loop, batch, w8, b8, padding=1)[1] for _ in range(5)]
fast_s = [timed(S.conv2d_forward, batch, w8, b8, padding=1)[1] for _ in range(5)]
conv_race = speed.race("the loops", loop_s, "im2col", fast_s)
print(conv_race.sentence())

# %% [markdown]
# ## 3. The backward pass
#
# Forward was `out = cols @ W.T + b` with `W = w.reshape(F, -1)`: exactly a `Linear` layer applied to every
# patch. So the backward pass is `Linear`'s (chapter 01): `dW = dout.T @ cols`, `db` = `dout` summed over every
# image and position, `dcols = dout @ W`. One new step: a pixel sits in several patches, so its gradient is the
# **sum** of the gradients of every copy of it; `col2im` adds each row of `dcols` back onto the pixels it was
# copied from.

# %%
print(inspect.getsource(S.conv2d_backward))
print(inspect.getsource(S.col2im))

# %% [markdown]
# The test every hand-written backward pass needs (chapter 01): finite differences. `check_layer` nudges every
# input pixel, weight and bias by ±1e-5 in float64 and compares the change in a random scalar function of the
# output with what `backward` said it would be. A correct backward gives relative errors around 1e-8 or
# below; a wrong one gives 1e-2 or more.

# %%
for layer in (S.Conv2d(1, 3, 3, padding=1, rng=0), S.Conv2d(2, 4, 3, stride=2, padding=1, rng=0)):
    x = np.random.default_rng(1).standard_normal((2, layer.in_channels, 7, 7))
    errors = S.check_layer(layer, x)
    print(f"{layer!r}: " + ", ".join(f"{k} {v:.1e}" for k, v in errors.items()))
    assert max(errors.values()) < 1e-6

# %% [markdown]
# And against PyTorch's own convolution and its autograd, on the same numbers in float64:

# %%
x = np.random.default_rng(2).standard_normal((3, 2, 9, 9))
w, b = np.random.default_rng(3).standard_normal((4, 2, 3, 3)), np.random.default_rng(4).standard_normal(4)
out, cache = S.conv2d_forward(x, w, b, stride=2, padding=1)
dout = np.random.default_rng(5).standard_normal(out.shape)
dx, dw, db = S.conv2d_backward(dout, cache)
tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
t_out = torch.nn.functional.conv2d(tx, tw, tb, stride=2, padding=1)
t_out.backward(torch.tensor(dout))
for name, ours, theirs in (("output", out, t_out), ("dx", dx, tx.grad), ("dw", dw, tw.grad), ("db", db, tb.grad)):
    diff = np.abs(ours - theirs.detach().numpy()).max()
    print(f"{name:6s} largest difference from torch: {diff:.1e}")
    assert diff < 1e-10

# %% [markdown]
# ## 4. Max-pooling, and a whole CNN in NumPy
#
# **Max-pooling** keeps the largest value of each 2×2 window: the map shrinks to a quarter, and a feature that
# moves by a pixel often still lands in the same window. It has no weights; its backward pass sends each
# gradient to the one pixel that was the maximum.

# %%
print(inspect.getsource(S.maxpool_forward))
print(inspect.getsource(S.maxpool_backward))
x = np.random.default_rng(6).standard_normal((2, 3, 6, 6))
errors = S.check_layer(S.MaxPool2d(2), x)
out, cache = S.maxpool_forward(x, 2)
tx = torch.tensor(x, requires_grad=True)
t_out = torch.nn.functional.max_pool2d(tx, 2)
t_out.backward(torch.tensor(np.ones(out.shape)))
diff = max(np.abs(out - t_out.detach().numpy()).max(), np.abs(S.maxpool_backward(np.ones(out.shape), cache)
                                                             - tx.grad.numpy()).max())
print(f"max-pooling: finite differences {errors['input']:.1e}; largest difference from torch {diff:.1e}")
assert errors["input"] < 1e-6 and diff < 1e-12

# %% [markdown]
# The course's CNN, `scratch.cnn()`: two blocks of [3×3 convolution → ReLU → 2×2 max-pool], then one `Linear`
# layer from the last feature maps to the 10 scores. Watch the shapes as one batch goes through:

# %%
net = S.cnn(seed=0)
h = X_train[:64]
print(f"{'input':52s} {h.shape}")
for layer in net:
    h = layer(h)
    print(f"{layer!r:52s} {h.shape}")
n_cnn = sum(p.data.size for p in net.parameters())
print(f"{n_cnn:,} weights and biases")

# %% [markdown]
# The whole network's gradients, checked against finite differences on a few digits (a sample of each
# weight array, in float64), and then trained with `scratch.fit`, the training loop of chapter 01, unchanged:
# a convolutional layer is one more forward/backward pair.

# %%
errors = S.gradient_check(net, X_train[:4], y_train[:4], n_checks=20)
print("whole CNN, largest relative error per parameter:", {k: f"{v:.1e}" for k, v in errors.items()})
assert max(errors.values()) < 1e-5

# %%
numpy_epochs = pick(2, 2)
numpy_history = S.fit(net, X_train, y_train, epochs=numpy_epochs, batch_size=64, lr=0.05, momentum=0.9,
                      X_val=X_val, y_val=y_val, seed=0)
print(f"NumPy CNN after {numpy_epochs} epochs: validation accuracy {numpy_history.val_acc[-1]:.2f} %, "
      f"{np.median(numpy_history.seconds):.1f} s per epoch (median)")

# %% [markdown]
# ## 5. The same network in PyTorch
#
# `nnworkshop.models.CNN` is the same layers with `nn.Conv2d`, `nn.ReLU`, `nn.MaxPool2d`, `nn.Flatten` and
# `nn.Linear`, and the same weight layout. Given the weights the NumPy network just learnt, it computes the
# same scores:

# %%
print(inspect.getsource(CNN.__init__))
same = CNN.from_scratch(net)
with torch.no_grad():
    torch_scores = same(torch.from_numpy(X_val[:256])).numpy()
diff = np.abs(torch_scores - net(X_val[:256])).max()
print(f"largest difference between the NumPy and the PyTorch CNN's scores on 256 digits: {diff:.1e} (float32)")
assert diff < 1e-3

# %% [markdown]
# Now the real comparison. Fresh `CNN`s and the course's `MLP` (784 → 128 → 64 → 10, chapters 03 and 04),
# trained by `training.fit` on the same training digits, in the same order (same seed), with the same optimizer
# (SGD with momentum 0.9), and scored on the same validation digits after every epoch. Each network gets two
# learning rates, the course's 0.01 and a larger 0.05, and keeps the one its validation digits prefer: neither
# is handicapped by a rate chosen for the other.

# %%
epochs = pick(5, 2)
rates = (0.01, 0.05)
runs = {}
for name, make in (("MLP", MLP), ("CNN", CNN)):
    for lr in rates:
        seed_everything(0)  # the same initial weights for both rates, and on every run of this cell
        model = make()
        print(f"training the {name}, lr={lr} ...")
        runs[name, lr] = (model, fit(model, (X_train, y_train), val=(X_val, y_val), epochs=epochs, optimizer="sgd",
                                     lr=lr, momentum=0.9, batch_size=64, device=device, seed=0))
chosen = {name: max(rates, key=lambda lr: runs[name, lr][1].val_acc[-1]) for name in ("MLP", "CNN")}
print("chosen on validation:", ", ".join(f"{name} lr={lr}" for name, lr in chosen.items()))
plots.curves([runs[name, lr][1] for name, lr in chosen.items()], labels=[f"{n}, lr={lr}" for n, lr in chosen.items()])

# %% [markdown]
# Accuracy on the validation digits, number of weights, and time per training epoch: the median over the
# epochs, with the fastest and slowest beside it, since one timing on a shared machine says little.

# %%
print(Table({"model": f"{name}, lr={lr}", "validation acc %": h.val_acc[-1],
             "weights": f"{sum(p.numel() for p in m.parameters()):,}", "s / epoch (median)": float(np.median(h.seconds)),
             "fastest": min(h.seconds), "slowest": max(h.seconds)} for (name, lr), (m, h) in runs.items()))
models = {name: runs[name, lr][0] for name, lr in chosen.items()}
mlp_h, cnn_h = (runs[name, chosen[name]][1] for name in ("MLP", "CNN"))
weights = {name: sum(p.numel() for p in model.parameters()) for name, model in models.items()}
print(f"the CNN has {weights['MLP'] / weights['CNN']:.0f}x fewer weights than the MLP; validation accuracy of the "
      f"chosen runs {cnn_h.val_acc[-1] - mlp_h.val_acc[-1]:+.2f} points")
print("per epoch (all epochs of both rates), " + speed.race(
    "the CNN", runs["CNN", rates[0]][1].seconds + runs["CNN", rates[1]][1].seconds,
    "the MLP", runs["MLP", rates[0]][1].seconds + runs["MLP", rates[1]][1].seconds).sentence())

# %% [markdown]
# What to look for in the table. Weights: each first-layer filter is 9 numbers reused at all 784 positions,
# where the MLP's first layer holds one weight per pixel per hidden unit (784 × 128 of them). Time: the other
# side of that reuse is arithmetic, since every filter weight is multiplied in at every position of every
# image, while each MLP weight is used once per image; the race line above says what that cost on this machine.
# (On a GPU, the positions are computed in parallel: try it there if you have one.)

# %% [markdown]
# ## 6. What the filters learnt
#
# The first layer's 8 filters, each 3×3 (red positive, blue negative), and what each of them makes of one
# validation digit: its 8 feature maps after ReLU, the input of the second layer.

# %%
cnn = models["CNN"].cpu()
plots.filters(cnn.layers[0].weight, title="the trained CNN's first-layer filters")

# %%
digit = torch.from_numpy(X_val[:1])
with torch.no_grad():
    first_maps = cnn.layers[:2](digit)[0]   # Conv2d, then ReLU: (8, 28, 28)
plots.feature_maps(first_maps, title="first-layer feature maps (after ReLU) of one validation digit",
                   image=X_val[0])

# %% [markdown]
# ## 7. The test set, once
#
# Each network's learning rate was chosen on the validation digits. Now the two chosen networks are measured once
# on the test digits, which no choice has seen. Beyond the two accuracies, the cell counts the digits on which the two disagree about being
# right: if the CNN were no better, digits only it gets right would be about as many as digits only the MLP
# gets right.

# %%
test = (X_test, y_test)
right = {}
for name, model in models.items():
    loss, acc = evaluate(model, test)
    right[name] = (predict_proba(model, X_test).argmax(1).numpy() == y_test)
    print(f"{name}: test accuracy {acc:.2f} % on {len(y_test):,} digits")
margin = 100 * (right["CNN"].mean() - right["MLP"].mean())
only_cnn = int(np.sum(right["CNN"] & ~right["MLP"]))
only_mlp = int(np.sum(right["MLP"] & ~right["CNN"]))
# if both were equally good, each disagreement would go either way with even odds: how many spreads is the gap?
z = (only_cnn - only_mlp) / max(np.sqrt(only_cnn + only_mlp), 1)
print(f"the CNN is {margin:+.2f} points above the MLP: {only_cnn} digits only the CNN gets right, {only_mlp} only "
      f"the MLP; the gap is {z:.1f} standard deviations of what chance alone would give")

# %%
from nnworkshop.config import quick_mode

if not data.standin_digits() and not quick_mode():  # a claim about real digits, trained in full
    assert margin > 0 and z > 3, f"expected the CNN to beat the MLP clearly on real digits: {margin:+.2f}, z={z:.1f}"
    print("on real digits, the CNN beats the MLP by more than chance explains")

# %%
print(f"this notebook ran in {time.perf_counter() - notebook_start:.0f} s on this machine")

# %% [markdown]
# ## What to try next
#
# - Make the CNN wider, `CNN((16, 32))`, or narrower, `CNN((4, 8))`: how do accuracy, weights and time per
#   epoch move? (Choose on validation.)
# - Shift every validation digit two pixels to the right (`np.roll(X_val, 2, axis=3)`) and score both networks
#   again: which one loses more?
# - Set `stride=2` in the NumPy `Conv2d` and drop the pooling: the map shrinks the same way. Does the gradient
#   check still pass?
#
# Next: **08_distributed**, training on more than one device; then **09_summary**, what you learned and the
# exercises.
