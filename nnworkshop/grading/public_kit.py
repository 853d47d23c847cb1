"""What every public check is made of: ``PublicCheck`` (a title, a hint, the names it needs and the function that
runs it) and ``near`` (a value compared with the known answer, saying how it differs). ``public`` (the built-in
exercises' checks, ``check()``) and ``public_q8`` import them from here; a course's own ``public.py`` imports them
from ``nnworkshop.grading.public``, which re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class PublicCheck:
    """A named public check: ``run(ns)`` raises AssertionError (with what went wrong) when it fails."""

    title: str
    hint: str
    names: tuple
    run: Callable


def _near(got, want, what, tol=1e-6):
    if got is Ellipsis or got is None:
        raise NotImplementedError
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    assert got.shape == want.shape, f"{what}: expected shape {want.shape}, got {got.shape}"
    assert np.all(np.isfinite(got)), f"{what}: contains NaN or inf"
    assert np.allclose(got, want, rtol=tol, atol=tol), f"{what}: got {np.round(got, 6).tolist()}, expected {np.round(want, 6).tolist()}"


def near(got, want, what: str, tol: float = 1e-6) -> None:
    """For a course's own public checks: raise AssertionError (the learner's message) unless ``got`` has
    ``want``'s shape, is finite and matches it; NotImplementedError when ``got`` is ``...`` or None (not written)."""
    _near(got, want, what, tol)
