"""What the instructor's report points at (``classreport``): which failures are unfinished work and which are wrong
answers, the flags each submission raised, and the submissions that are the same code.

- ``unfinished(message)``: a hidden check's failure that comes from work not done (the function still raises
  ``NotImplementedError``, returns ``...`` or ``None``, or is not defined), as opposed to a wrong answer.
- ``flags_of(result)``: the kinds of flag a submission raised: ``another exercise`` (its metadata or name says
  another exercise than it was graded as), ``import refused`` (it imported the course's answers), ``replayed``
  (its process died, a fresh one replayed its cells), ``protected path`` (it tried to open, list or write what
  the grader protects).
- ``duplicates(results)``: groups of two or more submissions that are byte-identical files, or the same code once
  outputs, comments-free whitespace and blank lines are set aside (the code cells' text with every run of
  whitespace removed).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from pathlib import Path

UNFINISHED = re.compile(r"NotImplementedError|is not defined|not written yet|returned (a |an )?(ellipsis|NoneType)")
FLAG_KINDS = ("another exercise", "import refused", "replayed", "protected path")
REPLAYED = ("timeout", "memory", "exited", "crashed")  # statuses after which a fresh process replays the cells


def unfinished(message: str | None) -> bool:
    """Whether a failed check's message says the work is not done (rather than wrong)."""
    return bool(message) and bool(UNFINISHED.search(message))


def flags_of(r) -> list[str]:
    """The kinds of flag (``FLAG_KINDS``) that ``r``, a graded ``Result``, raised."""
    errors = " ".join(r.cell_errors)
    kinds = []
    if r.flags:
        kinds.append("another exercise")
    if re.search(r"importing \S+ is not allowed while grading", errors):
        kinds.append("import refused")
    if r.status in REPLAYED:
        kinds.append("replayed")
    if re.search(r"(reading|listing|writing|dir_fd)[^\n]* is not allowed while grading|Permission denied", errors):
        kinds.append("protected path")
    return kinds


def _code(path: Path) -> str | None:
    from .notebook import SubmissionError, read_submission

    try:
        return "\n".join(re.sub(r"\s+", "", cell) for cell in read_submission(path).cells)
    except (SubmissionError, OSError):
        return None


def duplicates(results) -> list[tuple[str, list[str]]]:
    """``(kind, [path, ...])`` for each group of two or more: ``identical`` (the same bytes) first, then
    ``same code`` (the same code cells once whitespace and outputs are set aside; groups already identical left out)."""
    by_bytes, by_code = defaultdict(list), defaultdict(list)
    for r in results:
        p = Path(r.path)
        try:
            by_bytes[hashlib.sha256(p.read_bytes()).hexdigest()].append(r.path)
        except OSError:
            continue
        code = _code(p)
        if code is not None and code.strip():
            by_code[hashlib.sha256(code.encode()).hexdigest()].append(r.path)
    groups = [("identical", g) for g in by_bytes.values() if len(g) > 1]
    identical = [set(g) for _, g in groups]
    groups += [("same code", g) for g in by_code.values() if len(g) > 1 and set(g) not in identical]
    return groups
