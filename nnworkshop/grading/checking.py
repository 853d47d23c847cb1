"""What an instructor writes hidden checks with (docs/authoring.md): ``Check``, ``Fail`` and the helpers that turn
what a submission sent back into arrays and say how it is wrong.

A hidden check is a function ``run(ctx)`` that runs in the grader (the parent), never in the learner's process:

- ``ctx.rng``: a ``numpy.random.Generator`` seeded from the batch's secret seed, this exercise and this check,
  so the same seed draws the same inputs (``nnworkshop grade --seed``) and the learner never sees them;
- ``ctx.call(name, *args, adapter="plain")``: ask the submission's process to call its function ``name`` on
  these arguments (arrays, numbers, lists, dicts of them) and get back plain values; a missing function, an
  exception or a value that is not data raises ``Fail`` with a sentence the learner can read;
- ``ctx.memo``: a dict shared by the checks of one submission (compute an expensive answer once);
- ``ctx.notes``: sentences added to the learner's feedback (e.g. the accuracy measured);
- ``ctx.hidden_digits()``: the unseen MNIST digits, for an exercise whose ``exercise.toml`` says
  ``needs = ["mnist"]``.

The check compares here: ``arr``/``num``/``seq`` take the learner's value apart (or ``Fail`` with its shape or
type), ``close`` compares with the reference computed here and fails with ``describe_mismatch``'s sentence. A
check passes by returning and fails by raising ``Fail``; any other exception is the instructor's bug, reported
as such (never a learner's 0), as is a check that never asks the submission anything.

This module ships with the learner's package: it holds no check and no answer, only the tools.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


class Fail(Exception):
    """A check did not pass; the message is safe to show the learner."""


@dataclass(frozen=True)
class Check:
    """One hidden check: ``id`` (the key of its points in ``exercise.toml``), ``title`` (what the learner reads),
    ``run(ctx)`` (returns when the submission passes, raises ``Fail`` when not) and its ``points`` (filled in from
    ``exercise.toml`` when the course is loaded)."""

    id: str
    title: str
    run: Callable
    points: float = 0.0


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


def seq(value, n: int, what: str) -> list:
    """The child's value as a list of exactly ``n`` items (a returned tuple arrives as a list), or Fail."""
    if not isinstance(value, list) or len(value) != n:
        raise Fail(f"{what}: expected {n} values (a tuple), got {type(value).__name__}"
                   + (f" of length {len(value)}" if isinstance(value, list) else ""))
    return value


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
    """A pattern the numbers show, in words, or "" when they show none. Each is said only when the numbers show
    it: a factor needs every value to share it (and it is not 1); for one number, only a whole factor (a batch
    size, mean vs sum) says anything that "got / expected" does not."""
    if np.allclose(g, -w, rtol=rtol, atol=atol) and np.any(np.abs(w) > atol):
        return "every value has the wrong sign"
    if g.ndim == 2 and g.shape[0] == g.shape[1] and np.allclose(g, w.T, rtol=rtol, atol=atol):
        return "this is the transpose of the right answer"
    bad = ~np.isclose(g, w, rtol=rtol, atol=atol)
    zero = np.abs(w) <= 1e-9
    if bad.any() and np.all(zero[bad]):
        return "every wrong value is where the right answer is 0"
    if g.size == 1:
        ratio = float(g.reshape(())) / float(w.reshape(())) if not zero.all() else 0.0
        for k in (ratio, 1 / ratio if ratio else 0.0):
            if abs(k) >= 1.5 and abs(k - round(k)) < 1e-6 * abs(k):
                what = f"{ratio:.4g} times" if k == ratio else f"1/{round(k)} of"
                return f"{what} the right one: a missing or extra factor (mean vs sum?)"
        return ""
    if not zero.all():
        ratio = float(g[~zero].flat[0] / w[~zero].flat[0])
        if abs(ratio - 1) > 1e-6 and abs(ratio) > 1e-9 and np.allclose(g, ratio * w, rtol=1e-4, atol=atol):
            return f"every value is {ratio:.4g} times the right one: a missing or extra factor (mean vs sum?)"
    if g.ndim == 2 and g.shape[0] > 1:
        rows_ok = [bool(np.allclose(g[i], w[i], rtol=rtol, atol=atol)) for i in range(g.shape[0])]
        if any(rows_ok):
            return f"rows {[i for i, ok in enumerate(rows_ok) if not ok]} are wrong, the others right"
    return ""
