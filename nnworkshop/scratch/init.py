"""Weight initialisation, seedable through ``numpy.random.Generator`` (never global state).

- ``he``:     Kaiming normal, std = sqrt(2 / fan_in); for ReLU-like activations.
- ``xavier``: Glorot uniform on [-a, a], a = sqrt(6 / (fan_in + fan_out)); for sigmoid/tanh.
- a number:   plain normal with that std, e.g. ``0.01`` (the original workshop's
  ``randn * 0.01``; see ``nnworkshop.scratch.xor`` for why that fails).

Numbers are drawn in float64 and then cast, so a float32 net is exactly the
rounded float64 net with the same seed.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ..validate import check_choice

INITS = ("he", "xavier")


def as_rng(rng=None) -> np.random.Generator:
    """A ``Generator`` from a Generator (returned as is), an int seed, or ``None`` (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, numbers.Integral):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy.random.Generator, an int seed or None, got {type(rng).__name__}.")


def he_normal(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """(fan_out, fan_in) weights ~ N(0, 2 / fan_in)."""
    return rng.standard_normal((fan_out, fan_in)) * math.sqrt(2.0 / fan_in)


def xavier_uniform(fan_in: int, fan_out: int, rng: np.random.Generator) -> np.ndarray:
    """(fan_out, fan_in) weights ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out))."""
    a = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_out, fan_in))


def init_weight(init, fan_in: int, fan_out: int, rng=None, dtype=np.float32) -> np.ndarray:
    """A (fan_out, fan_in) weight matrix by ``init`` ('he', 'xavier' or a std), as ``dtype``."""
    rng = as_rng(rng)
    if isinstance(init, numbers.Real) and not isinstance(init, bool):
        w = rng.standard_normal((fan_out, fan_in)) * float(init)
    elif check_choice("init", init, INITS) == "he":
        w = he_normal(fan_in, fan_out, rng)
    else:
        w = xavier_uniform(fan_in, fan_out, rng)
    return w.astype(dtype)
