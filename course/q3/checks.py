"""Hidden checks of q3, a Linear layer and a two-layer network: each asks the submission's process to compute on inputs drawn here and
compares with the reference answers (``course/reference.py``) here, in the grader. Points: ``exercise.toml``."""

from __future__ import annotations

import numpy as np

from nnworkshop.grading.checking import Check, Fail, arr, close, num, seq

from .. import reference as ref


def _shape(rng):
    return (int(rng.integers(3, 9)), int(rng.integers(2, 7)))


def _dims(ctx):
    return tuple(int(ctx.rng.integers(2, 7)) for _ in range(3))


# Fixed sizes (N, D, M): all different, so a transposed weight, a swapped argument or a sum over the wrong axis
# cannot have the right shape; random sizes (which may coincide) come on top.
EDGE_DIMS = ((5, 3, 4), (1, 4, 2))


def _linear_forward(ctx):
    for n, d, m in (*EDGE_DIMS, _dims(ctx)):
        x, w, b = ctx.rng.normal(size=(n, d)), ctx.rng.normal(size=(m, d)), ctx.rng.normal(size=m)
        close(arr(ctx.call("linear_forward", x, w, b), (n, m), "linear_forward"), ref.linear_forward(x, w, b),
              "linear_forward")


def _linear_backward(ctx):
    for n, d, m in (*EDGE_DIMS, _dims(ctx)):
        x, w, dout = ctx.rng.normal(size=(n, d)), ctx.rng.normal(size=(m, d)), ctx.rng.normal(size=(n, m))
        got = seq(ctx.call("linear_backward", dout, x, w), 3, "linear_backward")
        for name, g, want in zip(("dx", "dW", "db"), got, ref.linear_backward(dout, x, w)):
            close(arr(g, want.shape, f"linear_backward {name}"), want, f"linear_backward {name}")


def _numerical_gradient(ctx):
    for shape in ((3, 5), _shape(ctx.rng)):
        c, x = ctx.rng.normal(size=shape), ctx.rng.normal(size=shape)
        got, after = seq(ctx.call("numerical_gradient", c, x.copy(), adapter="numgrad"), 2, "numerical_gradient")
        if not np.array_equal(arr(after, shape, "x after numerical_gradient"), x):
            raise Fail("numerical_gradient changed x (largest change "
                       f"{np.max(np.abs(np.asarray(after, float) - x)):.3g}): put each entry back after perturbing it")
        close(arr(got, shape, "numerical_gradient"), c * np.cos(x) + x, "numerical_gradient", rtol=1e-4, atol=1e-6)


def _two_layer_cases(ctx):
    """(got, want) for fixed sizes (N, D, H, C all different; every class present) and then drawn ones."""
    n, d, h = _dims(ctx)
    for (n, d, h, c) in ((6, 4, 5, 3), (n, d, h, int(ctx.rng.integers(3, 6)))):
        x, y = ctx.rng.normal(size=(n, d)), ctx.rng.integers(0, c, size=n)
        if n >= c:
            y[:c] = np.arange(c)
        params = {"W1": ctx.rng.normal(0, 0.5, (h, d)), "b1": ctx.rng.normal(0, 0.5, h),
                  "W2": ctx.rng.normal(0, 0.5, (c, h)), "b2": ctx.rng.normal(0, 0.5, c)}
        yield seq(ctx.call("two_layer_loss", x, y, params), 2, "two_layer_loss"), ref.two_layer_loss(x, y, params)


def _two_layer_value(ctx):
    for got, (loss, _) in _two_layer_cases(ctx):
        close(num(got[0], "two_layer_loss loss"), loss, "two_layer_loss loss")


def _two_layer_grads(ctx):
    for got, (_, grads) in _two_layer_cases(ctx):
        if not isinstance(got[1], dict):
            raise Fail("two_layer_loss: the second value must be a dict of gradients with keys W1, b1, W2, b2")
        for key, want in grads.items():
            if key not in got[1]:
                raise Fail(f"two_layer_loss: no gradient for {key}")
            close(arr(got[1][key], want.shape, f"gradient of {key}"), want, f"gradient of {key}")


CHECKS = [
    Check("linear_forward", "linear_forward computes x @ W.T + b, W of shape (out, in)", _linear_forward),
    Check("linear_backward", "linear_backward returns dx, dW, db", _linear_backward),
    Check("numerical_gradient", "numerical_gradient estimates a gradient by central differences", _numerical_gradient),
    Check("two_layer_loss", "two_layer_loss returns the softmax cross-entropy of the two-layer network", _two_layer_value),
    Check("two_layer_grads", "two_layer_loss returns the gradient of every parameter", _two_layer_grads),
]
