"""q8's hidden checks: a convolution's forward and backward (notebook 07), in a module of its own so that the
exercise moves as one piece. The reference is the course's own, ``nnworkshop.scratch.conv`` (tested against
finite differences and ``torch.nn.functional.conv2d``), run here in the parent.

Fixed cases first: sizes that are all different (N, C, H, W, F, kernel), so that mixed-up axes cannot have the
right shape, with padding and a stride of 2; then sizes drawn from the grader's generator. Two mistakes get
their own hint: a flipped kernel (a mathematician's convolution, not ``nn.Conv2d``'s) and a ``dx`` that keeps
the padding.
"""

from __future__ import annotations

import numpy as np

from ...scratch.conv import conv2d_backward, conv2d_forward
from .judging import Check, Fail, arr, close, seq

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


def _forward(cases):
    def run(ctx):
        for dims in (*cases, _drawn(ctx, *cases[0][6:])):
            x, w, b, kw = _case(ctx, *dims)
            want, _ = conv2d_forward(x, w, b, **kw)
            got = arr(ctx.call("conv_forward", x, w, b, **kw), want.shape, f"conv_forward ({_says(kw)})")
            if not np.allclose(got, want, rtol=1e-5, atol=1e-7) and w.shape[2] > 1 and np.allclose(
                    got, conv2d_forward(x, w[:, :, ::-1, ::-1], b, **kw)[0], rtol=1e-5, atol=1e-7):
                raise Fail(f"conv_forward ({_says(kw)}): your filter is flipped. nn.Conv2d (and this exercise) slides "
                           "w as it is: out[n, f, i, j] uses w[f, c, p, q] on x_pad[n, c, i*s + p, j*s + q]")
            close(got, want, f"conv_forward ({_says(kw)})")

    return run


def _says(kw) -> str:
    return f"stride {kw['stride']}, padding {kw['padding']}"


def _backward_cases(ctx):
    """(got (dx, dw, db), want (dx, dw, db), x, kw) for the fixed cases and drawn ones."""
    for dims in (*PLAIN, *PADDED, _drawn(ctx, 2, 1)):
        x, w, b, kw = _case(ctx, *dims)
        out, cache = conv2d_forward(x, w, b, **kw)
        dout = ctx.rng.normal(size=out.shape)
        got = seq(ctx.call("conv_backward", dout, x, w, **kw), 3, f"conv_backward ({_says(kw)})")
        yield got, conv2d_backward(dout, cache), x, kw


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


Q8 = [
    Check("conv_forward", 3, "conv_forward computes the convolution (stride 1, no padding)", _forward(PLAIN)),
    Check("conv_forward_padding_stride", 2, "conv_forward with padding and a stride of 2", _forward(PADDED)),
    Check("conv_backward_db", 1, "conv_backward: db sums dout over images and positions", _backward(2, "db")),
    Check("conv_backward_dw", 2, "conv_backward: dw", _backward(1, "dw")),
    Check("conv_backward_dx", 2, "conv_backward: dx, with and without padding", _backward(0, "dx")),
]
