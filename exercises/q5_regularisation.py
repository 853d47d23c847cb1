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
# # Exercise q5: dropout and L2 regularisation
#
# <!-- launch: written by `nnworkshop links` from pyproject.toml; edit there -->
# **Run it:** [Open in Colab](https://colab.research.google.com/github/nnworkshop/nnworkshop/blob/main/exercises/q5_regularisation.ipynb) · [Binder](https://mybinder.org/v2/gh/nnworkshop/nnworkshop/main?urlpath=lab%2Ftree%2Fexercises%2Fq5_regularisation.ipynb)
# <!-- /launch -->
#
# **Dropout** (inverted): during training each unit is zeroed with probability `p` and the kept ones
# are scaled by $1 / (1 - p)$, so the expected output equals the input and nothing changes at test time.
# `dropout_forward(x, p, train, rng)` returns `(out, mask)` where `mask` is the array that multiplies `x`
# (entries `0` or `1 / (1 - p)`); draw the randomness **from `rng`** (a `numpy.random.Generator`). In eval
# mode (`train=False`) return `x` unchanged and a mask of ones. Backward multiplies the gradient by the mask.
#
# **L2 regularisation** adds $\frac{\lambda}{2}\sum_W \lVert W \rVert^2$ to the loss for a list of weight
# arrays; its gradient with respect to each `W` is $\lambda W$ ("weight decay").
#
# `check("q5")`: quick feedback, **not your grade**.

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

from nnworkshop.grading import check


# %%
def dropout_forward(x, p, train=True, rng=None):
    """Inverted dropout: (out, mask) with out = x * mask; identity (mask of ones) when train is False."""
    rng = np.random.default_rng() if rng is None else rng
    x = np.asarray(x, dtype=float)
    raise NotImplementedError("dropout_forward: write your code here, in place of this line.")
    return x * mask, mask


def dropout_backward(dout, mask):
    """Gradient through dropout: dout times the mask of the forward pass."""
    return ...


def l2_penalty(weights, lam):
    """lam / 2 times the sum of squares of every array in the list weights."""
    return ...


def l2_grad(W, lam):
    """Gradient of the L2 penalty with respect to one weight array W."""
    return ...


# %%
check("q5")

# %% [markdown]
# ## Dropout keeps the mean
# Averaged over many units, training-mode dropout leaves the mean activation where it was.

# %%
x = np.ones((1000, 100))
for p in (0.1, 0.5, 0.8):
    out, mask = dropout_forward(x, p, train=True, rng=np.random.default_rng(0))
    print(f"p = {p}: dropped {np.mean(mask == 0):.1%}, mean output {out.mean():.3f}")
