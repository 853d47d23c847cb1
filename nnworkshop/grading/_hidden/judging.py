"""The judging every hidden check shares: ``Check`` (one entry of the point table), ``Fail`` (a check that did not
pass, with a message safe to show the learner) and the helpers that read the child's values and say how they are
wrong (``arr``, ``num``, ``seq``, ``close``, ``describe_mismatch``). ``checks`` and each exercise's own module of
checks (``conv`` for q8) import them from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


class Fail(Exception):
    """A check did not pass; the message is safe to show the learner."""


@dataclass(frozen=True)
class Check:
    id: str
    points: float
    title: str
    run: Callable


def arr(value, shape, what: str) -> np.ndarray:
    """The child's value as a float array of exactly ``shape`` with finite entries, or Fail."""
    if isinstance(value, (dict, str)) or value is None:
        raise Fail(f"{what}: expected an array of shape {tuple(shape)}, got {type(value).__name__}")
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise Fail(f"{what}: expected an array of numbers of shape {tuple(shape)}") from None
    if a.shape != tuple(shape):
        raise Fail(f"{what}: expected shape {tuple(shape)}, got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise Fail(f"{what}: contains NaN or inf")
    return a


def num(value, what: str) -> float:
    """The child's value as one finite number (a 0-d or 1-element array counts), or Fail."""
    a = arr(value, np.shape(value) if isinstance(value, (list, np.ndarray)) else (), what)
    if a.size != 1:
        raise Fail(f"{what}: expected one number, got an array of shape {a.shape}")
    return float(a.reshape(()))


def close(got, want, what: str, rtol=1e-5, atol=1e-7) -> None:
    """Fail unless ``got`` matches ``want``, saying how it is wrong (see ``describe_mismatch``)."""
    if not np.allclose(got, want, rtol=rtol, atol=atol):
        raise Fail(f"{what}: {describe_mismatch(got, want, rtol, atol)}")


def describe_mismatch(got, want, rtol=1e-5, atol=1e-7) -> str:
    """How ``got`` differs from ``want``, as a public check would say it: how many entries are wrong, the worst
    one (got / expected, for inputs drawn for this run only), and a pattern when one fits (sign, scale, transpose).
    """
    g, w = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    bad = ~np.isclose(g, w, rtol=rtol, atol=atol)
    worst = np.unravel_index(int(np.argmax(np.abs(g - w))), g.shape) if g.ndim else ()
    where = f" at {list(map(int, worst))}" if g.ndim else ""
    text = (f"{int(bad.sum())} of {bad.size} values wrong; the largest error{where}: got {g[worst]:.6g}, "
            f"expected {w[worst]:.6g}")
    pattern = _pattern(g, w, rtol, atol)
    return text + (f" ({pattern})" if pattern else "")


def _pattern(g, w, rtol, atol) -> str:
    if np.allclose(g, -w, rtol=rtol, atol=atol):
        return "every value has the wrong sign"
    if g.ndim == 2 and g.shape[0] == g.shape[1] and np.allclose(g, w.T, rtol=rtol, atol=atol):
        return "this is the transpose of the right answer"
    nonzero = np.abs(w) > 1e-9
    if nonzero.any():
        ratios = g[nonzero] / w[nonzero]
        if np.allclose(ratios, ratios[0], rtol=1e-4) and abs(ratios[0]) > 1e-9:
            return f"every value is {ratios[0]:.4g} times the right one: a missing or extra factor (mean vs sum?)"
    if g.ndim == 2 and g.shape[0] > 1:
        rows_ok = [bool(np.allclose(g[i], w[i], rtol=rtol, atol=atol)) for i in range(g.shape[0])]
        if any(rows_ok):
            return f"rows {[i for i, ok in enumerate(rows_ok) if not ok]} are wrong, the others right"
    return ""


def seq(value, n: int, what: str) -> list:
    if not isinstance(value, list) or len(value) != n:
        raise Fail(f"{what}: expected {n} values (a tuple), got {type(value).__name__}"
                   + (f" of length {len(value)}" if isinstance(value, list) else ""))
    return value
