"""Layers as forward/backward pairs (CS231n style), named like ``torch.nn``.

Each layer's ``forward(x)`` caches what its ``backward`` needs; ``backward(grad_out)``
returns the gradient with respect to the layer's input and *adds* the gradients
of its parameters into their ``.grad``. ``Sequential`` chains them.
"""

from __future__ import annotations

import numpy as np

from ..validate import check_dropout
from . import activations as F
from .init import as_rng, init_weight
from .parameter import Parameter


class Module:
    """Base class: ``__call__`` runs ``forward``; ``train()`` / ``eval()`` set ``.training``."""

    training = True

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, x):  # pragma: no cover - every layer overrides it
        """Compute the output from ``x`` and cache what ``backward`` needs."""
        raise NotImplementedError

    def backward(self, grad_out, need_input_grad: bool = True):  # pragma: no cover
        """Given d loss / d output, add parameter gradients into ``.grad`` and return
        d loss / d input (``None`` when ``need_input_grad`` is False)."""
        raise NotImplementedError

    def parameters(self) -> list[Parameter]:
        """The layer's Parameters, in order (none for activations)."""
        return []

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """(name, Parameter) pairs named as in torch's ``state_dict``: 'weight', '0.bias', ..."""
        return [(p.name, p) for p in self.parameters()]

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to ``None`` (as torch does)."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True):
        """Training mode (``mode=True``) or evaluation mode; returns self."""
        self.training = bool(mode)
        return self

    def eval(self):
        """Evaluation mode: Dropout passes inputs through unchanged. Returns self."""
        return self.train(False)


class Linear(Module):
    """y = x @ W.T + b, with ``weight.data`` of shape (out_features, in_features) as in torch.

    ``init``: 'he' (Kaiming normal), 'xavier' (Glorot uniform) or a std for plain
    ``normal * std``; biases start at zero. ``rng``: a ``numpy.random.Generator`` or int seed.
    """

    def __init__(self, in_features: int, out_features: int, init="he", rng=None,
                 dtype=np.float32, bias: bool = True):
        self.in_features, self.out_features = int(in_features), int(out_features)
        w = init_weight(init, self.in_features, self.out_features, as_rng(rng), dtype)
        self.weight = Parameter(w, "weight")
        self.bias = Parameter(np.zeros(self.out_features, dtype=dtype), "bias") if bias else None
        self.x = None

    def forward(self, x):
        """Cache the input and return x @ W.T + b (x is cast to the weights' dtype)."""
        x = self._checked(x)
        self.x = x
        out = x @ self.weight.data.T
        if self.bias is not None:
            out += self.bias.data
        return out

    def backward(self, grad_out, need_input_grad: bool = True):
        """dW = grad_out.T @ x, db = sum of grad_out over the batch; return grad_out @ W.

        ``need_input_grad=False`` skips the input gradient (the first layer's is never used).
        """
        self.weight.accumulate(grad_out.T @ self.x)
        if self.bias is not None:
            self.bias.accumulate(grad_out.sum(axis=0))
        return grad_out @ self.weight.data if need_input_grad else None

    def parameters(self) -> list[Parameter]:
        return [self.weight] if self.bias is None else [self.weight, self.bias]

    def check_input(self, x) -> None:
        """Raise ValueError naming both shapes unless ``x`` is (batch, in_features)."""
        if x.ndim != 2 or x.shape[1] != self.in_features:
            got = x.shape[-1] if x.ndim else 0
            raise ValueError(
                f"input has {got} features but Linear({self.in_features}, {self.out_features}) "
                f"expects {self.in_features}: got shape {x.shape}, expected (batch, {self.in_features}). "
                "Flatten each sample to one row, e.g. X.reshape(len(X), -1)."
            )

    def _checked(self, x):
        x = np.asarray(x)
        self.check_input(x)
        dtype = self.weight.data.dtype
        return x if x.dtype == dtype else x.astype(dtype)

    def __repr__(self) -> str:
        return (f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None})")


