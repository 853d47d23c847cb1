"""q8's public checks (a convolution's forward and backward, notebook 07): what ``check("q8")`` runs in the
learner's notebook, listed in ``public.QUESTIONS`` like the other built-in exercises'. Known values and properties
only, as in ``public``; q8's hidden checks, points and reference answers stay in the course folder (``course/q8/``,
``course/reference.py``)."""

from __future__ import annotations

import numpy as np

from .public_kit import PublicCheck, near

# x (1, 2, 5, 5), w (2, 2, 3, 3), b (2,), stride 2, padding 1 -> out (1, 2, 3, 3), worked out once
X8 = np.arange(50.0).reshape(1, 2, 5, 5) / 10
W8 = np.arange(36.0).reshape(2, 2, 3, 3) % 5 - 2
B8 = np.array([1.0, -1.0])
OUT8 = [[[[6.1, 0.0, -5.8], [-0.5, -4.4, -8.5], [0.9, 7.8, 7.3]],
         [[-5.2, -6.8, 0.1], [0.8, 0.4, 5.1], [8.6, -0.5, -7.8]]]]


def _q8_edge(ns):
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    w = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])  # top-left minus bottom-right: x[i, j] - x[i+1, j+1] = -5
    near(ns["conv_forward"](x, w, np.array([0.5])), np.full((1, 1, 3, 3), -4.5), "conv_forward of a 4x4 ramp")


def _q8_padded(ns):
    near(ns["conv_forward"](X8, W8, B8, stride=2, padding=1), OUT8, "conv_forward with stride 2, padding 1")


def _q8_shapes(ns):
    x, w = np.ones((2, 3, 5, 4)), np.ones((4, 3, 3, 3))
    dout = np.arange(2 * 4 * 3 * 2, dtype=float).reshape(2, 4, 3, 2)  # stride 1, no padding on a 5x4 image: 3x2
    got = ns["conv_backward"](np.ones((2, 4, 5, 4)), x, w, stride=1, padding=1)  # padding 1 keeps 5x4
    assert isinstance(got, tuple) and len(got) == 3, "conv_backward must return a tuple (dx, dw, db)"
    assert np.shape(got[0]) == x.shape, f"dx must have x's shape {x.shape} (cut the padding off), got {np.shape(got[0])}"
    assert np.shape(got[1]) == w.shape, f"dw must have w's shape {w.shape}, got {np.shape(got[1])}"
    near(ns["conv_backward"](dout, x, w)[2], dout.sum(axis=(0, 2, 3)), "db")


def _q8_numeric(ns):
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(2, 2, 5, 4)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    out = np.asarray(ns["conv_forward"](x, w, b, stride=2, padding=1), dtype=float)
    dout = rng.normal(size=out.shape)
    got = ns["conv_backward"](dout, x, w, stride=2, padding=1)
    for name, value, grad in (("dx", x, got[0]), ("dw", w, got[1]), ("db", b, got[2])):
        numeric = np.zeros_like(value)
        for k in np.ndindex(value.shape):
            old = value[k]
            value[k] = old + 1e-5
            up = np.sum(np.asarray(ns["conv_forward"](x, w, b, stride=2, padding=1)) * dout)
            value[k] = old - 1e-5
            down = np.sum(np.asarray(ns["conv_forward"](x, w, b, stride=2, padding=1)) * dout)
            value[k] = old
            numeric[k] = (up - down) / 2e-5
        grad = np.asarray(grad, dtype=float)
        what = f"{name} vs finite differences of your conv_forward (stride 2, padding 1)"
        assert grad.shape == numeric.shape, f"{what}: expected shape {numeric.shape}, got {grad.shape}"
        wrong = ~np.isclose(grad, numeric, rtol=1e-4, atol=1e-4)
        assert not wrong.any(), (f"{what}: {int(wrong.sum())} of {wrong.size} values differ, by up to "
                                 f"{np.abs(grad - numeric).max():.3g}")


Q8 = [
    PublicCheck("conv_forward gives a known value", "multiply the patch under the filter by the filter and sum; the "
                "filter is not flipped (as in nn.Conv2d), and the bias is added to every position.", ("conv_forward",), _q8_edge),
    PublicCheck("conv_forward with stride 2 and padding 1 gives a known value",
                "pad x with zeros first (np.pad on the last two axes); move the filter by `stride` pixels per step.",
                ("conv_forward",), _q8_padded),
    PublicCheck("conv_backward returns (dx, dw, db) of the right shapes; db sums dout",
                "dx has x's shape (cut the padding off at the end); db sums dout over images and positions.",
                ("conv_backward",), _q8_shapes),
    PublicCheck("conv_backward agrees with finite differences of your conv_forward",
                "each dout[n, f, i, j] adds dout * patch to dw[f] and dout * w[f] onto the patch of dx_pad.",
                ("conv_forward", "conv_backward"), _q8_numeric),
]
