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
# # 06 · NumPy by hand vs PyTorch: a fair race
#
# <!-- launch: written by `nnworkshop links` from pyproject.toml; edit there -->
# **Run it:** [Open in Colab](https://colab.research.google.com/github/nnworkshop/nnworkshop/blob/main/notebooks/06_numpy_vs_pytorch.ipynb) · [Binder](https://mybinder.org/v2/gh/nnworkshop/nnworkshop/main?urlpath=lab%2Ftree%2Fnotebooks%2F06_numpy_vs_pytorch.ipynb)
# <!-- /launch -->
#
# We now have the same network twice: written by hand in NumPy (notebook 01, `nnworkshop.scratch`) and in
# PyTorch (notebook 04). How do they compare in accuracy and in speed?
#
# Such a race is easy to get wrong without noticing: two networks that start from different weights, plain SGD
# on one side and momentum on the other, different shuffles, a NumPy network computing in float64 by accident
# (`np.random.randn` makes float64), a "5,000 digit" subset that is not 5,000 digits, and a "speed-up" printed
# without saying which way it went. We set up a race in which only the library differs, and measure it.
#
# **You will learn**
#
# - how to set up a comparison in which only one thing differs: the library;
# - that the NumPy and PyTorch gradients are *the same numbers* (up to float32 rounding) at the first step;
# - how fast each one is on **your** machine, measured, and why a framework is not automatically faster for a
#   small network on a CPU;
# - what each of those careless choices changes, measured.
#
# Time: most of it goes into the width sweep of section 3; the last cell prints the total for your machine.

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

notebook_start = time.perf_counter()
import numpy as np
import torch

from nnworkshop import compare, data, plots, scratch
from nnworkshop.batches import epoch_orders
from nnworkshop.config import pick
from nnworkshop.models import MLP

# %%
from nnworkshop.config import show_quick_mode_banner

show_quick_mode_banner()

# %% [markdown]
# ## 1. The same digits
#
# A subset built by looping over a shuffled `DataLoader` until "enough" is easy to get wrong: stopping when
# `len(train_labels) + batch_size > 5000` while `train_labels` is a *list of batches* counts batches, not
# samples, so the loop never stops early and takes the whole set; and each run gets different digits.
#
# We take exactly the first 5,000 training and 1,000 test digits, in file order, as float32 arrays.

# %%
n_train, n_test = pick(5000, 2000), pick(1000, 500)
X_train, y_train = data.mnist_arrays(train=True, limit=n_train)
X_test, y_test = data.mnist_arrays(train=False, limit=n_test)
print("train:", X_train.shape, X_train.dtype, " test:", X_test.shape, X_test.dtype)
assert X_train.shape == (n_train, 784) and X_test.shape == (n_test, 784)
assert X_train.dtype == np.float32

# %% [markdown]
# ## 2. The same starting weights, the same first step
#
# Build the NumPy network (He initialisation, seeded), then copy its weights into the PyTorch model: both
# store each weight matrix as `(out_features, in_features)`, so this is a plain copy.

# %%
seed, batch_size = 0, 64
net = scratch.mlp((784, 128, 64, 10), activation="relu", seed=seed, dtype=np.float32)
model = MLP.from_scratch(net)
for p, q in zip(net.parameters(), model.parameters()):
    assert np.array_equal(p.data, q.detach().numpy())
print(net)
print(model)

# %% [markdown]
# Both training loops draw their batch order from `nnworkshop.batches.epoch_orders(n, seed)`, so with the same
# seed they see the same first batch. Compute one backward pass on it in each library and compare every
# gradient:

# %%
first = next(epoch_orders(n_train, seed))[:batch_size]
xb, yb = X_train[first], y_train[first]

loss_fn = scratch.SoftmaxCrossEntropy()                       # NumPy: our own backward pass
numpy_loss = loss_fn(net(xb), yb)
net.backward(loss_fn.backward())

logits = model(torch.from_numpy(xb))                          # PyTorch: autograd
torch_loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(yb))
torch_loss.backward()

print(f"loss: NumPy {numpy_loss:.6f}, PyTorch {torch_loss.item():.6f}")
for name, (p, q) in zip(["W1", "b1", "W2", "b2", "W3", "b3"], zip(net.parameters(), model.parameters())):
    rel = np.abs(p.grad - q.grad.numpy()).max() / np.abs(q.grad.numpy()).max()
    print(f"{name}: shape {str(p.grad.shape):<11} max relative difference {rel:.1e}")
    assert rel < 1e-4, "the two backward passes disagree"
