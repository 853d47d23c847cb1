"""What every plot shares: the colours and line styles of the course, and the checks on what a plot is given."""

from __future__ import annotations

import numpy as np

from ..convert import as_numpy

TRAIN_STYLE, TEST_STYLE = "-", "--"
MAX_INLINE_LEGEND = 2  # more runs than this: one legend outside the axes
RIGHT, WRONG, OTHER = "tab:green", "tab:red", "lightgray"


def _no_model(obj, call: str) -> None:
    """Plots draw numbers; they never run a model. Say how to get the numbers when one is passed."""
    if hasattr(obj, "forward") or hasattr(obj, "parameters"):
        raise TypeError(
            f"plots.{call} takes probabilities, not a model (plots draw, they never run a network). "
            "Compute them first, e.g. proba = nnworkshop.training.predict_proba(model, X) "
            "(or nnworkshop.scratch.predict_proba(net, X)), then call "
            f"plots.{call}({'y' if call == 'confusion' else 'data'}, proba)."
        )


def _images(X: np.ndarray) -> np.ndarray:
    """(N, H, W) images from (N, 784), (N, 1, 28, 28) or (N, 28, 28) arrays (square images)."""
    flat = X.reshape(len(X), -1)
    side = int(round(np.sqrt(flat.shape[1])))
    if side * side != flat.shape[1]:
        raise ValueError(f"cannot show samples of {flat.shape[1]} values as square images; expected e.g. 784 = 28x28.")
    return flat.reshape(len(X), side, side)


def _probability_rows(probabilities, n: int, call: str) -> np.ndarray:
    """``probabilities`` as an ``(n, classes)`` float array, or an error that says what was expected."""
    _no_model(probabilities, call)
    p = as_numpy(probabilities)
    if p.ndim != 2 or len(p) != n:
        raise ValueError(f"probabilities has shape {p.shape}; expected ({n}, classes), one row per digit.")
    return p


def _check_n(n, available: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a whole number >= 1, got {n!r}.")
    if n > available:
        raise ValueError(f"n={n} but the data holds only {available} samples; use n <= {available}.")
    return int(n)
