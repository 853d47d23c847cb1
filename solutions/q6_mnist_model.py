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
# # Exercise q6: a model that recognises digits it has never seen
#
# Build and train a PyTorch model on the MNIST **training** digits, then write `predict(images)`.
#
# **Target: at least 90% accuracy on digits you never see.** The grader keeps a set of test digits
# hidden from you (your notebook cannot read them, not even while it is graded), sends their images to
# your `predict`, and counts the correct labels itself.
#
# - `predict(images)` gets a NumPy array of shape `(N, 784)`, float32, normalised exactly like
#   `mnist_tensors`/`mnist_arrays` give them, and returns `N` integer labels 0-9.
# - The grader runs your notebook top to bottom on a CPU with a time limit (60 s per cell): keep the
#   training small (a few epochs of a small network take seconds). Use `num_workers=0`.
# - Choose your settings on a **validation split**: training digits you hold out from training
#   (`nnworkshop.splits.validation_split`, as notebooks 04 and 05 do). The grader's hidden digits play the part
#   of the test set: measured once, after every choice is made.
#
# `check("q6")` gives quick feedback on training digits, **not your grade**.

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
import numpy as np
import torch
from torch import nn

from nnworkshop.data import mnist_tensors
from nnworkshop.splits import validation_split
from nnworkshop.grading import check

torch.manual_seed(0)
x_all, y_all = mnist_tensors(train=True)
n_val = len(y_all) // 6
(x_train, y_train), (x_val, y_val) = validation_split(x_all, y_all, n_val, seed=0)
print(f"{len(y_train)} digits to train on, {n_val} held out for validation")


# %%
def make_model():
    """A network mapping (N, 784) normalised images to (N, 10) class scores."""
    ### BEGIN SOLUTION
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    ### END SOLUTION


def train(model, x, y, epochs=10, batch_size=64):
    """Train model on (x, y) in place."""
    ### BEGIN SOLUTION
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch_size, shuffle=True)
    for _ in range(epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(xb), yb).backward()
            optimizer.step()
    ### END SOLUTION


def predict(images):
    """Integer labels (N,) for float32 images (N, 784) normalised like mnist_tensors."""
    x = torch.as_tensor(np.asarray(images, dtype=np.float32)).reshape(len(images), -1)
    ### BEGIN SOLUTION
    model.eval()
    with torch.no_grad():
        return model(x).argmax(dim=1).numpy()
    ### END SOLUTION


# %%
model = make_model()
train(model, x_train, y_train)
val_acc = float(np.mean(predict(x_val.numpy()) == y_val.numpy()))
print(f"validation accuracy on the {n_val} held-out training digits: {val_acc:.1%} (target on unseen digits: 90%)")

# %%
check("q6")