net.zero_grad()
model.zero_grad()

# %% [markdown]
# Differences around $10^{-7}$: float32 rounding (the two libraries add the same numbers in a different order).
# Our hand-written backpropagation and PyTorch's autograd compute the same gradient.
#
# ## 3. The race
#
# `compare.head_to_head` does the above and then trains both networks: same weights, the same optimizer (SGD,
# learning rate 0.01, momentum 0.9), the same batches in the same order, float32 on both sides, PyTorch on the
# CPU like NumPy (a GPU would compare two machines, not two libraries). Both are warmed up first and timed
# with the same clock; each epoch also measures the test accuracy.
#
# The NumPy side is `scratch.fit`, and its epoch is this loop, the one notebook 01 wrote for XOR, now over
# mini-batches: forward, loss, backward, step.

# %%
import inspect

print(inspect.getsource(scratch.train.train_epoch))

# %%
from nnworkshop import speed

print(speed.busy() or f"load before timing: fine ({speed.cores()} core(s) mostly idle)")
epochs = pick(10, 2)
fair = compare.head_to_head(X_train, y_train, X_test, y_test, epochs=epochs, batch_size=batch_size, lr=0.01,
                            momentum=0.9, optimizer="sgd", seed=seed)
print(fair.table())

# %% [markdown]
# The conclusion below is not written in advance: it is built from the numbers just measured. Who was faster
# is decided epoch by epoch (`nnworkshop.speed`, the rule notebook 08 and `nnworkshop bench` use too): a
# library is called faster only when every epoch's ratio says so by more than 5 %; otherwise the verdict is
# "too close to call", because one noisy epoch on a busy laptop can flip a small difference.

# %%
print(fair.conclusion())

# %% [markdown]
# Why is PyTorch not simply faster? Each training step here is three small matrix products per direction, on
# 64 × 784 inputs. Both libraries hand those to the same kind of optimised BLAS routine, so the arithmetic
# costs about the same. What differs is the overhead *around* it: PyTorch records a graph for autograd and
# dispatches every operation through several layers of checks (device, dtype, shapes), a few microseconds per
# operation, while NumPy pays its own, smaller, Python overhead. With a network this small that overhead is a
# large share of each step, so the winner depends on the machine, the number of cores and the batch size:
# the verdict above is this machine's. Does PyTorch pull ahead when the network is wider (more arithmetic per
# operation, the same overhead)? Measure it: the same fair race, two epochs each, with wider hidden layers.

# %%
widths = pick([(128, 64), (512, 512), (1024, 1024)], [(128, 64), (256, 256)])
runs = [compare.head_to_head(X_train, y_train, X_test, y_test, epochs=3, batch_size=batch_size, lr=0.01,
                             momentum=0.9, optimizer="sgd", seed=seed, hidden=hidden, progress=False)
        for hidden in widths]
for hidden, r in zip(widths, runs):
    print(f"hidden {hidden}: {r.race.sentence()}")
(first_low, first_high), (last_low, last_high) = runs[0].race.spread, runs[-1].race.spread
if last_low > first_high:
    trend = ("grows with the width, so PyTorch gains on NumPy as the network widens: every epoch's ratio at the "
             "widest net is above every epoch's at the narrowest")
elif last_high < first_low:
    trend = ("shrinks with the width, so NumPy gains on PyTorch as the network widens: every epoch's ratio at the "
             "widest net is below every epoch's at the narrowest")
else:
    trend = "shows no clear trend here: the epochs' spreads at the two ends overlap"
print(f"NumPy's time over PyTorch's, per epoch: {first_low:.2f}x to {first_high:.2f}x at {widths[0]}, "
      f"{last_low:.2f}x to {last_high:.2f}x at {widths[-1]}; the ratio {trend}.")

# %% [markdown]
# Each width is timed over three epochs and judged on their spread, not on one number: a trend is claimed
# only when the spreads at the two ends do not overlap. `nnworkshop bench` goes further (interleaved rounds,
# more epochs, the GEMM floor). A GPU is section 6 (it runs only where there is one).
#
# The curves of the fair race lie on top of each other, because it is the same computation:

# %%
plots.curves([fair.numpy_history, fair.torch_history], labels=["NumPy", "PyTorch"])

