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
# # Exercise q1: activation functions and their derivatives
#
# <!-- launch: written by `nnworkshop links` from pyproject.toml; edit there -->
# **Run it:** [Open in Colab](https://colab.research.google.com/github/nnworkshop/nnworkshop/blob/main/exercises/q1_activations.ipynb) · [Binder](https://mybinder.org/v2/gh/nnworkshop/nnworkshop/main?urlpath=lab%2Ftree%2Fexercises%2Fq1_activations.ipynb)
# <!-- /launch -->
#
# A neuron computes a weighted sum and passes it through a non-linear **activation**. Backpropagation
# needs each activation's **derivative**. Write six NumPy functions; each takes an array `x` of any
# shape and returns an array of the same shape, elementwise.
#
# | function | value | derivative |
# |---|---|---|
# | sigmoid | $\sigma(x) = 1 / (1 + e^{-x})$ | $\sigma(x)\,(1 - \sigma(x))$ |
# | tanh | $\tanh(x)$ | $1 - \tanh^2(x)$ |
# | ReLU | $\max(0, x)$ | $1$ if $x > 0$, else $0$ (also at $x = 0$) |
#
# Run `check("q1")` for quick feedback. **The public checks are not your grade**: the grader runs
# hidden checks on other inputs. Keep the function names.

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


# %% [markdown]
# ## Sigmoid
# `np.exp(-x)` overflows when `x` is very negative (try `x = -1000`). Use the equivalent
# form $e^{x} / (1 + e^{x})$ where `x < 0`, so no exponent is ever positive.

# %%
def sigmoid(x):
    """Logistic function, elementwise, stable for large |x|."""
    x = np.asarray(x, dtype=float)
    raise NotImplementedError("sigmoid: write your code here, in place of this line.")


def sigmoid_grad(x):
    """Derivative of sigmoid at x."""
    s = sigmoid(x)
    return ...


# %%
check("q1", sigmoid, sigmoid_grad)


# %% [markdown]
# ## Tanh and ReLU

# %%
def tanh(x):
    """Hyperbolic tangent, elementwise."""
    return ...


def tanh_grad(x):
    """Derivative of tanh at x."""
    return ...


def relu(x):
    """max(0, x), elementwise."""
    return ...


def relu_grad(x):
    """1 where x > 0, else 0."""
    return ...


# %%
check("q1")

# %% [markdown]
# ## Look at them
# The derivative of sigmoid is at most 0.25: stacking many sigmoid layers shrinks gradients
# (vanishing gradients). ReLU's derivative is exactly 1 wherever the unit is active.

# %%
xs = np.linspace(-5, 5, 11)
for name, f, df in (("sigmoid", sigmoid, sigmoid_grad), ("tanh", tanh, tanh_grad), ("relu", relu, relu_grad)):
    print(f"{name:8s} max derivative on [-5, 5]: {df(xs).max():.3f}")
