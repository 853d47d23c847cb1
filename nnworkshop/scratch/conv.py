"""A 2-D convolution by hand, twice: as loops (to read) and through im2col (to train), with its backward pass.

Shapes follow torch: inputs ``(N, C, H, W)``, weights ``(out_channels, in_channels, kh, kw)``, outputs
``(N, F, OH, OW)`` with ``OH = (H + 2 * padding - kh) // stride + 1`` (and ``OW`` alike). Like torch's
``Conv2d``, this is a cross-correlation (the kernel is not flipped)::

    out[n, f, i, j] = b[f] + sum over c, p, q of  x_padded[n, c, i*stride + p, j*stride + q] * w[f, c, p, q]

``conv2d_loop`` is that formula as six nested loops: slow, and the reference the fast version is checked
against. ``im2col`` copies every ``C x kh x kw`` patch the kernel visits into one row of a matrix, so the
whole convolution becomes one matrix product (``conv2d_forward``); the backward pass (``conv2d_backward``) is
the matrix product's backward, and ``col2im`` adds each row's gradient back onto the pixels it came from.
``Conv2d`` is the layer, as a forward/backward pair like ``Linear``.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .init import as_rng, init_weight
from .layers import Module
from .parameter import Parameter


def output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """How many positions a kernel of ``kernel`` pixels takes along an axis of ``size`` pixels."""
    return (size + 2 * padding - kernel) // stride + 1


def _check(x, w, stride: int, padding: int) -> None:
    """Raise ValueError, naming the fix, for inputs the convolution cannot take."""
    if x.ndim != 4:
        raise ValueError(f"a convolution takes images of shape (N, C, H, W), got shape {x.shape}. "
                         "Give each image its channel axis, e.g. X.reshape(-1, 1, 28, 28) for MNIST.")
    if w.ndim != 4:
        raise ValueError(f"conv weights have shape (out_channels, in_channels, kh, kw), got {w.shape}.")
    if x.shape[1] != w.shape[1]:
        raise ValueError(f"the input has {x.shape[1]} channels but the weights expect {w.shape[1]} "
                         f"(weights {w.shape}, input {x.shape}): in_channels must match the images' C axis.")
    if int(stride) < 1 or int(padding) < 0:
        raise ValueError(f"stride must be >= 1 and padding >= 0, got stride={stride}, padding={padding}.")
    if min(output_size(x.shape[2], w.shape[2], stride, padding), output_size(x.shape[3], w.shape[3], stride,
                                                                                padding)) < 1:
        raise ValueError(f"a {w.shape[2]}x{w.shape[3]} kernel does not fit in {x.shape[2]}x{x.shape[3]} images with "
                         f"padding {padding}: use a smaller kernel or more padding.")


def _pad(x, padding: int):
    """Zero-pad the two spatial axes of (N, C, H, W) by ``padding`` on each side."""
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding))) if padding else x


def conv2d_loop(x, w, b=None, stride: int = 1, padding: int = 0):
    """The convolution as loops, straight from the formula: slow, for reading and for checking.

    x: (N, C, H, W), w: (F, C, kh, kw), b: (F,) or None -> out: (N, F, OH, OW).
    """
    x, w = np.asarray(x), np.asarray(w)
    _check(x, w, stride, padding)
    n_images, _, height, width = x.shape
    n_filters, _, kh, kw = w.shape
    oh, ow = output_size(height, kh, stride, padding), output_size(width, kw, stride, padding)
    xp = _pad(x, padding)
    out = np.zeros((n_images, n_filters, oh, ow), dtype=np.result_type(x, w))
    for n in range(n_images):
        for f in range(n_filters):
            for i in range(oh):
                for j in range(ow):
                    patch = xp[n, :, i * stride:i * stride + kh, j * stride:j * stride + kw]  # (C, kh, kw)
                    out[n, f, i, j] = np.sum(patch * w[f]) + (0 if b is None else b[f])
    return out


def im2col(x, kh: int, kw: int, stride: int = 1, padding: int = 0):
    """Every patch the kernel visits, one per row: x (N, C, H, W) -> cols (N * OH * OW, C * kh * kw).

    Row ``(n * OH + i) * OW + j`` holds the ``C x kh x kw`` pixels under the kernel at output position (i, j)
    of image n, in the order of ``w.reshape(F, -1)``'s columns. ``sliding_window_view`` makes the patches
    without copying; the final reshape copies them once.
    """
    windows = sliding_window_view(_pad(x, padding), (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    n_images, channels, oh, ow = windows.shape[:4]                       # (N, C, OH, OW, kh, kw)
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(n_images * oh * ow, channels * kh * kw)


def col2im(dcols, x_shape, kh: int, kw: int, stride: int = 1, padding: int = 0):
    """The backward of ``im2col``: dcols (N * OH * OW, C * kh * kw) -> dx of ``x_shape`` (N, C, H, W).

    A pixel appears in every patch that covers it, so its gradient is the sum over those patches: each of the
    ``kh * kw`` kernel positions adds its slice of the gradient onto the pixels it read.
    """
    n_images, channels, height, width = x_shape
    oh, ow = output_size(height, kh, stride, padding), output_size(width, kw, stride, padding)
    d = dcols.reshape(n_images, oh, ow, channels, kh, kw).transpose(0, 3, 4, 5, 1, 2)  # (N, C, kh, kw, OH, OW)
    dxp = np.zeros((n_images, channels, height + 2 * padding, width + 2 * padding), dtype=dcols.dtype)
    for p in range(kh):
        for q in range(kw):
            dxp[:, :, p:p + stride * oh:stride, q:q + stride * ow:stride] += d[:, :, p, q]
    return dxp[:, :, padding:padding + height, padding:padding + width]


def conv2d_forward(x, w, b=None, stride: int = 1, padding: int = 0):
    """The convolution as one matrix product: x (N, C, H, W), w (F, C, kh, kw), b (F,) or None ->
    (out (N, F, OH, OW), cache for ``conv2d_backward``)."""
    x, w = np.asarray(x), np.asarray(w)
    _check(x, w, stride, padding)
    n_filters, _, kh, kw = w.shape
    oh, ow = output_size(x.shape[2], kh, stride, padding), output_size(x.shape[3], kw, stride, padding)
    cols = im2col(x, kh, kw, stride, padding)                             # (N*OH*OW, C*kh*kw)
    out = cols @ np.ascontiguousarray(w.reshape(n_filters, -1).T)         # (N*OH*OW, F); a copy BLAS reads fast
    if b is not None:
        out += b
    out = out.reshape(len(x), oh, ow, n_filters).transpose(0, 3, 1, 2)   # (N, F, OH, OW)
    return np.ascontiguousarray(out), (x.shape, cols, w, b is not None, stride, padding)


def conv2d_backward(dout, cache, need_dx: bool = True):
    """dout (N, F, OH, OW) and the forward's cache -> (dx (N, C, H, W), dw (F, C, kh, kw), db (F,) or None).

    Forward was out = cols @ W.T + b with W = w.reshape(F, -1), so, as for ``Linear``:
    dW = dout.T @ cols, db = dout summed over every image and position, dcols = dout @ W, then ``col2im``.
    ``need_dx=False`` skips dx (None): a first layer's input gradient is never used.
    """
    x_shape, cols, w, has_bias, stride, padding = cache
    n_filters, _, kh, kw = w.shape
    d = dout.transpose(0, 2, 3, 1).reshape(-1, n_filters)                # (N*OH*OW, F), rows as in cols
    dw = (cols.T @ d).T.reshape(w.shape)  # = d.T @ cols; this order lets BLAS read both operands in place
    db = d.sum(axis=0) if has_bias else None
    dx = col2im(d @ w.reshape(n_filters, -1), x_shape, kh, kw, stride, padding) if need_dx else None
    return dx, dw, db


class Conv2d(Module):
    """A convolutional layer, like ``torch.nn.Conv2d``: (N, C, H, W) -> (N, out_channels, OH, OW).

    ``weight.data``: (out_channels, in_channels, kernel_size, kernel_size), as in torch. ``init``: 'he'
    (the default), 'xavier' or a std, with fan-in ``in_channels * kernel_size**2``; biases start at zero.
    ``rng``: a ``numpy.random.Generator`` or int seed.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
                 padding: int = 0, init="he", rng=None, dtype=np.float32, bias: bool = True):
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size, self.stride, self.padding = int(kernel_size), int(stride), int(padding)
        if min(self.in_channels, self.out_channels, self.kernel_size, self.stride) < 1 or self.padding < 0:
            raise ValueError(f"Conv2d needs channels, kernel_size and stride >= 1 and padding >= 0, got "
                             f"{self!r}; e.g. Conv2d(1, 8, kernel_size=3, padding=1).")
        k = self.kernel_size
        fan_in = self.in_channels * k * k
        w = init_weight(init, fan_in, self.out_channels, as_rng(rng), dtype)  # (out, in * k * k)
        self.weight = Parameter(w.reshape(self.out_channels, self.in_channels, k, k), "weight")
        self.bias = Parameter(np.zeros(self.out_channels, dtype=dtype), "bias") if bias else None
        self.cache = None

    def forward(self, x):
        """x (N, in_channels, H, W) -> (N, out_channels, OH, OW); x is cast to the weights' dtype."""
        x = np.asarray(x)
        self.check_input(x)
        x = x.astype(self.weight.data.dtype, copy=False)
        out, self.cache = conv2d_forward(x, self.weight.data, None if self.bias is None else self.bias.data,
                                         self.stride, self.padding)
        return out

    def backward(self, grad_out, need_input_grad: bool = True):
        """grad_out (N, out_channels, OH, OW): add dw, db into ``.grad``; return dx (N, C, H, W) or None."""
        dx, dw, db = conv2d_backward(grad_out, self.cache, need_dx=need_input_grad)
        self.weight.accumulate(np.ascontiguousarray(dw))
        if self.bias is not None:
            self.bias.accumulate(db)
        return dx

    def parameters(self) -> list[Parameter]:
        return [self.weight] if self.bias is None else [self.weight, self.bias]

    def check_input(self, x) -> None:
        """Raise ValueError naming the fix unless ``x`` is (N, in_channels, H, W)."""
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"{self!r} expects images of shape (N, {self.in_channels}, H, W), got {x.shape}. "
                             "Reshape flat digits with X.reshape(-1, 1, 28, 28).")

    def __repr__(self) -> str:
        return (f"Conv2d({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding})")