# %%
h = fair.torch_history
print(f"after {len(h.train_acc)} epochs: train accuracy {h.train_acc[-1]:.2f} %, test {h.test_acc[-1]:.2f} %: "
      f"a gap of {h.train_acc[-1] - h.test_acc[-1]:+.2f} points")

# %% [markdown]
# A training accuracy well above the test accuracy is **overfitting**: with only a few thousand training
# digits, the network starts memorising them, and what it memorises does not carry over to digits it has
# not seen. More data, regularisation (notebook 05) or fewer epochs narrow the gap; for the race it does
# not matter, as both libraries memorise the same way.


# %% [markdown]
# ## 4. Predictions, with probabilities from both networks
#
# A bar chart of the two predicted *class indices* would say nothing (a bar of height 7 next to a bar of
# height 7). What is worth comparing is the probability each network gives
# to every digit. Below: a few test digits, including those the two networks found hardest (a red title
# marks a wrong prediction).

# %%
confidence = fair.numpy_proba[np.arange(n_test), y_test]      # probability NumPy gave to the true digit
show = np.concatenate([np.arange(3), np.argsort(confidence)[:3]])
plots.compare_probabilities((X_test, y_test), {"NumPy": fair.numpy_proba, "PyTorch": fair.torch_proba},
                            indices=show)

# %% [markdown]
# ## 5. A careless race, as a second row
#
# Now the race as it is easily set up by accident (our loops, careless choices): the NumPy network in
# **float64** with its own
# `randn * sqrt(1/fan_in)` initial weights and **plain SGD**; PyTorch in float32 with its default initial
# weights and SGD with **momentum 0.9**.

# %%
careless = compare.careless_setup(X_train, y_train, X_test, y_test, epochs=epochs, batch_size=batch_size,
                                  seed=seed)
print(compare.table(fair, careless))

# %%
print(careless.conclusion())

# %% [markdown]
# What changed, and why:
#
# - **Accuracy.** With momentum, each step keeps 90 % of the previous one, so for the same learning rate PyTorch
#   moved much further per epoch than plain SGD. The careless row's accuracy gap measures momentum, not the
#   library. In the fair row both use momentum; the gap left is printed below.
# - **Time.** float64 numbers are twice as wide as float32: the matrix products move twice the memory and fit
#   half as many numbers in each vector instruction, so at equal settings float64 usually costs more time.
#   A careless speed-up therefore mixes the libraries with a precision choice. (Whether it shows in one
#   run depends on the machine; the next cell prints what happened here.)
# - **Different initial weights and shuffles** make single runs differ by chance; with the same seed, weights and
#   batch order the difference left is rounding.
#
# The numbers for this machine:

# %%
print(compare.verdict(fair, careless))

# %% [markdown]
# ## 6. And on a GPU?
#
# If this machine has a CUDA GPU, the same fair race with PyTorch on the GPU (same weights, batches and
# optimizer; NumPy stays on the CPU). For a network this small and batches of 64, launching each piece of GPU
# work costs about as much as the arithmetic in it, so the GPU has little to gain here; the cell measures
# how much. Try `batch_size=512` too.

# %%
if torch.cuda.is_available():
    on_gpu = compare.head_to_head(X_train, y_train, X_test, y_test, epochs=epochs, batch_size=batch_size,
                                  lr=0.01, momentum=0.9, optimizer="sgd", seed=seed, device="cuda")
    print(compare.table(fair, on_gpu))
    print(on_gpu.conclusion())
else:
    print("No CUDA GPU here: skipped. (On a GPU machine this cell races NumPy on the CPU against PyTorch on the GPU.)")

# %%
print(f"this notebook ran in {time.perf_counter() - notebook_start:.0f} s on this machine")

# %% [markdown]
# ## What to try next
#
# - Rerun the race with `batch_size=512`, then `batch_size=8`: which library gains from bigger batches, and why?
# - Make the network wider, `scratch.mlp((784, 1024, 1024, 10))` / `MLP((784, 1024, 1024, 10))` with the same
#   weights: when does PyTorch overtake NumPy on your CPU?
# - Switch the fair race to `optimizer="adam", lr=0.001`: do the two still agree to rounding?
#
# Next: **07_convolutions**, layers that look at pixels in their neighbourhood: a convolution by hand, then in
# PyTorch.
