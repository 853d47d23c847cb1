"""``mlp``: build a multi-layer perceptron from a list of layer sizes."""

from __future__ import annotations

import numpy as np

from .. import choices
from ..config import SIZES
from ..validate import check_choice, check_dropout
from . import layers as L
from .init import as_rng
from .layers import Dropout, Linear, Sequential

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
