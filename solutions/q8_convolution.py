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
# # Exercise q8: a convolution, forward and backward
#
# A convolutional layer (notebook 07) slides each filter over the image. With images `x` of shape
# `(N, C, H, W)`, filters `w` of shape `(F, C, kh, kw)` (the layout of `torch.nn.Conv2d`) and biases `b` of
# shape `(F,)`, the output has shape `(N, F, OH, OW)` with `OH = (H + 2 * padding - kh) // stride + 1`
# (and `OW` alike), and
#
# $$\text{out}[n, f, i, j] = b_f + \sum_{c,\,p,\,q} x_{\text{pad}}[n, c,\; i \cdot s + p,\; j \cdot s + q]\; w[f, c, p, q]$$
#
# where `x_pad` is `x` with `padding` zeros added on every side of the two spatial axes and `s` is the stride.
# As in PyTorch, the filter is **not** flipped.
#
# Given `dout = dL/d(out)` of shape `(N, F, OH, OW)`, the backward pass returns `(dx, dw, db)`, the gradients
# of the same shapes as `x`, `w` and `b`. Loops are fine (the checks use small images); the formula above,
# differentiated one term at a time, is all you need. Keep the names; `check("q8")` gives quick feedback,
# **not your grade**.

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
def conv_forward(x, w, b, stride=1, padding=0):
    """out (N, F, OH, OW) of the convolution of x (N, C, H, W) with filters w (F, C, kh, kw) and biases b (F,)."""
    n, _, height, width = x.shape
    f, _, kh, kw = w.shape
    oh = (height + 2 * padding - kh) // stride + 1
    ow = (width + 2 * padding - kw) // stride + 1
    out = np.zeros((n, f, oh, ow))
    ### BEGIN SOLUTION
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]  # (N, C, kh, kw)
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
    ### END SOLUTION
    return out


# %%
check("q8", conv_forward)


# %% [markdown]
# ## The backward pass
# Every output `out[n, f, i, j]` came from one patch of `x_pad` and the whole filter `w[f]`. So `dout[n, f, i, j]`
# adds `dout[n, f, i, j] * patch` to `dw[f]`, adds `dout[n, f, i, j] * w[f]` onto that patch of `dx_pad`, and
# adds itself to `db[f]`. At the end, cut the padding off `dx_pad`: `dx` has the shape of `x`.

# %%
def conv_backward(dout, x, w, stride=1, padding=0):
    """(dx, dw, db): the gradients of the loss with respect to x, w and b, given dout = dL/d(out)."""
    f, _, kh, kw = w.shape
    oh, ow = dout.shape[2:]
    ### BEGIN SOLUTION
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dxp, dw = np.zeros_like(xp, dtype=float), np.zeros_like(w, dtype=float)
    for i in range(oh):
        for j in range(ow):
            rows, cols = slice(i * stride, i * stride + kh), slice(j * stride, j * stride + kw)
            g = dout[:, :, i, j]                                      # (N, F)
            dw += np.tensordot(g, xp[:, :, rows, cols], axes=([0], [0]))
            dxp[:, :, rows, cols] += np.tensordot(g, w, axes=([1], [0]))
    dx = dxp[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]]
    db = dout.sum(axis=(0, 2, 3))
    ### END SOLUTION
    return dx, dw, db


# %% [markdown]
# ## Check the backward pass with finite differences
# Take the loss $L = \sum (\text{out} \odot \text{dout})$: its gradient with respect to `out` is exactly `dout`.
# Nudge one entry of `x`, `w` or `b` at a time and watch `L` change.

# %%
rng = np.random.default_rng(0)
x, w, b = rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
dout = rng.normal(size=conv_forward(x, w, b, stride=2, padding=1).shape)
grads = dict(zip(("x", "w", "b"), conv_backward(dout, x, w, stride=2, padding=1)))
for name, value in (("x", x), ("w", w), ("b", b)):
    numeric = np.zeros_like(value)
    for k in np.ndindex(value.shape):
        old = value[k]
        value[k] = old + 1e-5
        up = np.sum(conv_forward(x, w, b, stride=2, padding=1) * dout)
        value[k] = old - 1e-5
        down = np.sum(conv_forward(x, w, b, stride=2, padding=1) * dout)
        value[k] = old
        numeric[k] = (up - down) / 2e-5
    print(f"d{name}: largest difference from finite differences {np.abs(numeric - grads[name]).max():.1e}")

# %%
check("q8")
