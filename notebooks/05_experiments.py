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
# # 05 · Experiments: turning the knobs
#
# <!-- launch: written by `nnworkshop links` from pyproject.toml; edit there -->
# **Run it:** [Open in Colab](https://colab.research.google.com/github/nnworkshop/nnworkshop/blob/main/notebooks/05_experiments.ipynb) · [Binder](https://mybinder.org/v2/gh/nnworkshop/nnworkshop/main?urlpath=lab%2Ftree%2Fnotebooks%2F05_experiments.ipynb)
# <!-- /launch -->
#
# The network of notebook 04 is one choice among many. Here we change one thing at a time and measure what
# it does, which is most of what practical deep learning is.
#
# **You will learn** how these affect accuracy:
#
# 1. the number of hidden layers and neurons;
# 2. the activation function (ReLU, tanh, sigmoid);
# 3. the learning rate and the optimizer (SGD with momentum, Adam);
# 4. the batch size;
# 5. regularisation: dropout and L2 (weight decay).
#
# We start with a common first experiment, a dropout + Adam model, trained next to the baseline, and
# compare.
#
# Time: each knob is a few short runs; the cell before "What to try next" prints the total on your machine.
# (Training *time* is left to `nnworkshop bench`, which warms up and repeats: one run's time on a laptop
# shared with a browser is mostly noise.)

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
from nnworkshop import data, plots, speed
from nnworkshop.config import pick, seed_everything
from nnworkshop.device import pick_device
from nnworkshop.models import MLP, WorkshopDropoutMLP, WorkshopMLP
from nnworkshop.table import of_runs
from nnworkshop.splits import validation_split
from nnworkshop.training import evaluate, fit, predict_proba

seed_everything(0)
device = pick_device(verbose=True)

# %%
from nnworkshop.config import show_quick_mode_banner

show_quick_mode_banner()

# %% [markdown]
# The whole set as tensors on the device (notebook 03): `nnworkshop.training.fit` is the same loop as
# notebook 04's `train_one_epoch` / `test` (04 printed its epoch loop), but slices mini-batches straight out
# of one tensor instead of going through a `DataLoader` that fetches and transforms digits one by one.
# (`nnworkshop bench` measures how much time that saves on your machine.)

