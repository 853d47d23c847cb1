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
# # 04 · A multi-layer perceptron in PyTorch
#
# <!-- launch: written by `nnworkshop links` from pyproject.toml; edit there -->
# **Run it:** [Open in Colab](https://colab.research.google.com/github/nnworkshop/nnworkshop/blob/main/notebooks/04_pytorch_mlp.ipynb) · [Binder](https://mybinder.org/v2/gh/nnworkshop/nnworkshop/main?urlpath=lab%2Ftree%2Fnotebooks%2F04_pytorch_mlp.ipynb)
# <!-- /launch -->
#
# In notebook 01 we wrote every derivative by hand. PyTorch computes them for us (**autograd**), runs on a
# GPU when there is one, and gives us ready-made layers, losses and optimizers. Here we use it to train a
# 784-128-64-10 network on MNIST.
#
# **You will learn**
#
# - how to define a network as an `nn.Module`;
# - the two functions every PyTorch project has: one that trains for an epoch, one that tests;
# - how to read loss and accuracy curves;
# - how to look at predictions *with their probabilities*, and at the confusion matrix.
#
# Time: 5 epochs over the training set; the training cell prints each epoch's seconds on your machine, the
# last cell the total.

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
import torch
from torch import nn
from torch.utils.data import DataLoader, Subset, random_split

from nnworkshop import data, plots
from nnworkshop.config import pick, seed_everything
from nnworkshop.device import pick_device
from nnworkshop.history import History

seed_everything(42)
device = pick_device(verbose=True)

# %%
from nnworkshop.config import show_quick_mode_banner

show_quick_mode_banner()

# %% [markdown]
# ## The data, in mini-batches
#
# Three sets of digits, three jobs:
#
# - **training** digits: the network learns its weights from them;
# - **validation** digits, set aside from the training file: we watch them after every epoch and make every
#   choice on them (how long to train, and in notebook 05 the size, the learning rate...);
# - **test** digits: measured **once**, at the very end, on the settings already chosen. A number we used to
#   choose is no longer a fair estimate of how the network does on new digits (notebook 05 measures by how much).
#
# `random_split` draws the validation digits at random, with a seeded generator so that every run sets aside
# the same ones. A `DataLoader` then serves the training digits in shuffled **mini-batches** of 64 images: each
# training step looks at one batch, not the whole set. (In quick mode we keep only the first few thousand
# training digits.)

# %%
train_set = data.mnist(train=True)
test_set = data.mnist(train=False)
n_train = pick(len(train_set), 3000)
n_val = n_train // 10
train_set, val_set = random_split(Subset(train_set, range(n_train)), [n_train - n_val, n_val],
                                  generator=torch.Generator().manual_seed(0))

batch_size = 64
train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
val_loader = DataLoader(val_set, batch_size=1000)
test_loader = DataLoader(test_set, batch_size=1000)
print(f"{len(train_set):,} training digits in {len(train_loader)} batches of {batch_size}; "
      f"{len(val_set):,} validation digits; {len(test_set):,} test digits, kept for the end")

# %% [markdown]
# ## The model
#
# Three fully connected (`Linear`) layers with ReLU activations between them: 784 pixels → 128 → 64 → 10
# scores, one per digit. There is no softmax at the end: `nn.CrossEntropyLoss` applies it (as
# `log_softmax`) inside the loss, which is numerically safer, exactly like `SoftmaxCrossEntropy` in
# notebook 01.

# %%
class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()                 # (N, 1, 28, 28) -> (N, 784)
        self.layers = nn.Sequential(
            nn.Linear(28 * 28, 128),
            nn.ReLU(),
            nn.Linear(128, 64),
            nn.ReLU(),
            nn.Linear(64, 10),                      # logits
        )

    def forward(self, x):
        return self.layers(self.flatten(x))


model = MLP().to(device)
print(model)
print(f"{sum(p.numel() for p in model.parameters()):,} trainable parameters")

