"""The names a learner chooses between, in one table: activations, optimizers, and the dashboard's three choices.

``ACTIVATIONS`` maps each activation's name to its layer class's name, which is the same in ``torch.nn`` and in
``nnworkshop.scratch``: ``models.MLP`` builds every one, ``scratch.mlp`` every one it has a layer for (all but
gelu), the dashboard offers them and the class board accepts them. ``FIT_OPTIMIZERS`` are what both ``fit``
loops (and the head-to-head) accept. ``OPTIMIZERS`` are the dashboard's choices and what each means to
``training.fit``: "SGD + momentum" is ``optimizer="sgd", momentum=0.9``. Plain names only, no torch, so the
board's server and the NumPy network can read it without importing a framework.
"""

from __future__ import annotations

from typing import NamedTuple

ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "gelu": "GELU", "leaky_relu": "LeakyReLU"}
FIT_OPTIMIZERS = ("sgd", "adam")
MOMENTUM = 0.9  # what "SGD + momentum" uses


class Optimizer(NamedTuple):
    """One dashboard choice: the ``label`` shown, and the ``optimizer`` and ``momentum`` it trains with."""

    label: str
    optimizer: str
    momentum: float


OPTIMIZERS = {
    "sgd": Optimizer("SGD", "sgd", 0.0),
    "sgd_momentum": Optimizer("SGD + momentum", "sgd", MOMENTUM),
    "adam": Optimizer("Adam", "adam", 0.0),
}

__all__ = ["ACTIVATIONS", "FIT_OPTIMIZERS", "MOMENTUM", "OPTIMIZERS", "Optimizer"]
