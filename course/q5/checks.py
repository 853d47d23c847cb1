"""Hidden checks of q5, dropout and L2: each asks the submission's process to compute on inputs drawn here and
compares with the reference answers (``course/reference.py``) here, in the grader. Points: ``exercise.toml``."""

from __future__ import annotations

import numpy as np

from nnworkshop.grading.checking import Check, Fail, arr, close, num, seq


def _shape(rng):
    return (int(rng.integers(3, 9)), int(rng.integers(2, 7)))


def _dropout_train(ctx):
    for p in (0.5, float(ctx.rng.choice([0.2, 0.3, 0.6]))):  # p = 0.5 every time, another p drawn on top
        x = ctx.rng.normal(size=(100, 100)) + 3.0
        got = seq(ctx.call("dropout_forward", x, p, True, int(ctx.rng.integers(2**31)), adapter="dropout"), 2,
                  "dropout_forward")
        out, mask = arr(got[0], x.shape, "dropout output"), arr(got[1], x.shape, "dropout mask")
        kept = 1.0 / (1.0 - p)
        if not np.all(np.isclose(mask, 0) | np.isclose(mask, kept)):
            raise Fail("dropout mask: every entry must be 0 or 1 / (1 - p) (inverted dropout)")
        close(out, x * mask, "dropout output (must equal x * mask)")
        if abs(float(np.mean(mask == 0)) - p) > 0.03:
            raise Fail(f"dropout drops {np.mean(mask == 0):.0%} of the units, not a fraction p")


def _dropout_eval(ctx):
    for shape in ((3, 5), _shape(ctx.rng)):
        x = ctx.rng.normal(size=shape)
        got = seq(ctx.call("dropout_forward", x, 0.5, False, int(ctx.rng.integers(2**31)), adapter="dropout"), 2,
                  "dropout_forward")
        close(arr(got[0], x.shape, "dropout output in eval mode"), x, "dropout in eval mode must return x unchanged")


def _dropout_backward(ctx):
    for shape in ((3, 5), _shape(ctx.rng)):
        mask = (ctx.rng.random(shape) > 0.4) / 0.6
        dout = ctx.rng.normal(size=shape)
        close(arr(ctx.call("dropout_backward", dout, mask), shape, "dropout_backward"), dout * mask,
              "dropout_backward")


def _l2_penalty(ctx):
    fixed = [np.arange(-3.0, 3.0).reshape(2, 3), np.array([0.5, -1.5, 2.0]), np.ones((4, 1))]  # several, all counted
    drawn = [ctx.rng.normal(size=_shape(ctx.rng)) for _ in range(int(ctx.rng.integers(1, 4)))]
    for weights, lam in ((fixed, 0.1), (drawn, float(ctx.rng.uniform(1e-3, 0.5)))):
        want = 0.5 * lam * sum(float(np.sum(w * w)) for w in weights)
        close(num(ctx.call("l2_penalty", weights, lam), "l2_penalty"), want, "l2_penalty")


def _l2_grad(ctx):
    for w, lam in ((np.arange(-3.0, 3.0).reshape(2, 3), 0.1),
                   (ctx.rng.normal(size=_shape(ctx.rng)), float(ctx.rng.uniform(1e-3, 0.5)))):
        close(arr(ctx.call("l2_grad", w, lam), w.shape, "l2_grad"), lam * w, "l2_grad")


CHECKS = [
    Check("dropout_train", "training-mode dropout zeroes a fraction p and scales the rest by 1 / (1 - p)", _dropout_train),
    Check("dropout_eval", "eval-mode dropout is the identity", _dropout_eval),
    Check("dropout_backward", "dropout_backward passes gradients through the mask", _dropout_backward),
    Check("l2_penalty", "l2_penalty is lam / 2 times the sum of squared weights", _l2_penalty),
    Check("l2_grad", "l2_grad is the gradient of the penalty", _l2_grad),
]
