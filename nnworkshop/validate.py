"""Input checks shared by the NumPy and PyTorch code: each error names the fix.

Pure Python (no torch) so ``nnworkshop.scratch`` can use it.
"""

from __future__ import annotations

import math
from typing import Iterable


def _is_number(x) -> bool:
    try:
        float(x)
    except (TypeError, ValueError):
        return False
    return not isinstance(x, bool)


def check_lr(lr) -> float:
    """A learning rate must be a finite number > 0."""
    if not _is_number(lr) or not math.isfinite(float(lr)) or float(lr) <= 0:
        raise ValueError(
            f"learning rate must be a finite number > 0, got {lr!r}. "
            "Typical values: 0.01-0.1 for SGD, 1e-3 for Adam."
        )
    return float(lr)


def check_momentum(momentum) -> float:
    """Momentum must lie in [0, 1)."""
    if not _is_number(momentum) or not (0.0 <= float(momentum) < 1.0):
        raise ValueError(
            f"momentum must be in [0, 1), got {momentum!r}. Use 0 for plain SGD, 0.9 is common."
        )
    return float(momentum)


def check_weight_decay(weight_decay) -> float:
    """L2 weight decay must be a finite number >= 0."""
    if not _is_number(weight_decay) or not math.isfinite(float(weight_decay)) or float(weight_decay) < 0:
        raise ValueError(
            f"weight_decay (L2) must be a finite number >= 0, got {weight_decay!r}. Try 0 or 1e-4."
        )
    return float(weight_decay)


def check_dropout(p) -> float:
    """Dropout probability must lie in [0, 1)."""
    if not _is_number(p) or not (0.0 <= float(p) < 1.0):
        raise ValueError(
            f"dropout p must be in [0, 1), got {p!r}: it is the probability of zeroing a unit "
            "(0 = no dropout, 0.2-0.5 is usual)."
        )
    return float(p)


def check_epochs(epochs) -> int:
    """Epochs must be a whole number >= 1."""
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a whole number >= 1, got {epochs!r}.")
    return epochs


def check_batch_size(batch_size, n_samples: int | None = None) -> int:
    """Batch size must be a whole number >= 1 and no larger than the data.

    A batch larger than the training set is refused, not clamped: the learner
    asked for something that does not exist and should choose the number.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1, got {batch_size!r}.")
    if n_samples is not None and batch_size > n_samples:
        raise ValueError(
            f"batch_size={batch_size} is larger than the training set ({n_samples} samples). "
            f"Use batch_size <= {n_samples}, or train on more samples."
        )
    return batch_size


def check_choice(name: str, value, valid: Iterable[str]) -> str:
    """``value`` must be one of ``valid``; the message lists them."""
    valid = list(valid)
    if not isinstance(value, str) or value.lower() not in valid:
        raise ValueError(f"unknown {name} {value!r}; valid names: {', '.join(valid)}.")
    return value.lower()


def check_labels(labels, n_classes: int) -> None:
    """Class labels must be whole numbers in [0, n_classes)."""
    import numpy as np

    arr = np.asarray(labels)
    if arr.size == 0:
        return
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"labels must be whole numbers (class indices), got dtype {arr.dtype}.")
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi >= n_classes:
        raise ValueError(
            f"labels must be in [0, {n_classes}) for a {n_classes}-class output, "
            f"found values from {lo} to {hi}. Check the labels or the size of the last layer."
        )


def input_mismatch(shape: tuple, expected: int) -> str:
    """The error message for inputs of ``shape`` whose samples do not have ``expected`` features (the torch
    models and ``training.fit`` both raise it)."""
    got = math.prod(shape[1:]) if len(shape) >= 2 else (shape[0] if shape else 0)
    image = " or (N, 1, 28, 28)" if expected == 784 else ""
    return (
        f"input has {got} features but the first layer expects {expected} "
        f"(input shape {shape}, expected (N, {expected}){image}). "
        "Pass a batch of whole images; a single image needs a batch axis: x.unsqueeze(0)."
    )


class DivergenceError(FloatingPointError):
    """Training produced a NaN or infinite loss."""

    def __init__(self, epoch: int, batch: int, loss: float, lr: float | None = None):
        self.epoch, self.batch, self.loss, self.lr = epoch, batch, loss, lr
        hint = f" (lr={lr:g})" if lr is not None else ""
        super().__init__(
            f"training diverged: the loss became {loss} at epoch {epoch}, batch {batch}. "
            f"Lower the learning rate{hint}, e.g. by a factor of 10, and train again."
        )