# %%
X_train, y_train = data.mnist_tensors(train=True, device=device)
X_test, y_test = data.mnist_tensors(train=False, device=device)
n = pick(len(X_train), 3000)
train, val = validation_split(X_train[:n], y_train[:n], n_val=n // 10, seed=0)
test = (X_test, y_test)
print(f"{len(train[0]):,} training digits, {len(val[0]):,} validation digits (every choice below is made on "
      f"them), {len(X_test):,} test digits (measured once, at the end)")

# %% [markdown]
# ## Baseline vs dropout + Adam
#
# The baseline is notebook 04's network and optimizer. The challenger is the same network with dropout 0.3
# (`WorkshopDropoutMLP`) trained with `Adam(lr=0.001)`:
#
# - **Dropout** zeroes a random 30 % of the hidden units at every training step (and scales the rest up to
#   compensate), so the network cannot rely on any single unit. When the network is evaluated (validation,
#   test) it is switched off.
# - **Adam** adapts the step size for every weight from running averages of its gradient and squared gradient.
#   It still has a learning rate of its own; section 3 below measures how much that rate matters.
#
# That challenger changes **two** things at once, so a difference from the baseline cannot be credited
# to either alone. A third run changes one thing only: the same dropout with the baseline's optimizer. Same data,
# same seed (so the same batch order), same number of epochs for all three.

# %%
epochs = pick(5, 2)
seed = 0
baseline = fit(WorkshopMLP(), train, val=val, epochs=epochs, optimizer="sgd", lr=0.01, momentum=0.9,
               device=device, seed=seed)
dropout_adam = fit(WorkshopDropoutMLP(dropout_rate=0.3), train, val=val, epochs=epochs, optimizer="adam", lr=0.001,
                   device=device, seed=seed)
dropout_sgd = fit(WorkshopDropoutMLP(dropout_rate=0.3), train, val=val, epochs=epochs, optimizer="sgd", lr=0.01,
                  momentum=0.9, device=device, seed=seed)


# %%
labels = ["baseline (SGD + momentum)", "dropout 0.3 + Adam", "dropout 0.3 (SGD + momentum)"]
print(of_runs([baseline, dropout_adam, dropout_sgd], labels))
plots.curves([baseline, dropout_adam, dropout_sgd], labels=labels)

# %% [markdown]
# A dropout model's *training* accuracy is measured with dropout switched on (a handicapped network) and its
# validation accuracy with dropout off, which shrinks its train–validation gap; the cell below measures all
# three gaps.
# Only the comparison of the baseline with "dropout 0.3 (SGD + momentum)" changes one thing, so only that one
# can show what dropout itself does to the gap. Whether dropout also wins on held-out accuracy depends on how much
# data there is and how long we train: it pays off once the plain network starts to overfit.

# %%
gaps = {label: h.train_acc[-1] - h.val_acc[-1] for h, label in zip([baseline, dropout_adam, dropout_sgd], labels)}
for label, gap in gaps.items():
    print(f"{label:<30} train - validation accuracy gap: {gap:+.2f} points")
smaller = "smaller" if gaps[labels[2]] < gaps[labels[0]] else "not smaller"
print(f"with only dropout changed, the gap is {smaller} than the baseline's "
      f"({gaps[labels[2]]:+.2f} against {gaps[labels[0]]:+.2f} points); dropout + Adam: {gaps[labels[1]]:+.2f}, "
      "two changes at once")

# %% [markdown]
# ## Each knob in turn
#
# To keep this quick, every comparison below trains for a few epochs on (at most) 10,000 digits. Numbers
# from short runs are noisy. How noisy? Train the baseline several times, changing only the seed (the
# initial weights and the batch order), and look at the spread of its validation accuracy.

# %%
import numpy as np
import torch
from IPython.display import display

from nnworkshop.validate import DivergenceError

sweep_epochs = pick(3, 2)
m = min(pick(10_000, 2_000), len(train[0]))
small_train = (train[0][:m], train[1][:m])
tried = {}  # every run below, label -> (model, history): the choice at the end is made from these
print(f"sweeps: {m:,} digits, {sweep_epochs} epochs per run")


def run(label, model_kwargs, fit_kwargs, run_seed=seed):
    """Train one MLP (initial weights and batch order from ``run_seed``); None if it diverged."""
    kwargs = dict(epochs=sweep_epochs, optimizer="sgd", lr=0.01, momentum=0.9, device=device, seed=run_seed,
                  progress=False)
    kwargs.update(fit_kwargs)
    torch.manual_seed(run_seed)
    model = MLP(**model_kwargs)
    try:
        h = fit(model, small_train, val=val, **kwargs)
        tried[label] = (model, h)
        return h
    except DivergenceError as err:
        print(f"{label}: {err}")
        return None


seeds = range(pick(5, 3))
repeats = [run(f"seed {s}", {}, {}, run_seed=s) for s in seeds]
accs = np.array([h.val_acc[-1] for h in repeats])
noise = accs.max() - accs.min()
print(f"baseline over {len(accs)} seeds: validation accuracy {accs.mean():.2f} % ± {accs.std(ddof=1):.2f} "
      f"(from {accs.min():.2f} to {accs.max():.2f} %: a spread of {noise:.2f} points)")

# %% [markdown]
# So below, a difference between two runs smaller than this spread says nothing about the knob: it is the
# kind of difference another seed gives. Every run below uses the same seed, 0, so a difference is at least
# not a difference of starting weights or batch order.


# %%
def sweep(configs):
    """Train one MLP per (label, model kwargs, fit kwargs); print the table and draw the final accuracies."""
    histories, labels = [], []
    for label, model_kwargs, fit_kwargs in configs:
        print(f"training: {label}")
        h = run(label, model_kwargs, fit_kwargs)
        if h is not None:
            histories.append(h)
            labels.append(label)
    print(of_runs(histories, labels))
    display(plots.final_accuracy(labels, [h.val_acc[-1] for h in histories], [h.train_acc[-1] for h in histories],
                                 title=f"after {sweep_epochs} epochs; seed-to-seed spread {noise:.2f} points",
                                 held_out="validation"))
    return histories, labels


# %% [markdown]
# ### 1. Hidden layers and neurons
#
# More neurons and layers mean more capacity (and more parameters to fit, and more arithmetic per step).
# Whether that shows in a few epochs is what the plot says: compare the differences with the seed spread.

# %%
histories, labels = sweep([
    ("784-32-10", dict(sizes=(784, 32, 10)), {}),
    ("784-128-64-10 (baseline)", dict(sizes=(784, 128, 64, 10)), {}),
    ("784-512-256-10", dict(sizes=(784, 512, 256, 10)), {}),
    ("784-128-128-128-10", dict(sizes=(784, 128, 128, 128, 10)), {}),
])

# %% [markdown]
# ### 2. Activation functions
#
# ReLU's gradient does not shrink for large positive inputs (it is 1 there), while sigmoid saturates: its
# derivative is at most 0.25 (notebook 01), so sigmoid networks learn slowly at the same learning rate. Compare
# its curve with the other two. Is ReLU also faster to compute? The cell after the curves times it.

# %%
histories, labels = sweep([
    (f"{act}", dict(sizes=(784, 128, 64, 10), activation=act), {}) for act in ("relu", "tanh", "sigmoid")
])
plots.curves(histories, labels=labels)

# %%
timed = dict(zip(labels, histories))
for other in ("tanh", "sigmoid"):
    if "relu" in timed and other in timed:
        print(f"per epoch, {speed.race(other, timed[other].seconds, 'relu', timed['relu'].seconds).sentence()}")

# %% [markdown]
# ### 3. Learning rate and optimizer
#
# Too small and training crawls; too large and it oscillates or breaks down. The sweep goes up to `lr=10`.
# A run whose loss becomes NaN or infinite stops with the course's divergence message, printed in place of
# its row; a run that ends near 10 % accuracy (chance, for ten digits) was knocked out by its own steps.
# The cell after the curves asks whether Adam's rate matters as much as SGD's, against the seed spread.

# %%
histories, labels = sweep([
    ("SGD lr=0.001, momentum 0.9", {}, dict(lr=0.001)),
    ("SGD lr=0.01, momentum 0.9", {}, dict(lr=0.01)),
    ("SGD lr=0.1, momentum 0.9", {}, dict(lr=0.1)),
    ("SGD lr=1, momentum 0.9", {}, dict(lr=1.0)),
    ("SGD lr=10, momentum 0.9", {}, dict(lr=10.0)),
    ("SGD lr=0.01, no momentum", {}, dict(lr=0.01, momentum=0.0)),
    ("Adam lr=0.001", {}, dict(optimizer="adam", lr=0.001)),
    ("Adam lr=0.01", {}, dict(optimizer="adam", lr=0.01)),
])
plots.curves(histories, labels=labels)

# %%
final = {label: h.val_acc[-1] for label, h in zip(labels, histories)}
for name, pair in (("Adam", ("Adam lr=0.001", "Adam lr=0.01")),
                   ("SGD", ("SGD lr=0.01, momentum 0.9", "SGD lr=0.1, momentum 0.9"))):
    if all(p in final for p in pair):
        gap = abs(final[pair[0]] - final[pair[1]])
        size = "more than" if gap > noise else "within"
        print(f"{name}: {pair[0]} vs {pair[1].split(' ', 1)[1]}: {gap:.2f} points apart, {size} the seed "
              f"spread of {noise:.2f}")

# %% [markdown]
# ### 4. Batch size
#
# Small batches: many noisy steps per epoch. Large batches: few smooth steps (fast per epoch on parallel
# hardware), so with the same learning rate and the same number of epochs they make less progress; they need
# a larger learning rate or more epochs.

# %%
histories, labels = sweep([(f"batch {b}", {}, dict(batch_size=b)) for b in (16, 64, 256, 1024)])
plots.curves(histories, labels=labels)

# %% [markdown]
# ### 5. Regularisation: dropout and L2
#
# **L2 regularisation** (`weight_decay`) adds $\frac{\lambda}{2}\lVert w \rVert^2$ to the loss, pulling every
# weight towards zero a little at each step; **dropout** (above) injects noise into the hidden units. Both
# fight overfitting. On short runs, before the plain network overfits, they have little to fight, and the
# plot shows what they cost in training accuracy (dropout's measured with dropout on).

# %%
histories, labels = sweep([
    ("no regularisation", {}, {}),
    ("dropout 0.2", dict(dropout=0.2), {}),
    ("dropout 0.5", dict(dropout=0.5), {}),
    ("L2, weight_decay=1e-4", {}, dict(weight_decay=1e-4)),
    ("L2, weight_decay=1e-2", {}, dict(weight_decay=1e-2)),
])

# %% [markdown]
# ## Choosing, then testing once
#
# Every run above was scored on the validation digits. The choice is made there: the run with the best
# validation accuracy. Then, once, the test digits measure the chosen network: that is the number to report.

# %%
best = max((label for label in tried if not label.startswith("seed ")), key=lambda k: tried[k][1].val_acc[-1])
model, h = tried[best]
test_loss, test_acc = evaluate(model, test)
print(f"chosen on validation: {best!r} ({h.val_acc[-1]:.2f} % on the validation digits)")
print(f"its test accuracy, measured once: {test_acc:.2f} % on {len(test[0]):,} digits no choice has seen")

# %% [markdown]
# **Why not simply pick the run with the best test accuracy?** Because the best of many noisy numbers is
# high partly by luck, and reporting the number you chose by overstates how well the chosen settings do on new
# digits. We can measure that without touching the test set: split the validation digits in two halves, choose
# the best run on half A, and score that same run on half B, which played no part in the choice. Choosing on
# the test set and reporting that number would build the same optimism into the number you publish.

# %%
right = {label: (predict_proba(m, val[0]).argmax(1) == val[1]).cpu().numpy()
         for label, (m, _) in tried.items() if not label.startswith("seed ")}
rng = np.random.default_rng(0)
optimism = []
for _ in range(50):  # 50 random ways to halve the validation digits
    order = rng.permutation(len(val[1]))
    a, b = order[: len(order) // 2], order[len(order) // 2:]
    chosen = max(right, key=lambda k: right[k][a].mean())
    optimism.append(100 * (right[chosen][a].mean() - right[chosen][b].mean()))
optimism = np.array(optimism)
print(f"{len(right)} runs; choosing the best on half A and scoring it on half A as well overstated its accuracy on "
      f"half B by {optimism.mean():+.2f} points on average over 50 halvings (from {optimism.min():+.2f} to "
      f"{optimism.max():+.2f}; higher in {np.mean(optimism > 0):.0%} of them)")

# %% [markdown]
# ## Your turn: the dashboard
#
# Sliders for every knob above; press **Train** and the curves draw live, epoch by epoch, next to your earlier
# runs. Like the sweeps above, it scores every run on validation digits set aside from the training file, never on
# the test set. (It needs a live Jupyter kernel: in a static view of this notebook nothing appears.)

# %%
from nnworkshop.widgets import ExperimentDashboard

dashboard = ExperimentDashboard()
dashboard.show()

# %%
print(f"this notebook ran in {time.perf_counter() - notebook_start:.0f} s on this machine")

# %% [markdown]
# ## What to try next
#
# - Find the smallest network (fewest parameters) that still reaches 97 % validation accuracy; then measure it on
#   the test set, once.
# - Run the baseline and the dropout model for 20 epochs on the full set: at which epoch does the baseline's
#   validation loss start rising while its training loss keeps falling (overfitting)? Does dropout delay it?
# - Double the batch size and the learning rate together: does the curve stay the same?
#
# Next: **06_numpy_vs_pytorch**, a fair race between the network of notebook 01 and PyTorch.

# %% [markdown]
# ## Joining a class board
#
# In class, the instructor runs a **class board** (`nnworkshop board serve`) and gives the room its address
# and a class token. A dashboard that knows them sends its runs there, where everyone's runs meet on one page:
# accuracy against learning rate, batch size, depth and size, a leaderboard, and what the room's runs show.
# Pass them in code, `ExperimentDashboard(board="http://HOST:PORT", token="...", name="your name")`, or let a
# JupyterHub set `NNWORKSHOP_BOARD` and `NNWORKSHOP_BOARD_TOKEN` for you. Then press **Send to board**, or tick
# "send each run when it finishes". The dashboard also sends the trained weights (arrays only, never code): an
# instructor's board that holds digits nobody in the room trained or chose on scores them itself and shows its
# own accuracy, "checked", beside yours.
#
# To see the whole path without a class, the cell below starts a small board on this machine, trains one
# short run, sends it, and reads the board back. Sending the same run twice stores it once.

# %%
import json
import tempfile
import urllib.request
from pathlib import Path

from nnworkshop.board.server import start_board
from nnworkshop.widgets import ExperimentDashboard

board = start_board(Path(tempfile.mkdtemp()) / "board.sqlite")  # the instructor's side, here on this machine
print(f"board address: {board.url}   class token: {board.class_token}")

joined = ExperimentDashboard(board=board.url, token=board.class_token, name="me",
                             epochs=pick(3, 2), train_size=min(pick(6000, 1000), len(train[0])))
joined.train(wait=True)  # what the Train button does; joined.show() shows the widget with its Send button
joined.send_to_board(wait=True)  # the "Send to board" button
joined.send_to_board(wait=True)  # again: the board already has it
print(joined.board_message)

with urllib.request.urlopen(f"{board.url}/api/runs") as answer:
    runs = json.load(answer)["runs"]
print(f"{len(runs)} run on the board: {runs[0]['name']}, network {runs[0]['hyperparameters']['widths']}, "
      f"validation accuracy {runs[0]['val_acc']:.2f} %")
board.stop()  # leave this out to keep the board, and open its address in a new browser tab
