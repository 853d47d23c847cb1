"""Max-pooling by hand, like ``torch.nn.MaxPool2d``: each window of pixels keeps only its largest value.

    out[n, c, i, j] = max over p, q < kernel of  x[n, c, i*stride + p, j*stride + q]

The backward pass sends each output's gradient to the one pixel that was the maximum (the first one, when
several tie, as torch does); every other pixel gets zero. Shapes: (N, C, H, W) -> (N, C, OH, OW),
``OH = (H - kernel) // stride + 1``.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .layers import Module


def _windows(x, kernel: int, stride: int):
    """x (N, C, H, W) -> every pooling window, (N, C, OH, OW, kernel * kernel), a view where it can be."""
    w = sliding_window_view(x, (kernel, kernel), axis=(2, 3))[:, :, ::stride, ::stride]
    return w.reshape(*w.shape[:4], kernel * kernel)


def maxpool_forward(x, kernel: int = 2, stride: int | None = None):
    """x (N, C, H, W) -> (out (N, C, OH, OW), cache for ``maxpool_backward``). ``stride`` defaults to ``kernel``."""
    x = np.asarray(x)
    stride = kernel if stride is None else stride
    if x.ndim != 4:
        raise ValueError(f"max-pooling takes images of shape (N, C, H, W), got shape {x.shape}.")
    if kernel < 1 or stride < 1 or kernel > min(x.shape[2:]):
        raise ValueError(f"a pooling window of {kernel} with stride {stride} does not fit {x.shape[2]}x{x.shape[3]} "
                         "images: use 1 <= kernel <= the image size and stride >= 1.")
    windows = _windows(x, kernel, stride)
    argmax = windows.argmax(axis=-1)                       # (N, C, OH, OW): which pixel of each window won
    out = np.take_along_axis(windows, argmax[..., None], axis=-1)[..., 0]
    return out, (x.shape, argmax, kernel, stride)


def maxpool_backward(dout, cache):
    """dout (N, C, OH, OW) -> dx (N, C, H, W): each output's gradient goes to the pixel that was its maximum."""
    x_shape, argmax, kernel, stride = cache
    oh, ow = argmax.shape[2:]
    dx = np.zeros(x_shape, dtype=dout.dtype)
    for p in range(kernel):
        for q in range(kernel):
            won = argmax == p * kernel + q                 # the windows whose maximum sat at (p, q)
            dx[:, :, p:p + stride * oh:stride, q:q + stride * ow:stride] += dout * won
    return dx


class MaxPool2d(Module):
    """Max-pooling over ``kernel_size`` x ``kernel_size`` windows, ``stride`` apart (default: the kernel size,
    so the windows do not overlap): (N, C, H, W) -> (N, C, OH, OW). No parameters."""

    def __init__(self, kernel_size: int = 2, stride: int | None = None):
        self.kernel_size = int(kernel_size)
        self.stride = self.kernel_size if stride is None else int(stride)
        self.cache = None

    def forward(self, x):
        """x (N, C, H, W) -> (N, C, OH, OW), remembering where each maximum was."""
        out, self.cache = maxpool_forward(x, self.kernel_size, self.stride)
        return out

    def backward(self, grad_out, need_input_grad: bool = True):
        """grad_out (N, C, OH, OW) -> dx (N, C, H, W), or None with ``need_input_grad=False``."""
        return maxpool_backward(grad_out, self.cache) if need_input_grad else None

    def __repr__(self) -> str:
        return f"MaxPool2d(kernel_size={self.kernel_size}, stride={self.stride})"
