"""Gradient checking: compare backward's gradients with centred finite differences.

    numeric = (f(w + eps) - f(w - eps)) / (2 eps)          for one entry w at a time
    relative error = |analytic - numeric| / max(|analytic| + |numeric|, tiny)   (CS231n)

Everything runs on a float64 copy, so the model you pass is left untouched and
float32 rounding does not drown the comparison. In float64 a correct backward
gives errors around 1e-7 or below; 1e-2 means a bug. Entries whose gradient is
itself tiny (|g| < 1e-6) can show ~1e-5 from rounding in f(w + eps) - f(w - eps):
compare those by absolute size, or raise ``tiny``.
"""

from __future__ import annotations

import copy

import numpy as np

from .layers import Module
from .loss import SoftmaxCrossEntropy


def rel_error(a, b, tiny: float = 1e-8) -> float:
    """Largest elementwise |a - b| / max(|a| + |b|, tiny)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), tiny)))


def numerical_gradient(f, x: np.ndarray, eps: float = 1e-5, indices=None) -> np.ndarray:
    """Centred differences of the scalar ``f()`` with respect to the entries of ``x``
    (flat ``indices``, all by default). ``x`` is nudged in place and restored."""
    flat = x.reshape(-1)  # a view: writing into it changes x
    indices = range(flat.size) if indices is None else indices
    grad = np.empty(len(indices))
    for k, i in enumerate(indices):
        old = flat[i]
        flat[i] = old + eps
        f_plus = f()
        flat[i] = old - eps
        f_minus = f()
        flat[i] = old
        grad[k] = (f_plus - f_minus) / (2 * eps)
    return grad


def _float64_copy(layer: Module) -> Module:
    layer = copy.deepcopy(layer)
    for p in layer.parameters():
        p.data = np.array(p.data, dtype=np.float64)
        p.grad = None
    return layer


def _sample(size: int, n_checks, rng) -> np.ndarray:
    if n_checks is None or size <= n_checks:
        return np.arange(size)
    return np.sort(rng.choice(size, n_checks, replace=False))


def gradient_check(model_or_fn, X, y, loss_fn=None, eps: float = 1e-5, n_checks=None, seed=0,
                   tiny: float = 1e-8) -> dict[str, float]:
    """Max relative error between backprop and finite differences, per parameter.

    ``model_or_fn``: a model (checked in eval mode on a float64 copy, so Dropout is off
    and every forward pass computes the same function) or a function
    ``fn(X, y) -> (loss, dloss/dX)`` (then the input gradient is checked, key 'input').
    ``n_checks``: check that many random entries per parameter (all by default).
    Returns e.g. ``{'0.weight': 3e-9, '0.bias': 1e-10, ...}``.
    """
    rng = np.random.default_rng(seed)
    X = np.array(X, dtype=np.float64)
    loss_fn = SoftmaxCrossEntropy() if loss_fn is None else loss_fn
    if not isinstance(model_or_fn, Module):
        fn = model_or_fn
        _, analytic = fn(X, y)
        analytic = np.array(analytic, dtype=np.float64)
        idx = _sample(X.size, n_checks, rng)
        numeric = numerical_gradient(lambda: fn(X, y)[0], X, eps, idx)
        return {"input": rel_error(analytic.reshape(-1)[idx], numeric, tiny)}

    model = _float64_copy(model_or_fn).eval()
    model.zero_grad()
    loss_fn(model(X), y)
    model.backward(loss_fn.backward())
    errors = {}
    for name, p in model.named_parameters():
        idx = _sample(p.data.size, n_checks, rng)
        numeric = numerical_gradient(lambda: loss_fn(model(X), y), p.data, eps, idx)
        errors[name] = rel_error(p.grad.reshape(-1)[idx], numeric, tiny)
    return errors


def check_layer(layer: Module, x, eps: float = 1e-5, seed=0, tiny: float = 1e-8,
                **forward_kwargs) -> dict[str, float]:
    """Check one layer's backward: its input gradient ('input') and its parameters' gradients.

    Uses the scalar loss sum(layer(x) * R) for a fixed random R, so backward receives
    grad_out = R. ``forward_kwargs`` go to the forward pass, e.g. ``mask=`` for Dropout
    (checked in whatever mode the layer is in).
    """
    layer = _float64_copy(layer)
    x = np.array(x, dtype=np.float64)
    R = np.random.default_rng(seed).standard_normal(layer(x, **forward_kwargs).shape)

    def f():
        return float(np.sum(layer(x, **forward_kwargs) * R))

    layer.zero_grad()
    f()
    errors = {"input": rel_error(layer.backward(R), numerical_gradient(f, x, eps).reshape(x.shape), tiny)}
    for name, p in layer.named_parameters():
        errors[name] = rel_error(p.grad, numerical_gradient(f, p.data, eps).reshape(p.shape), tiny)
    return errors
