"""``mlp``: a multi-layer perceptron from a list of layer sizes; ``cnn``: the course's small convolutional net."""

from __future__ import annotations

import numpy as np

from .. import choices
from ..config import CNN_CHANNELS, SIZES
from ..validate import check_choice, check_dropout
from . import layers as L
from .init import as_rng
from .conv import Conv2d
from .layers import Dropout, Flatten, Linear, ReLU, Sequential
from .pool import MaxPool2d

# the course's activation names this NumPy network has a layer for (the torch network has them all)
ACTIVATIONS = {name: getattr(L, cls) for name, cls in choices.ACTIVATIONS.items() if hasattr(L, cls)}
# He init keeps the signal's variance through ReLU-like units; Xavier suits sigmoid/tanh.
DEFAULT_INIT = {"relu": "he", "leaky_relu": "he", "sigmoid": "xavier", "tanh": "xavier"}


def mlp(sizes=SIZES, activation: str = "relu", dropout: float = 0.0, seed=0,
        dtype=np.float32, init=None) -> Sequential:
    """Linear -> activation [-> Dropout] for each hidden layer, then a final Linear (the logits).

    ``mlp((784, 128, 64, 10))`` is Linear(784, 128), ReLU, Linear(128, 64), ReLU, Linear(64, 10).
    ``init`` defaults to 'he' for relu/leaky_relu and 'xavier' for sigmoid/tanh; ``seed`` (int or
    ``numpy.random.Generator``) draws the weights and then the dropout masks.
    """
    activation = check_choice("activation", activation, ACTIVATIONS)
    dropout = check_dropout(dropout)
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"sizes must list at least 2 layer widths >= 1, e.g. (784, 128, 10); got {tuple(sizes)}.")
    rng = as_rng(seed)
    init = DEFAULT_INIT[activation] if init is None else init
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(fan_in, fan_out, init=init, rng=rng, dtype=dtype))
        if i < len(sizes) - 2:  # hidden layer
            layers.append(ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(Dropout(dropout, rng=rng))
    return Sequential(*layers)


def cnn(channels=CNN_CHANNELS, n_classes: int = 10, image_size: int = 28, in_channels: int = 1, seed=0,
        dtype=np.float32) -> Sequential:
    """[Conv2d 3x3 (padding 1) -> ReLU -> MaxPool2d 2] for each entry of ``channels``, then Flatten -> Linear.

    ``cnn((8, 16))`` on (N, 1, 28, 28) digits: Conv2d(1, 8) ReLU MaxPool -> (N, 8, 14, 14), Conv2d(8, 16) ReLU
    MaxPool -> (N, 16, 7, 7), Flatten -> (N, 784), Linear(784, 10) -> logits. The same layers, in the same order,
    as ``nnworkshop.models.CNN``; ``seed`` (int or ``numpy.random.Generator``) draws the weights (He init).
    """
    channels = [int(c) for c in channels]
    size = int(image_size)
    if not channels or min(channels) < 1 or size >> len(channels) < 1:
        raise ValueError(f"channels must list one width >= 1 per conv block, and {image_size}-pixel images can be "
                         f"halved at most {max(size.bit_length() - 1, 0)} times; got channels={tuple(channels)}.")
    rng = as_rng(seed)
    layers, c_in = [], int(in_channels)
    for c_out in channels:
        layers += [Conv2d(c_in, c_out, 3, padding=1, rng=rng, dtype=dtype), ReLU(), MaxPool2d(2)]
        c_in, size = c_out, size // 2
    layers += [Flatten(), Linear(c_in * size * size, int(n_classes), rng=rng, dtype=dtype)]
    return Sequential(*layers)
