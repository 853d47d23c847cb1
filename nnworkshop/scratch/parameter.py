"""``Parameter``: a weight array and its gradient, like ``torch.nn.Parameter``."""

from __future__ import annotations

import numpy as np


class Parameter:
    """A trainable array ``.data`` and its gradient ``.grad`` (same shape and dtype).

    As in torch, ``.grad`` is ``None`` until a backward pass writes it, backward
    passes *add* to it, and ``optimizer.zero_grad()`` sets it back to ``None``.
    """

    def __init__(self, data: np.ndarray, name: str = ""):
        self.data = data
        self.grad: np.ndarray | None = None
        self.name = name

    def accumulate(self, grad: np.ndarray) -> None:
        """Add ``grad`` to ``.grad`` (store it if there is none yet)."""
        if self.grad is None:
            self.grad = grad
        else:
            self.grad += grad

    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    def __repr__(self) -> str:
        return f"Parameter({self.name or 'unnamed'}, shape={self.data.shape}, dtype={self.data.dtype})"
