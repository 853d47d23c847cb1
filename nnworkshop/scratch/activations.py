"""Activation functions and their derivatives as plain NumPy functions.

The layers in ``layers.py`` call these; read them side by side with the maths.
Each ``*_grad`` takes what its layer cached in the forward pass and returns
the elementwise derivative.
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


def sigmoid_grad(s):
    """d sigmoid / dx written in terms of the output ``s = sigmoid(x)``: s (1 - s)."""
    return s * (1 - s)


def tanh(x):
    """Hyperbolic tangent."""
    return np.tanh(x)


def tanh_grad(t):
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
