"""Every exercise's hidden checks and points: q1-q6 from ``checks``, q7 from ``autograd_checks``."""

from __future__ import annotations

from .autograd_checks import Q7
from .checks import QUESTIONS as _BEFORE_Q7
from .checks import Check, Fail

QUESTIONS: dict[str, list[Check]] = {**_BEFORE_Q7, "q7": Q7}
POINTS: dict[str, float] = {q: float(sum(c.points for c in checks)) for q, checks in QUESTIONS.items()}

__all__ = ["QUESTIONS", "POINTS", "Fail"]
