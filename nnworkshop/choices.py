"""The names a learner chooses between, in one table: activations and the dashboard's three optimizers.

The experiment dashboard offers them, the class board accepts them, ``models.MLP`` builds every activation
named here (``scratch.mlp`` all but gelu), and ``OPTIMIZERS`` says what each dashboard choice means to
``training.fit``: "SGD + momentum" is ``optimizer="sgd", momentum=0.9``. Plain names only, no torch,
so the board's server can read it without importing a framework.
"""

from __future__ import annotations

from typing import NamedTuple

ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu", "leaky_relu")
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

__all__ = ["ACTIVATIONS", "MOMENTUM", "OPTIMIZERS", "Optimizer"]
