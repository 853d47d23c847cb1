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
# # Exercise q4: a PyTorch training step and an evaluation loop
#
# PyTorch computes gradients for you (autograd); you still write the loop. Two functions:
#
# - `train_step(model, optimizer, x, y)`: one step of gradient descent on the batch `(x, y)` with the
#   mean cross-entropy loss (`torch.nn.functional.cross_entropy`). Zero the old gradients first
#   (PyTorch *adds* new gradients to old ones), backpropagate, step, and return the loss **as a Python
#   float** (the loss before the update).
# - `evaluate(model, loader)`: the mean loss **per sample** and the accuracy (a fraction in [0, 1]) over
#   every batch of a `DataLoader`. Switch the model to eval mode (dropout off) and turn off gradient
#   tracking. The last batch may be smaller: weight each batch's loss by its size.
#
# `check("q4")` gives quick feedback, **not your grade**: the grader checks the parameters after
# several steps, and evaluates models and loaders it makes itself.

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
import torch
import torch.nn.functional as F

from nnworkshop.grading import check


# %%
def train_step(model, optimizer, x, y):
    """One optimisation step on (x, y); returns the batch's mean cross-entropy before the step, as a float."""
    model.train()
    ### BEGIN SOLUTION
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()
    ### END SOLUTION


def evaluate(model, loader):
    """(mean loss per sample, accuracy as a fraction) of model over every batch of loader."""
    total_loss, correct, count = 0.0, 0, 0
    ### BEGIN SOLUTION
    model.eval()
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            total_loss += F.cross_entropy(out, y, reduction="sum").item()
            correct += (out.argmax(dim=1) == y).sum().item()
            count += len(y)
    ### END SOLUTION
    return total_loss / count, correct / count


# %%
check("q4")

# %% [markdown]
# ## Use them: a few epochs on a toy problem
# Points inside a circle are class 1, outside class 0.

# %%
torch.manual_seed(0)
x = torch.randn(512, 2)
y = (x.pow(2).sum(dim=1) < 1.0).long()
data = torch.utils.data.TensorDataset(x, y)
train_loader = torch.utils.data.DataLoader(data, batch_size=64, shuffle=True)
model = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
for epoch in range(5):
    for xb, yb in train_loader:
        train_step(model, optimizer, xb, yb)
    loss, acc = evaluate(model, train_loader)
    print(f"epoch {epoch + 1}: loss {loss:.3f}, accuracy {acc:.1%}")
