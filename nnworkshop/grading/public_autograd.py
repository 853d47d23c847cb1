"""Public checks of exercise q7 (backward passes for the autograd engine), in a file of their own.

Known values and finite differences only, as in ``public``; ``public.QUESTIONS["q7"]`` wraps ``CHECKS`` into its
``PublicCheck``s. Each check raises AssertionError saying what is wrong, or NotImplementedError when a function is
not written yet.
"""

from __future__ import annotations

import numpy as np


def _value(got, shape, what):
    """``got`` as a float array of ``shape`` (NotImplementedError for ``...``/None)."""
    if got is Ellipsis or got is None:
        raise NotImplementedError
    got = np.asarray(got, dtype=float)
    assert got.shape == tuple(shape), f"{what}: expected shape {tuple(shape)} (the shape of that input), got {got.shape}"
    assert np.all(np.isfinite(got)), f"{what}: contains NaN or inf"
    return got


def _pair(got, what):
    if got is Ellipsis or got is None:
        raise NotImplementedError
    assert isinstance(got, (tuple, list)) and len(got) == 2, f"{what} must return two gradients, (da, db)"
    return got


def _slopes(f, x, g, h=1e-6):
    """d sum(f(x) * g) / dx by central differences, one entry at a time (x is not changed)."""
    x = np.asarray(x, dtype=float)
    slopes = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = h
        slopes[i] = (np.sum(f(x + step) * g) - np.sum(f(x - step) * g)) / (2 * h)
    return slopes


def _near(got, want, what, tol=1e-6):
    assert np.allclose(got, want, rtol=tol, atol=tol), \
        f"{what}: largest difference from finite differences {np.abs(got - want).max():.2g}"


def _mul(ns):
    a, b = np.array([[1.0, -2.0], [3.0, 0.5]]), np.array([[4.0, 0.25], [-1.0, 2.0]])
    g = np.array([[1.0, 2.0], [-1.0, 0.5]])
    da, db = _pair(ns["mul_backward"](g, a, b), "mul_backward")
    da, db = _value(da, a.shape, "da"), _value(db, b.shape, "db")
    assert np.allclose(da, g * b) and np.allclose(db, g * a), \
        f"mul_backward: got da = {da.tolist()}, db = {db.tolist()} for a = {a.tolist()}, b = {b.tolist()}, g = {g.tolist()}"


def _matmul(ns):
    rng = np.random.default_rng(0)
    a, b, g = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=(2, 4))
    da, db = _pair(ns["matmul_backward"](g, a, b), "matmul_backward")
    da, db = _value(da, a.shape, "da"), _value(db, b.shape, "db")
    _near(da, _slopes(lambda v: v @ b, a, g), "da")
    _near(db, _slopes(lambda v: a @ v, b, g), "db")


def _sigmoid(ns):
    x = np.linspace(-4, 4, 9).reshape(3, 3)
    g = np.arange(1.0, 10.0).reshape(3, 3) / 4
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    dx = _value(ns["sigmoid_backward"](g, sig(x)), x.shape, "sigmoid_backward")
    _near(dx, _slopes(sig, x, g), "sigmoid_backward")


def _unbroadcast(ns):
    grad = np.arange(24.0).reshape(2, 3, 4)
    for shape, want in (((4,), grad.sum(axis=(0, 1))), ((3, 1), grad.sum(axis=(0, 2)).reshape(3, 1)),
                        ((2, 3, 4), grad), ((), grad.sum())):
        got = _value(ns["unbroadcast"](grad.copy(), shape), shape, f"unbroadcast to {shape}")
        assert np.allclose(got, want), f"unbroadcast to {shape}: got {got.tolist()}, expected {want.tolist()}"


def _log_softmax(ns):
    z = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]])
    g = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, 1.0]])
    lsm = lambda v: v - np.log(np.exp(v).sum(axis=-1, keepdims=True))  # noqa: E731
    dz = _value(ns["log_softmax_backward"](g, lsm(z)), z.shape, "log_softmax_backward")
    _near(dz, _slopes(lsm, z, g), "log_softmax_backward")


# (title, hint, names, run): public.PublicCheck's fields
CHECKS = [
    ("mul_backward gives known values", "each input's gradient is g times the OTHER input.", ("mul_backward",), _mul),
    ("matmul_backward agrees with finite differences",
     "da must have a's shape (N, K): g (N, M) times b.T (M, K); db = a.T @ g.", ("matmul_backward",), _matmul),
    ("sigmoid_backward agrees with finite differences", "g * s * (1 - s), with s the sigmoid's output.",
     ("sigmoid_backward",), _sigmoid),
    ("unbroadcast sums back to (4,), (3, 1), (2, 3, 4) and ()",
     "sum away the extra leading axes, then sum with keepdims=True where shape has a 1.", ("unbroadcast",), _unbroadcast),
    ("log_softmax_backward agrees with finite differences",
     "g minus exp(out) times the row sums of g (keepdims=True).", ("log_softmax_backward",), _log_softmax),
]
