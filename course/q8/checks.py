"""Hidden checks of q8, a convolution's forward and backward (notebook 07): each asks the submission's process to
compute on inputs drawn here and compares with the reference answers (``course/reference.py``: torch's own conv2d
and its autograd, in float64) here, in the grader. Points: ``exercise.toml``.

Fixed cases first: sizes that are all different (N, C, H, W, F, kernel), so that mixed-up axes cannot have the
right shape, with padding and a stride of 2; then sizes drawn from ``ctx.rng``. Two mistakes get their own hint:
a flipped filter (a mathematician's convolution, not ``nn.Conv2d``'s) and a ``dx`` that keeps the padding.
"""

from __future__ import annotations

import numpy as np

from nnworkshop.grading.checking import Check, Fail, arr, close, seq

from .. import reference as ref

# (N, C, H, W, F, kernel, stride, padding)
PLAIN = ((2, 3, 7, 6, 4, 3, 1, 0), (1, 2, 5, 8, 3, 2, 1, 0))
PADDED = ((2, 3, 7, 6, 4, 3, 2, 1), (3, 1, 6, 5, 2, 3, 1, 1), (1, 2, 8, 7, 3, 2, 2, 2))


def _drawn(ctx, stride: int, padding: int) -> tuple:
    n, c, f = (int(ctx.rng.integers(1, 4)) for _ in range(3))
    k = int(ctx.rng.integers(1, 4))
    h, w = (int(ctx.rng.integers(k + 1, 9)) for _ in range(2))
    return n, c, h, w, f, k, stride, padding


def _case(ctx, n, c, h, w, f, k, stride, padding):
    x, weights, b = ctx.rng.normal(size=(n, c, h, w)), ctx.rng.normal(size=(f, c, k, k)), ctx.rng.normal(size=f)
    return x, weights, b, dict(stride=stride, padding=padding)


def _says(kw) -> str:
    return f"stride {kw['stride']}, padding {kw['padding']}"


def _forward(cases):
    def run(ctx):
        for dims in (*cases, _drawn(ctx, *cases[0][6:])):
            x, w, b, kw = _case(ctx, *dims)
            want = ref.conv_forward(x, w, b, **kw)
            got = arr(ctx.call("conv_forward", x, w, b, **kw), want.shape, f"conv_forward ({_says(kw)})")
            if not np.allclose(got, want, rtol=1e-5, atol=1e-7) and w.shape[2] > 1 and np.allclose(
                    got, ref.conv_forward(x, w[:, :, ::-1, ::-1], b, **kw), rtol=1e-5, atol=1e-7):
                raise Fail(f"conv_forward ({_says(kw)}): your filter is flipped. nn.Conv2d (and this exercise) slides "
                           "w as it is: out[n, f, i, j] uses w[f, c, p, q] on x_pad[n, c, i*s + p, j*s + q]")
            close(got, want, f"conv_forward ({_says(kw)})")

    return run


def _backward_cases(ctx):
    """(got (dx, dw, db), want (dx, dw, db), x, kw) for the fixed cases and a drawn one."""
    for dims in (*PLAIN, *PADDED, _drawn(ctx, 2, 1)):
        x, w, b, kw = _case(ctx, *dims)
        dout = ctx.rng.normal(size=ref.conv_forward(x, w, b, **kw).shape)
        got = seq(ctx.call("conv_backward", dout, x, w, **kw), 3, f"conv_backward ({_says(kw)})")
        yield got, ref.conv_backward(dout, x, w, **kw), x, kw


def _backward(which: int, name: str):
    def run(ctx):
        for got, want, x, kw in _backward_cases(ctx):
            what = f"conv_backward {name} ({_says(kw)})"
            if which == 0 and kw["padding"] and np.shape(got[0]) == (
                    *x.shape[:2], x.shape[2] + 2 * kw["padding"], x.shape[3] + 2 * kw["padding"]):
                raise Fail(f"{what}: dx has the shape of the padded input {np.shape(got[0])}; the padding is not part "
                           f"of x, so cut it off: dx must have x's shape {x.shape}")
            close(arr(got[which], want[which].shape, what), want[which], what)

    return run


CHECKS = [
    Check("conv_forward", "conv_forward computes the convolution (stride 1, no padding)", _forward(PLAIN)),
    Check("conv_forward_padding_stride", "conv_forward with padding and a stride of 2", _forward(PADDED)),
    Check("conv_backward_db", "conv_backward: db sums dout over images and positions", _backward(2, "db")),
    Check("conv_backward_dw", "conv_backward: dw", _backward(1, "dw")),
    Check("conv_backward_dx", "conv_backward: dx, with and without padding", _backward(0, "dx")),
]
