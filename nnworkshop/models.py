"""The course's networks as ``torch.nn`` modules, and weight exchange with the NumPy nets.

- ``MLP(sizes, activation, dropout)``: a multi-layer perceptron for flattened digits.
- ``CNN(channels)``: the course's small convolutional network (notebook 07), layer for layer the NumPy
  ``nnworkshop.scratch.cnn``; ``CNN.from_scratch`` copies a NumPy one's weights in.
- ``WorkshopMLP`` / ``WorkshopDropoutMLP``: the original workshop's two models, unchanged.
- ``copy_weights_from_scratch`` / ``copy_weights_to_scratch``: move the weights of a
  ``nnworkshop.scratch.Sequential`` into a torch model and back (same (out, in) layout).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from . import choices
from .config import CNN_CHANNELS, SIZES
from .validate import check_choice, check_dropout, input_mismatch  # noqa: F401 - re-exported

# every activation name the course knows, as the torch module it builds
ACTIVATIONS = {name: getattr(nn, cls) for name, cls in choices.ACTIVATIONS.items()}

# layer class name -> activation name (for MLP.from_scratch: the scratch layers share torch's class names)
_SCRATCH_ACTIVATIONS = {cls: name for name, cls in choices.ACTIVATIONS.items()}


class MLP(nn.Module):
    """Fully connected network: Flatten -> [Linear -> activation (-> Dropout)] ... -> Linear.

    ``sizes``: layer widths from input to output, e.g. (784, 128, 64, 10).
    ``activation``: one of relu, tanh, sigmoid, gelu, leaky_relu (after every hidden layer).
    ``dropout``: probability of zeroing a hidden unit in training (0 = no Dropout layers).
    Accepts (N, 784) or (N, 1, 28, 28) input and returns (N, 10) logits.
    """

    def __init__(self, sizes=SIZES, activation: str = "relu", dropout: float = 0.0):
        super().__init__()
        sizes = tuple(int(s) for s in sizes)
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(
                f"sizes must list at least an input and an output width, all >= 1, got {sizes}. "
                "Example: (784, 128, 64, 10)."
            )
        self.activation = check_choice("activation", activation, ACTIVATIONS)
        self.dropout = check_dropout(dropout)
        self.sizes = sizes
        layers: list[nn.Module] = [nn.Flatten()]
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(n_in, n_out))
            if i < len(sizes) - 2:  # hidden layer
                layers.append(ACTIVATIONS[self.activation]())
                if self.dropout > 0:
                    layers.append(nn.Dropout(self.dropout))
        self.layers = nn.Sequential(*layers)

    @property
    def in_features(self) -> int:
        """Number of input features the first layer expects (784 for MNIST)."""
        return self.sizes[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape (N, sizes[-1]) for a batch of N inputs."""
        if x.dim() < 2 or math.prod(x.shape[1:]) != self.sizes[0]:
            raise ValueError(input_mismatch(tuple(x.shape), self.sizes[0]))
        return self.layers(x)

    @classmethod
    def from_scratch(cls, scratch_net, activation: str | None = None, dropout: float | None = None) -> "MLP":
        """A torch ``MLP`` with the layer sizes and weights of a ``nnworkshop.scratch.Sequential``.

        ``activation`` / ``dropout`` default to what the scratch net uses (its first
        activation layer and Dropout p), or relu / 0 when it has none.
        """
        linears = _scratch_linears(scratch_net)
        if not linears:
            raise ValueError("the scratch net has no Linear layers to copy; build it with scratch.Linear(...).")
        sizes = (linears[0].weight.data.shape[1],) + tuple(lin.weight.data.shape[0] for lin in linears)
        others = [type(layer).__name__ for layer in scratch_net.layers]
        if activation is None:
            activation = next((_SCRATCH_ACTIVATIONS[n] for n in others if n in _SCRATCH_ACTIVATIONS), "relu")
        if dropout is None:
            dropout = next((layer.p for layer in scratch_net.layers if type(layer).__name__ == "Dropout"), 0.0)
        model = cls(sizes, activation=activation, dropout=dropout)
        copy_weights_from_scratch(model, scratch_net)
        return model

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}, activation={self.activation!r}, dropout={self.dropout}"


class WorkshopMLP(MLP):
    """The original workshop's model: Flatten -> Linear(784,128) ReLU -> Linear(128,64) ReLU -> Linear(64,10)."""

    def __init__(self):
        super().__init__(SIZES, activation="relu", dropout=0.0)


class WorkshopDropoutMLP(MLP):
    """The original workshop's regularised model: ``WorkshopMLP`` with Dropout after each hidden ReLU."""

    def __init__(self, dropout_rate: float = 0.2):
        super().__init__(SIZES, activation="relu", dropout=dropout_rate)


