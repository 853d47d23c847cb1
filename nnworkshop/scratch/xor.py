"""XOR, and why the original workshop's 2-4-2 network never learned it.

The original notebook trained a 2-4-2 net (sigmoid hidden layer, softmax output)
by full-batch gradient descent, lr 0.5, 5000 epochs, with weights ``randn * 0.01``.
Its loss sat at ln 2 = 0.693 (chance) for every seed 0-19. The derivatives were
right; the starting point was wrong.

XOR is symmetric: the targets are balanced (two of each class) and the inputs
are the four corners of a square. At (near-)zero weights every hidden unit
computes sigmoid(0) = 0.5 for every input, the output is softmax(0) = (0.5, 0.5),
and the gradient vanishes exactly:

- dW2 = a1^T dz2 = 0.5 * sum over samples of dz2 = 0, since dz2 = p - onehot(y)
  and the balanced targets cancel;
- dW1 is proportional to W2 times X^T applied to a sign pattern (the XOR labels
  as +-1) that also sums to zero over the four corners.

So zero is a saddle point, and 0.01-scale weights start so close to it that the
escape takes longer than any training run. Xavier initialisation (weights of
order 1/sqrt(fan)) starts far enough away: with it, every seed 0-19 reaches
100 %. ``tests/test_scratch_training.py`` pins both facts.
"""

from __future__ import annotations

import numpy as np

from .build import mlp
from .layers import Sequential

ORIGINAL_INIT_STD = 0.01  # the original workshop's randn * 0.01


def xor_data(dtype=np.float32):
    """The four XOR inputs ``X`` (4, 2) and labels ``y`` (4,) = [0, 1, 1, 0]."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=dtype)
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return X, y


def xor_net(seed=0, init="xavier", dtype=np.float32) -> Sequential:
    """The workshop's 2-4-2 net: Linear(2, 4), Sigmoid, Linear(4, 2) (softmax is in the loss).

    ``init='xavier'`` learns XOR; ``init=0.01`` reproduces the original failure.
    """
    return mlp((2, 4, 2), activation="sigmoid", seed=seed, dtype=dtype, init=init)