# %% [markdown]
# `nnworkshop.models.WorkshopMLP` is this same network (and `nnworkshop.models.MLP(sizes, activation, dropout)`
# the general version notebook 05 experiments with).
#
# Loss and optimizer: cross-entropy, and stochastic gradient descent with learning rate
# 0.01 and **momentum** 0.9 (each step keeps 90 % of the previous step's direction, which smooths and speeds
# up the descent).

# %%
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

# %% [markdown]
# ## Training and testing
#
# One training epoch is a loop over the batches: forward, loss, `zero_grad`, `backward` (autograd fills every
# parameter's `.grad`), `step`. Compare with the five lines of notebook 01's `train`: the same loop, with the
# backward pass written for us.
#
# One detail that is easy to get slightly wrong: averaging the per-batch losses counts the samples of the
# last, smaller batch too much. We weight each batch's loss by its size.

# %%
def train_one_epoch(model, loader, loss_fn, optimizer, device):
    """One pass over the training data; returns (mean loss, accuracy in %)."""
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        logits = model(X)
        loss = loss_fn(logits, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(y)
        correct += (logits.argmax(dim=1) == y).sum().item()
        seen += len(y)
    return total_loss / seen, 100 * correct / seen


@torch.no_grad()
def test(model, loader, loss_fn, device):
    """Loss and accuracy on data the model never trains on; no gradients needed."""
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    for X, y in loader:
        X, y = X.to(device), y.to(device)
        logits = model(X)
        total_loss += loss_fn(logits, y).item() * len(y)
        correct += (logits.argmax(dim=1) == y).sum().item()
        seen += len(y)
    return total_loss / seen, 100 * correct / seen


# %% [markdown]
# Why `optimizer.zero_grad()` before `loss.backward()`? Because `backward` does not *replace* a parameter's
# `.grad`, it *adds* to it (handy for summing the gradients of several small batches before one step). Left
# alone, every step would use the sum of all the batches' gradients so far. Watch it on one weight, where
# d(3w)/dw = 3:

# %%
w = torch.tensor([2.0], requires_grad=True)
for i in range(3):
    (3 * w).sum().backward()
    print(f"after backward #{i + 1}: w.grad = {w.grad.item():g}")
w.grad = None  # what optimizer.zero_grad() does to every parameter it holds
(3 * w).sum().backward()
print(f"after zero_grad and one backward: w.grad = {w.grad.item():g}")
assert w.grad.item() == 3.0

# %% [markdown]
# Five epochs (two in quick mode). Each line prints as its epoch finishes.

# %%
import time

epochs = pick(5, 2)
history = History(label="MLP, SGD + momentum", device=str(device), held_out="validation")
for epoch in range(1, epochs + 1):
    start = time.perf_counter()
    train_loss, train_acc = train_one_epoch(model, train_loader, loss_fn, optimizer, device)
    seconds = time.perf_counter() - start
    val_loss, val_acc = test(model, val_loader, loss_fn, device)
    history.append(train_loss, train_acc, seconds, val_loss, val_acc)
    print(f"epoch {epoch}/{epochs}: train loss {train_loss:.4f}, acc {train_acc:.2f}% | "
          f"validation loss {val_loss:.4f}, acc {val_acc:.2f}% | {seconds:.1f}s")

# %% [markdown]
# Look at the first epoch's two accuracies:

# %%
first_gap = history.val_acc[0] - history.train_acc[0]
print(f"epoch 1: train accuracy {history.train_acc[0]:.2f} % (averaged while learning), "
      f"validation {history.val_acc[0]:.2f} % (after the epoch): validation - train = {first_gap:+.2f} points")

# %% [markdown]
# When the *training* accuracy of the first epoch is below its *validation* accuracy, that is not a network
# doing better on unseen digits. The training numbers are averaged over the whole epoch while the weights move,
# so the early batches, scored by a network that had barely started, pull the average down; the validation numbers
# are measured once, after the epoch, with the weights it ended on. In later epochs the weights move less
# within an epoch, and the two measure more nearly the same network.

# %% [markdown]
# ## Curves
#
# Training loss going down shows the network is fitting the data; the **validation** curves show whether that
# carries over to digits it has never trained on. While both improve together, the network is learning
# something general. When training keeps improving but validation stalls or worsens, it is memorising:
# overfitting, and the validation curve is where you would decide to stop.

# %%
plots.curves([history], labels=["MLP"])

# %% [markdown]
# ## The test set, once
#
# The settings are chosen (here: this network, five epochs). Now, and only now, the test digits: the number to
# report for this network.

# %%
test_loss, test_acc = test(model, test_loader, loss_fn, device)
print(f"test accuracy {test_acc:.2f} % on {len(test_set):,} digits never used for any choice "
      f"(validation after the last epoch: {history.val_acc[-1]:.2f} %)")

# %% [markdown]
# From notebook 05 on, the course trains with `nnworkshop.training.fit`. It is the same loop as
# `train_one_epoch` above (forward, loss, `zero_grad`, `backward`, `step`), over mini-batches sliced out of
# one tensor instead of a `DataLoader`, plus machinery around it: a progress bar, a check for a loss that
# became NaN, Ctrl-C handling, checkpoints to resume from. Its epoch loop, printed from the library's source:

# %%
import inspect
import textwrap

from nnworkshop import training

source = inspect.getsource(training.fit)
loop = source[source.index("for epoch in range("):source.index("bar.set_postfix")]
print(textwrap.dedent(" " * 12 + loop.rstrip()))

# %% [markdown]
# ## Predictions, with probabilities
#
# Printing only the predicted digit hides most of what the network says: it gives a probability for every digit.
# A confident right answer puts almost all of it on one bar; a hesitant one spreads it. Rather than the first
# few test digits, we pick what is worth seeing: three digits it is surest about and right, the three right
# answers it hesitated most over, and its three most confident mistakes (red bars).

# %%
import numpy as np

from nnworkshop.training import predict_proba

X_test, y_test = data.mnist_tensors(train=False)
proba = predict_proba(model, X_test).numpy()
picks = plots.telling_examples(proba, y_test.numpy(), n_each=3)
for group, idx in picks.items():
    print(f"{group:<20} test digits {idx.tolist()}, top probability "
          f"{', '.join(f'{proba[i].max():.2f}' for i in idx)}")
plots.predictions((X_test, y_test), proba, indices=np.concatenate(list(picks.values())))

# %% [markdown]
# ## Which digits get confused?
#
# The **confusion matrix** counts, for every true digit (row), how often each digit was predicted (column).
# The diagonal is correct; everything else is a mistake, and its position says which one. Below it, the
# three most frequent mistakes, counted: do those digits look alike to you?

# %%
from IPython.display import display

display(plots.confusion(y_test, proba))
counts = plots.confusion_matrix(y_test.numpy(), proba.argmax(axis=1))
np.fill_diagonal(counts, 0)
for flat in np.argsort(counts, axis=None)[::-1][:3]:
    true, predicted = divmod(int(flat), 10)
    print(f"a {true} read as a {predicted}: {counts[true, predicted]} times")

# %%
print(f"this notebook ran in {time.perf_counter() - notebook_start:.0f} s on this machine")

# %% [markdown]
# ## What to try next
#
# - Replace `momentum=0.9` by `momentum=0` and rerun: how much slower is plain SGD?
# - Train for 15 epochs: does the validation accuracy keep rising, or do the curves start to separate?
# - Find the test digits the network is most confident about *and wrong*: sort by the probability of the
#   predicted class among the mistakes. Are the labels even right?
#
# Next: **05_experiments**, turning every knob of the network and the training.
