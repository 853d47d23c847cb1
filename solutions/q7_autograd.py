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
# # Exercise q7: backward passes for the autograd engine
#
# Notebook 02's engine (`nnworkshop.scratch.autograd`) records every operation with its **backward**: a function
# that takes `g`, the gradient of the loss with respect to the operation's output (it has the output's shape),
# and returns one gradient per input, each of **that input's shape**. Here you write five of them as plain
# functions. The grader then plugs yours into the engine in place of its own and differentiates a small network
# (`x @ W1.T + b1`, sigmoid, `@ W2.T + b2`, log-softmax cross-entropy) with them.
#
# - `mul_backward(g, a, b)`: for `out = a * b` (elementwise, same shapes), return `(da, db)`;
# - `matmul_backward(g, a, b)`: for `out = a @ b` with `a` (N, K) and `b` (K, M), return `(da, db)`;
# - `sigmoid_backward(g, s)`: for `s = sigmoid(x)`, return `dx`, computed from the **output** `s`;
# - `unbroadcast(grad, shape)`: NumPy broadcast an input of `shape` up to `grad`'s shape (a bias `(H,)` added to
#   `(N, H)` rows); sum `grad` back down to `shape` (leading axes summed away, axes of size 1 kept);
# - `log_softmax_backward(g, out)`: for `out = log_softmax(z)` along the last axis, return `dz`, computed from `out`.
#
# Keep the names; `check("q7")` gives quick feedback, **not your grade**.

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
# ## Products
# The product rule: each input's gradient is `g` times the *other* input. For the matrix product, let the
# shapes tell you where the transposes go: `da` must be (N, K) and `db` (K, M), and `g` is (N, M).

# %%
def mul_backward(g, a, b):
    """(da, db) for out = a * b, elementwise (a, b, g of one shape)."""
    return g * b, g * a  # SOLUTION


def matmul_backward(g, a, b):
    """(da, db) for out = a @ b: a (N, K), b (K, M), g (N, M); da (N, K), db (K, M)."""
    return g @ b.T, a.T @ g  # SOLUTION


# %% [markdown]
# ## An activation, from its output
# $\sigma'(x) = \sigma(x)(1 - \sigma(x))$: the engine keeps the output `s`, so no `exp` is needed here.

# %%
def sigmoid_backward(g, s):
    """dx for s = sigmoid(x), given the output s and g = dL/ds (same shape)."""
    return g * s * (1 - s)  # SOLUTION


# %% [markdown]
# ## Broadcasting
# `x @ W.T + b` adds `b` (shape `(H,)`) to every row of an `(N, H)` array. Every row used the same `b`, so its
# gradient is the sum over the rows. In general: sum away the leading axes `grad` has and `shape` has not, then
# sum (keeping the axis) every axis where `shape` has size 1 and `grad` has more. `shape=()` (a number) sums all.

# %%
def unbroadcast(grad, shape):
    """grad summed down to shape (a tuple of ints), undoing NumPy broadcasting."""
    ### BEGIN SOLUTION
    grad = np.asarray(grad)
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    ### END SOLUTION
    return grad


# %% [markdown]
# ## Log-softmax
# $\text{out}_i = z_i - \log \sum_j e^{z_j}$ along the last axis, so $\partial \text{out}_i / \partial z_k =
# [i = k] - \text{softmax}(z)_k$, and softmax(z) is `exp(out)`. Sum over $i$ with the weights `g`: every row of
# `dz` is that row's `g` minus `softmax` times the sum of that row's `g`.

# %%
def log_softmax_backward(g, out):
    """dz for out = log_softmax(z) along the last axis, given the output out and g = dL/d(out) (same shape)."""
    return g - np.exp(out) * g.sum(axis=-1, keepdims=True)  # SOLUTION


# %%
check("q7")

# %% [markdown]
# ## What `backward()` does with them
# The engine calls these in reverse topological order. Here by hand, for one small network and the loss
# $L = $ mean cross-entropy, compared with finite differences (the check of notebook 01). Read it from the bottom
# of the forward pass up: every line of the backward pass is one of your functions.

# %%
rng = np.random.default_rng(0)
x, y = rng.normal(size=(5, 4)), np.array([0, 2, 1, 2, 0])
params = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=3), "W2": rng.normal(size=(3, 3)), "b2": rng.normal(size=3)}


def loss_and_grads(p):
    z1 = x @ p["W1"].T + p["b1"]                       # matmul, then add (broadcast)
    s = 1 / (1 + np.exp(-z1))                          # sigmoid
    z2 = s @ p["W2"].T + p["b2"]
    out = z2 - z2.max(axis=1, keepdims=True)
    out = out - np.log(np.exp(out).sum(axis=1, keepdims=True))  # log_softmax
    n = len(y)
    loss = -out[np.arange(n), y].mean()
    g_out = np.zeros_like(out)
    g_out[np.arange(n), y] = -1 / n                    # backward of mean, index and minus
    g_z2 = log_softmax_backward(g_out, out)
    db2 = unbroadcast(g_z2, p["b2"].shape)
    g_s, dW2T = matmul_backward(g_z2, s, p["W2"].T)
    g_z1 = sigmoid_backward(g_s, s)
    db1 = unbroadcast(g_z1, p["b1"].shape)
    _, dW1T = matmul_backward(g_z1, x, p["W1"].T)
    return loss, {"W1": dW1T.T, "b1": db1, "W2": dW2T.T, "b2": db2}   # the transpose's backward: transpose back


loss, grads = loss_and_grads(params)
for name, value in params.items():
    numeric = np.zeros_like(value)
    for i in np.ndindex(value.shape):
        old = value[i]
        value[i] = old + 1e-6
        up = loss_and_grads(params)[0]
        value[i] = old - 1e-6
        down = loss_and_grads(params)[0]
        value[i] = old
        numeric[i] = (up - down) / 2e-6
    print(f"d{name}: largest difference from finite differences {np.abs(numeric - grads[name]).max():.1e}")
