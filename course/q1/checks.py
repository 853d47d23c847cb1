"""Hidden checks of q1, activations: each asks the submission's process to compute on inputs drawn here and
compares with the reference answers (``course/reference.py``) here, in the grader. Points: ``exercise.toml``."""

from __future__ import annotations

import numpy as np

from nnworkshop.grading.checking import Check, arr, close

from .. import reference as ref


def _shape(rng):
    return (int(rng.integers(3, 9)), int(rng.integers(2, 7)))


# Fixed inputs for the elementwise functions: zero, small and moderate values of both signs, in a shape that
# is neither square nor 1-D (a transposed or flattened answer fails), then a 1-D vector.
EDGE_X = (np.array([[-6.0, -2.5, -1.0, -0.25, 0.0], [0.0, 0.25, 1.0, 2.5, 6.0], [-0.5, 3.0, -3.0, 0.75, -0.0]]),
          np.array([-20.0, -1e-3, 0.0, 1e-3, 20.0]))
EXTREME_X = np.array([-1000.0, -745.5, -710.0, -709.0, -200.0, -1.0, 0.0, 1.0, 200.0, 709.0, 710.0, 745.5, 1000.0])


def _elementwise(name, reference, scale, rtol=1e-6):
    def run(ctx):
        for x in (*EDGE_X, ctx.rng.normal(0, scale, size=_shape(ctx.rng))):
            close(arr(ctx.call(name, x), x.shape, name), reference(x), name, rtol=rtol, atol=1e-9)

    return run


def _sigmoid_extreme(ctx):
    drawn = np.concatenate([ctx.rng.uniform(200, 1000, 5), -ctx.rng.uniform(200, 1000, 5)])
    for x in (EXTREME_X, drawn):  # +-1000 every time: a sigmoid that overflows fails whatever the seed
        got = ctx.call("sigmoid", x, adapter="strict")  # numpy's overflow warning is an error, as in the public check
        close(arr(got, x.shape, "sigmoid"), ref.sigmoid(x), "sigmoid of large |x|", atol=1e-12)


def _relu_grad(ctx):
    fixed = np.array([[-2.0, 0.0, 3.0, -0.0], [0.0, 1e-12, -1e-12, 5.0], [7.0, -7.0, 0.0, 0.0]])  # ties at 0 each time
    x = ctx.rng.normal(0, 2, size=_shape(ctx.rng))
    x.flat[:: 3] = 0.0  # the derivative at 0 is taken to be 0
    for case in (fixed, x):
        close(arr(ctx.call("relu_grad", case), case.shape, "relu_grad"), ref.relu_grad(case), "relu_grad")


CHECKS = [
    Check("sigmoid", "sigmoid matches 1 / (1 + exp(-x)) elementwise, shape kept", _elementwise("sigmoid", ref.sigmoid, 3)),
    Check("sigmoid_extreme", "sigmoid is finite and exact for |x| up to 1000", _sigmoid_extreme),
    Check("sigmoid_grad", "sigmoid_grad(x) is the derivative of sigmoid at x", _elementwise("sigmoid_grad", ref.sigmoid_grad, 3)),
    Check("tanh", "tanh matches the hyperbolic tangent", _elementwise("tanh", np.tanh, 2)),
    Check("tanh_grad", "tanh_grad(x) is the derivative of tanh at x", _elementwise("tanh_grad", ref.tanh_grad, 2)),
    Check("relu", "relu is max(0, x) elementwise", _elementwise("relu", ref.relu, 2)),
    Check("relu_grad", "relu_grad is 1 where x > 0 and 0 elsewhere (0 at x = 0)", _relu_grad),
]
