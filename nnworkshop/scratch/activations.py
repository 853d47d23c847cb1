"""Activation functions and their derivatives as plain NumPy functions.

The layers in ``layers.py`` call these; read them side by side with the maths.

One convention, the same in notebook 01, here, and exercises q1 and q2, so that a wrong guess is impossible:

- ``f_grad(x)`` takes the **input** ``x`` and returns d f / dx at ``x`` (what q1 asks for);
- ``f_grad_from_output(y)`` takes the **output** ``y = f(x)``: the cheaper form a layer uses, since it keeps
  its output from the forward pass (``sigmoid_grad_from_output(s) = s (1 - s)``).

Losses take **logits** (``loss.cross_entropy(logits, y)``, like ``torch.nn.functional.cross_entropy``); the
form that takes probabilities says so in its name (01's ``cross_entropy_from_probs``).
"""

from __future__ import annotations

import numpy as np


def relu(x):
    """max(0, x)."""
    return np.maximum(x, 0)


def relu_grad(x):
    """d relu / dx: 1 where x > 0, else 0 (as x's dtype)."""
    return (x > 0).astype(x.dtype)


def leaky_relu(x, negative_slope: float = 0.01):
    """x where x > 0, ``negative_slope * x`` elsewhere."""
    return np.where(x > 0, x, negative_slope * x)


def leaky_relu_grad(x, negative_slope: float = 0.01):
    """1 where x > 0, ``negative_slope`` elsewhere."""
    return np.where(x > 0, 1, negative_slope).astype(x.dtype)


def sigmoid(x):
    """1 / (1 + exp(-x)), computed without overflow for large negative x."""
    # exp(-|x|) never overflows; the two branches are the same function rearranged.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(x):
    """d sigmoid / dx at the input ``x``: s (1 - s) with s = sigmoid(x)."""
    return sigmoid_grad_from_output(sigmoid(x))


def sigmoid_grad_from_output(s):
    """d sigmoid / dx written in terms of the output ``s = sigmoid(x)``: s (1 - s)."""
    return s * (1 - s)


def tanh(x):
    """Hyperbolic tangent."""
    return np.tanh(x)


def tanh_grad(x):
    """d tanh / dx at the input ``x``: 1 - tanh(x)^2."""
    return tanh_grad_from_output(np.tanh(x))


def tanh_grad_from_output(t):
    """d tanh / dx written in terms of the output ``t = tanh(x)``: 1 - t^2."""
    return 1 - t * t


def softmax(z, axis: int = -1):
    """exp(z) / sum(exp(z)) along ``axis``, shifted by the max so exp never overflows."""
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def log_softmax(z, axis: int = -1):
    """log(softmax(z)) by the log-sum-exp trick: z - max - log(sum(exp(z - max)))."""
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
