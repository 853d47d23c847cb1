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
# # Exercise q3: a Linear layer and a two-layer network, forward and backward
#
# A **Linear** layer maps `x` of shape `(N, D)` to `x @ W.T + b` with `W` of shape `(M, D)` and `b` of
# shape `(M,)`: the weight layout `(out_features, in_features)` of notebook 01, `nnworkshop.scratch` and
# `torch.nn.Linear`. Given the gradient `dout = dL/d(out)` of shape `(N, M)`, its backward pass returns
#
# $$dx = dout\, W, \qquad dW = dout^\top x, \qquad db = \textstyle\sum_i dout_i .$$
#
# You check backward passes with **finite differences**: nudge one entry of the input by $\pm h$ and
# watch the loss, $\partial f / \partial x_j \approx (f(x + h e_j) - f(x - h e_j)) / 2h$.
#
# Then the two-layer network `Linear -> ReLU -> Linear -> softmax cross-entropy`, with parameters in a
# dict `{"W1": (H, D), "b1": (H,), "W2": (C, H), "b2": (C,)}`. Keep the names; `check("q3")` gives quick
# feedback, **not your grade**.

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
def linear_forward(x, W, b):
    """out = x @ W.T + b for x (N, D), W (M, D), b (M,); returns (N, M)."""
    return x @ W.T + b  # SOLUTION


def linear_backward(dout, x, W):
    """Gradients (dx, dW, db) of a Linear layer, given dout = dL/d(out) of shape (N, M)."""
    ### BEGIN SOLUTION
    dx = dout @ W
    dW = dout.T @ x
    db = dout.sum(axis=0)
    ### END SOLUTION
    return dx, dW, db


# %% [markdown]
# ## Finite differences
# `numerical_gradient(f, x)` returns an array shaped like `x`. `f` takes the whole array and returns a
# float. Change one entry at a time (in place is fine) and **put it back** afterwards.

# %%
def numerical_gradient(f, x, h=1e-5):
    """Central-difference estimate of the gradient of the scalar function f at x (x is left unchanged)."""
    grad = np.zeros_like(x, dtype=float)
    ### BEGIN SOLUTION
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / (2 * h)
    ### END SOLUTION
    return grad


# %%
check("q3", linear_forward, linear_backward, numerical_gradient)

# %% [markdown]
# ## Check linear_backward with finite differences
# Take the loss $L = \sum (\text{out} \odot \text{dout})$: its gradient with respect to `out` is exactly `dout`.

# %%
rng = np.random.default_rng(0)
x, W, b, dout = rng.normal(size=(4, 3)), rng.normal(size=(2, 3)), rng.normal(size=2), rng.normal(size=(4, 2))
dx, dW, db = linear_backward(dout, x, W)
for name, value, analytic in (("x", x, dx), ("W", W, dW), ("b", b, db)):
    def loss(v, name=name):
        args = {"x": x, "W": W, "b": b, name: v}
        return float(np.sum(linear_forward(args["x"], args["W"], args["b"]) * dout))

    print(f"d{name}: largest difference from finite differences {np.abs(numerical_gradient(loss, value) - analytic).max():.1e}")


# %% [markdown]
# ## A two-layer network
# Forward: `h = relu(x @ W1.T + b1)`, `z = h @ W2.T + b2`, loss = mean softmax cross-entropy of `z`.
# Backward: the cross-entropy gradient `(softmax(z) - onehot(y)) / N`, then Linear backward, the ReLU
# mask (gradient flows only where `x @ W1.T + b1 > 0`), Linear backward. Return `(loss, grads)` with
# `grads` a dict with the same keys as `params`. Write the softmax yourself (or copy yours from q2).

# %%
def two_layer_loss(x, y, params):
    """(loss, grads) of the network Linear-ReLU-Linear with mean softmax cross-entropy."""
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    ### BEGIN SOLUTION
    h_pre = linear_forward(x, W1, b1)
    h = np.maximum(h_pre, 0.0)
    z = linear_forward(h, W2, b2)
    shifted = z - z.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(y)
    loss = float(-log_probs[np.arange(n), y].mean())
    dz = np.exp(log_probs)
    dz[np.arange(n), y] -= 1.0
    dz /= n
    dh, dW2, db2 = linear_backward(dz, h, W2)
    dh_pre = dh * (h_pre > 0)
    _, dW1, db1 = linear_backward(dh_pre, x, W1)
    grads = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    ### END SOLUTION
    return loss, grads


# %%
check("q3")
