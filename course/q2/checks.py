"""Hidden checks of q2, softmax and cross-entropy: each asks the submission's process to compute on inputs drawn here and
compares with the reference answers (``course/reference.py``) here, in the grader. Points: ``exercise.toml``."""

from __future__ import annotations

import numpy as np

from nnworkshop.grading.checking import Check, arr, close, num

from .. import reference as ref


def _logits(ctx, scale=3.0):
    n, c = int(ctx.rng.integers(3, 9)), int(ctx.rng.integers(3, 11))
    return ctx.rng.normal(0, scale, size=(n, c)), ctx.rng.integers(0, c, size=n)


# Fixed logits: more rows than classes (a softmax over the wrong axis fails), a row of ties, a shifted row.
EDGE_Z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-1.0, 0.5, 4.0], [101.0, 102.0, 103.0], [2.0, -3.0, 0.0]])
EDGE_Y = np.array([0, 2, 1, 2, 0])
# Fixed large logits: every row overflows np.exp, and the labels sit on the smallest logits too (log(softmax)
# gives log(0) there), so an unstable softmax or cross-entropy fails whatever the seed.
BIG_Z = np.array([[1000.0, 1000.0, 0.0, -1000.0], [-1000.0, 0.0, 1000.0, 999.0], [1000.0, -1000.0, 999.5, 0.0]])
BIG_Y = np.array([3, 0, 1])


def _softmax(ctx):
    for z in (EDGE_Z, _logits(ctx)[0]):
        close(arr(ctx.call("softmax", z), z.shape, "softmax"), ref.softmax(z), "softmax")


def _softmax_stable(ctx):
    z, _ = _logits(ctx, 400.0)
    z[0] += 1000
    for case in (BIG_Z, z):
        close(arr(ctx.call("softmax", case), case.shape, "softmax"), ref.softmax(case), "softmax of large logits",
              atol=1e-9)


def _ce(ctx):
    for z, y in ((EDGE_Z, EDGE_Y), _logits(ctx)):
        close(num(ctx.call("cross_entropy", z, y), "cross_entropy"), ref.cross_entropy(z, y), "cross_entropy")


def _ce_stable(ctx):
    for z, y in ((BIG_Z, BIG_Y), _logits(ctx, 300.0)):
        close(num(ctx.call("cross_entropy", z, y), "cross_entropy"), ref.cross_entropy(z, y),
              "cross_entropy of large logits")


def _ce_grad(ctx):
    for z, y in ((EDGE_Z, EDGE_Y), _logits(ctx)):
        close(arr(ctx.call("cross_entropy_grad", z, y), z.shape, "cross_entropy_grad"), ref.cross_entropy_grad(z, y),
              "cross_entropy_grad")


CHECKS = [
    Check("softmax", "softmax of each row", _softmax),
    Check("softmax_stable", "softmax does not overflow for logits in the thousands", _softmax_stable),
    Check("cross_entropy", "cross_entropy is the mean negative log-probability of the labels", _ce),
    Check("cross_entropy_stable", "cross_entropy is finite and exact for large logits", _ce_stable),
    Check("cross_entropy_grad", "cross_entropy_grad is the gradient of the mean loss", _ce_grad),
]
