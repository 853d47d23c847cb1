"""Markdown feedback for one learner, in which nothing the learner controls can change the report's structure.

Learner-controlled text (the file name, cell output, errors, check messages that quote them, details)
is never pasted as Markdown: blocks go inside a code fence longer than any run of backticks they hold,
single lines inside a code span, with line breaks folded, so no heading, list, table, link or HTML
can start from them. Feedback names failed checks and what went wrong, never a check's code or answers.
"""

from __future__ import annotations

import re
from pathlib import Path

from .grader import STATUS_TEXT, Result

_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")
_TICKS = re.compile(r"`+")


def _fmt(x: float) -> str:
    return f"{x:g}"


def _longest_ticks(text: str) -> int:
    return max((len(m) for m in _TICKS.findall(text)), default=0)


def fence(text: str) -> list[str]:
    """``text`` as a fenced code block: the fence is longer than any backtick run inside, so it cannot be closed early."""
    ticks = "`" * max(3, _longest_ticks(text) + 1)
    body = _BREAKS.sub("\n", text.rstrip())
    return [ticks, *body.split("\n"), ticks]


def inline(text: str) -> str:
    """``text`` on one line as a code span (its own backticks cannot close it; line breaks become spaces)."""
    text = _BREAKS.sub(" ", str(text)).strip() or " "
    ticks = "`" * (_longest_ticks(text) + 1)
    pad = " " if text[0] == "`" or text[-1] == "`" else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def feedback(r: Result, excerpt: int = 2000) -> str:
    """Markdown feedback for the learner who handed in ``r``."""
    lines = [f"# Feedback: {inline(Path(r.path).name)}" + (f" (exercise {inline(r.exercise)})" if r.exercise else ""), "",
             f"**Score: {_fmt(r.total)} / {_fmt(r.max_total)}**  ",
             f"Status: {r.status}, {STATUS_TEXT.get(r.status, '')}.", "", f"Graded file: {inline(Path(r.path).name)}"]
    if r.detail:
        lines += ["", *fence(r.detail)]
    if r.setup_error:
        lines += ["", "This is the grader's problem, not your notebook's: your instructor has been told and will "
                  "grade it again."]
    if r.status in ("timeout", "memory", "exited", "crashed"):
        lines += ["", "Your notebook was graded on what it had defined before that happened."]
    if r.flags:
        lines += ["", "## Flagged for your instructor", ""] + [f"- {inline(f)}" for f in r.flags]
    if r.checks:
        lines += ["", "## Checks", "", "The grader's checks are hidden: they run on inputs drawn when grading, "
                  "different from the public checks in your notebook. Their names say what they test.", ""]
        for c in r.checks:
            mark = "passed" if c.passed else "FAILED"
            lines.append(f"- {mark} `{c.id}` ({_fmt(c.earned)}/{_fmt(c.points)}): {c.title}")
            if c.message:
                lines.append(f"  - {inline(c.message)}")
    if r.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in r.notes]  # the grader's own sentences
    if r.cell_errors:
        lines += ["", "## Errors in your cells", ""]
        for e in r.cell_errors[:10]:
            lines += [*fence(e[-1500:]), ""]
    if r.output_bytes:
        shown = r.output[:excerpt]
        more = r.output_bytes - len(shown.encode("utf-8", errors="replace"))
        lines += ["", "## Output (start)", "", *fence(shown)]
        if more > 0:
            lines.append(f"({r.output_bytes} bytes of output in all; the rest is not shown.)")
    return "\n".join(lines) + "\n"
