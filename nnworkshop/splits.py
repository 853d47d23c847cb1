"""A validation split: the digits settings are chosen on, carved out of the training set, so that the test set
is measured once, at the end, on a choice it had no part in.

Choosing the best of several runs by their test accuracy and then reporting that accuracy overstates what the
chosen settings will do on new digits (notebook 05 measures by how much). ``validation_split`` keeps the two
roles apart; it works on ``(X, y)`` NumPy arrays and torch tensors alike (it only indexes them), and the same
seed always carves out the same digits.
"""

from __future__ import annotations

import numpy as np


def validation_indices(n: int, n_val: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(train_idx, val_idx)``: a seeded random ``n_val`` of ``range(n)`` for validation, the rest for training,
    each in increasing order."""
    if not isinstance(n_val, (int, np.integer)) or isinstance(n_val, bool) or not 0 < n_val < n:
        raise ValueError(f"n_val={n_val!r}: the validation split needs between 1 and {n - 1} of the {n} training "
                         "digits (a few thousand of MNIST's 60,000 is usual; 10 % of a small set).")
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def validation_split(X, y, n_val: int, seed: int = 0):
    """``((X_train, y_train), (X_val, y_val))``: ``n_val`` digits set aside for choosing settings."""
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} labels; give one label per row.")
    train_idx, val_idx = validation_indices(len(X), n_val, seed)
    return (X[train_idx], y[train_idx]), (X[val_idx], y[val_idx])
