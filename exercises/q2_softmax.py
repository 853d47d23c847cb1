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
# # Exercise q2: stable softmax, cross-entropy and its gradient
#
# <!-- launch: written by `nnworkshop links` from pyproject.toml; edit there -->
# **Run it:** [Open in Colab](https://colab.research.google.com/github/nnworkshop/nnworkshop/blob/main/exercises/q2_softmax.ipynb) · [Binder](https://mybinder.org/v2/gh/nnworkshop/nnworkshop/main?urlpath=lab%2Ftree%2Fexercises%2Fq2_softmax.ipynb)
# <!-- /launch -->
#
# A classifier outputs one score (**logit**) per class. Softmax turns a row of logits $z$ into
# probabilities, and cross-entropy measures how much probability the true class $y$ got:
#
# $$\mathrm{softmax}(z)_j = \frac{e^{z_j}}{\sum_k e^{z_k}}, \qquad
#   L = \frac{1}{N}\sum_{i=1}^{N} -\log \mathrm{softmax}(z_i)_{y_i}, \qquad
#   \frac{\partial L}{\partial z_i} = \frac{\mathrm{softmax}(z_i) - \mathrm{onehot}(y_i)}{N}.$$
#
# `z` has shape `(N, C)`, `y` holds `N` integer labels. Logits can be in the thousands: subtract each
# row's maximum first (softmax does not change), and compute $\log\mathrm{softmax}$ as
# $z - \max - \log\sum e^{z - \max}$ so that nothing overflows and no $\log 0$ appears.
#
# `check("q2")` runs the public checks; **they are not your grade** (hidden checks use other inputs).

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
def softmax(z):
    """Row-wise softmax of logits z, shape (N, C)."""
    z = np.asarray(z, dtype=float)
    raise NotImplementedError("softmax: write your code here, in place of this line.")


def cross_entropy(z, y):
    """Mean cross-entropy (a float) of logits z (N, C) for integer labels y (N,)."""
    z, y = np.asarray(z, dtype=float), np.asarray(y)
    raise NotImplementedError("cross_entropy: write your code here, in place of this line.")


def cross_entropy_grad(z, y):
    """Gradient of cross_entropy(z, y) with respect to z, shape (N, C)."""
    z, y = np.asarray(z, dtype=float), np.asarray(y)
    raise NotImplementedError("cross_entropy_grad: write your code here, in place of this line.")


# %%
check("q2")

# %% [markdown]
# ## Why the shift matters
# Without subtracting the maximum, `np.exp(1000)` is `inf` and `inf / inf` is `nan`.

# %%
z = np.array([[1000.0, 1001.0, 1002.0]])
print("softmax:", softmax(z).round(4), " loss for class 2:", round(cross_entropy(z, np.array([2])), 4))