class CNN(nn.Module):
    """[Conv2d 3x3 (padding 1) -> ReLU -> MaxPool2d 2] per entry of ``channels``, then Flatten -> Linear(-> 10).

    ``CNN((8, 16))``: (N, 1, 28, 28) -> Conv2d(1, 8) ReLU MaxPool -> (N, 8, 14, 14) -> Conv2d(8, 16) ReLU MaxPool
    -> (N, 16, 7, 7) -> Flatten -> Linear(784, 10). Accepts (N, 1, 28, 28) images or flat (N, 784) rows (it
    reshapes them itself), so it trains on the same tensors as ``MLP`` through ``training.fit``.
    """

    def __init__(self, channels=CNN_CHANNELS, n_classes: int = 10, image_size: int = 28):
        super().__init__()
        channels = tuple(int(c) for c in channels)
        size = int(image_size)
        if not channels or min(channels) < 1 or size >> len(channels) < 1:
            raise ValueError(f"channels must list one width >= 1 per conv block, and {image_size}-pixel images can "
                             f"be halved at most {max(size.bit_length() - 1, 0)} times; got channels={channels}.")
        self.channels, self.image_size = channels, size
        layers: list[nn.Module] = []
        c_in = 1
        for c_out in channels:
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            c_in, size = c_out, size // 2
        layers += [nn.Flatten(), nn.Linear(c_in * size * size, int(n_classes))]
        self.layers = nn.Sequential(*layers)

    @property
    def in_features(self) -> int:
        """Pixels per image (784 for MNIST): what ``training.fit`` checks the data against."""
        return self.image_size * self.image_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, n_classes) from (N, 1, H, W) images or (N, H * W) flat rows."""
        if x.dim() < 2 or math.prod(x.shape[1:]) != self.in_features:
            raise ValueError(input_mismatch(tuple(x.shape), self.in_features))
        return self.layers(x.reshape(len(x), 1, self.image_size, self.image_size))

    @classmethod
    def from_scratch(cls, scratch_net) -> "CNN":
        """A torch ``CNN`` with the channels and weights of a ``nnworkshop.scratch.cnn`` (same layers, same order,
        same (out_channels, in_channels, kh, kw) layout), in float32."""
        convs = [layer for layer in getattr(scratch_net, "layers", []) if type(layer).__name__ == "Conv2d"]
        if not convs:
            raise ValueError("the scratch net has no Conv2d layers; build it with nnworkshop.scratch.cnn(...).")
        linear = scratch_net.layers[-1]
        side = math.isqrt(linear.in_features // convs[-1].out_channels) << len(convs)
        model = cls(tuple(c.out_channels for c in convs), n_classes=linear.out_features, image_size=side)
        ours, theirs = list(model.parameters()), scratch_net.parameters()
        if [tuple(p.shape) for p in ours] != [tuple(p.shape) for p in theirs]:
            raise ValueError("the scratch net's layers differ from CNN's: build it with nnworkshop.scratch.cnn(...), "
                             "which has the same layers in the same order.")
        with torch.no_grad():
            for p, q in zip(ours, theirs):
                p.copy_(torch.from_numpy(np.asarray(q.data, dtype=np.float32)))
        return model

    def extra_repr(self) -> str:
        return f"channels={self.channels}"


def _scratch_linears(scratch_net) -> list:
    """The scratch net's layers that carry a weight (its Linear layers), in order."""
    layers = getattr(scratch_net, "layers", None)
    if layers is None:
        raise TypeError(
            f"expected a nnworkshop.scratch.Sequential (something with .layers), got {type(scratch_net).__name__}."
        )
    return [layer for layer in layers if hasattr(getattr(layer, "weight", None), "data")]


def _paired_linears(torch_model: nn.Module, scratch_net) -> list:
    """(torch Linear, scratch Linear) pairs in order; shapes and counts checked."""
    ours = [m for m in torch_model.modules() if isinstance(m, nn.Linear)]
    theirs = _scratch_linears(scratch_net)
    if len(ours) != len(theirs):
        raise ValueError(
            f"the torch model has {len(ours)} Linear layers but the scratch net has {len(theirs)}; "
            "build both with the same layer sizes (e.g. MLP.from_scratch(scratch_net))."
        )
    for i, (t, s) in enumerate(zip(ours, theirs)):
        if tuple(t.weight.shape) != tuple(s.weight.data.shape):
            raise ValueError(
                f"Linear layer {i}: torch weight has shape {tuple(t.weight.shape)} but the scratch weight has "
                f"{tuple(s.weight.data.shape)}; both store (out_features, in_features), so the layer sizes differ."
            )
        if (t.bias is None) != (getattr(s, "bias", None) is None):
            raise ValueError(f"Linear layer {i}: one side has a bias and the other has none.")
    return list(zip(ours, theirs))


def copy_weights_from_scratch(torch_model: nn.Module, scratch_net) -> nn.Module:
    """Copy a scratch net's Linear weights and biases into ``torch_model``'s Linear layers, in order.

    The torch parameters keep their dtype and device. Returns ``torch_model``.
    """
    with torch.no_grad():
        for t, s in _paired_linears(torch_model, scratch_net):
            t.weight.copy_(torch.from_numpy(np.asarray(s.weight.data)))
            if t.bias is not None:
                t.bias.copy_(torch.from_numpy(np.asarray(s.bias.data)))
    return torch_model


def copy_weights_to_scratch(torch_model: nn.Module, scratch_net):
    """Copy ``torch_model``'s Linear weights and biases into a scratch net, in place and in order.

    The scratch arrays keep their dtype (values are cast). Returns ``scratch_net``.
    """
    for t, s in _paired_linears(torch_model, scratch_net):
        s.weight.data[...] = t.weight.detach().cpu().numpy()
        if t.bias is not None:
            s.bias.data[...] = t.bias.detach().cpu().numpy()
    return scratch_net