class ReLU(Module):
    """max(0, x) elementwise."""

    def forward(self, x):
        self.out = F.relu(x)
        return self.out

    def backward(self, grad_out, need_input_grad: bool = True):
        # relu'(x) is 1 exactly where the output is positive.
        return grad_out * (self.out > 0) if need_input_grad else None

    def __repr__(self) -> str:
        return "ReLU()"


class LeakyReLU(Module):
    """x where x > 0, ``negative_slope * x`` elsewhere."""

    def __init__(self, negative_slope: float = 0.01):
        self.negative_slope = float(negative_slope)

    def forward(self, x):
        self.x = x
        return F.leaky_relu(x, self.negative_slope)

    def backward(self, grad_out, need_input_grad: bool = True):
        return grad_out * F.leaky_relu_grad(self.x, self.negative_slope) if need_input_grad else None

    def __repr__(self) -> str:
        return f"LeakyReLU(negative_slope={self.negative_slope})"


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise."""

    def forward(self, x):
        self.out = F.sigmoid(x)
        return self.out

    def backward(self, grad_out, need_input_grad: bool = True):
        return grad_out * F.sigmoid_grad_from_output(self.out) if need_input_grad else None

    def __repr__(self) -> str:
        return "Sigmoid()"


class Tanh(Module):
    """tanh(x) elementwise."""

    def forward(self, x):
        self.out = F.tanh(x)
        return self.out

    def backward(self, grad_out, need_input_grad: bool = True):
        return grad_out * F.tanh_grad_from_output(self.out) if need_input_grad else None

    def __repr__(self) -> str:
        return "Tanh()"


class Dropout(Module):
    """Inverted dropout as in torch: in training, zero each unit with probability ``p`` and
    scale the survivors by 1 / (1 - p); in eval mode pass the input through unchanged.

    ``rng``: a ``numpy.random.Generator`` or int seed for the masks.
    """

    def __init__(self, p: float = 0.5, rng=None):
        self.p = check_dropout(p)
        self.rng = as_rng(rng)
        self.mask = None

    def forward(self, x, mask=None):
        """``mask``: an optional 0/1 keep-mask of x's shape (tests, demos); drawn from ``rng`` otherwise."""
        if not self.training or self.p == 0.0:
            self.mask = None
            return x
        if mask is None:
            mask = self.rng.random(x.shape, dtype=x.dtype) >= self.p
        # The scaled mask is both the forward multiplier and the backward derivative.
        self.mask = np.asarray(mask, dtype=x.dtype) * x.dtype.type(1.0 / (1.0 - self.p))
        return x * self.mask

    def backward(self, grad_out, need_input_grad: bool = True):
        if not need_input_grad:
            return None
        return grad_out if self.mask is None else grad_out * self.mask

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class Flatten(Module):
    """(N, d1, d2, ...) -> (N, d1 * d2 * ...), like ``torch.nn.Flatten``: from feature maps to a Linear layer."""

    def forward(self, x):
        """x (N, ...) -> (N, features), remembering x's shape for the backward pass."""
        self.shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, grad_out, need_input_grad: bool = True):
        """grad_out (N, features) -> the gradient in the input's shape (N, ...)."""
        return grad_out.reshape(self.shape) if need_input_grad else None

    def __repr__(self) -> str:
        return "Flatten()"


class Sequential(Module):
    """Layers applied in order; ``.layers`` is the list, ``net[i]`` the i-th layer."""

    def __init__(self, *layers: Module):
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def backward(self, grad_out, need_input_grad: bool = True):
        """Backpropagate through the layers in reverse; return d loss / d input
        (``None`` with ``need_input_grad=False``, which skips the first layer's input gradient)."""
        for layer in reversed(self.layers[1:]):
            grad_out = layer.backward(grad_out)
        return self.layers[0].backward(grad_out, need_input_grad=need_input_grad)

    def parameters(self) -> list[Parameter]:
        return [p for layer in self.layers for p in layer.parameters()]

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        return [(f"{i}.{name}", p) for i, layer in enumerate(self.layers)
                for name, p in layer.named_parameters()]

    def train(self, mode: bool = True):
        self.training = bool(mode)
        for layer in self.layers:
            layer.train(mode)
        return self

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = "\n".join(f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"
