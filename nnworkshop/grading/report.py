"""Grading reports: the CSV, Gradescope ``results.json`` files and per-learner feedback.

Everything here is written by the parent from its own ``Result`` objects; nothing a submission wrote
is read. Feedback names failed checks and what went wrong, never a check's code, inputs or answers.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from .grader import STATUS_TEXT, Result, safe_name


def question_columns(results: list[Result]) -> list[str]:
    """The questions graded anywhere in the batch, in order (q1, q2, ...)."""
    seen = {q for r in results for q in r.max_scores}
    return sorted(seen, key=lambda q: (len(q), q))


def _fmt(x: float) -> str:
    return f"{x:g}"


def write_csv(results: list[Result], path) -> Path:
    """A row per submission: submission, exercise, a column per question, total, max, status, seconds, detail."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    questions = question_columns(results)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["submission", "exercise", *questions, "total", "max", "status", "seconds", "detail"])
        for r in results:
            w.writerow([r.path, r.exercise or "", *(_fmt(r.scores[q]) if q in r.scores else "" for q in questions),
                        _fmt(r.total), _fmt(r.max_total), r.status, f"{r.seconds:.2f}", r.detail])
    return path


def report_names(results: list[Result]) -> list[str]:
    """One unique file-name stem per submission (``alice``, ``alice-2``, ...)."""
    taken: set = set()
    return [safe_name(r.path, taken) for r in results]


def gradescope(r: Result) -> dict:
    """The Gradescope autograder ``results.json`` of one submission."""
    tests = [
        {"name": f"{c.question} {c.id}: {c.title}", "score": c.earned, "max_score": c.points,
         "status": "passed" if c.passed else "failed", "output": c.message or "", "visibility": "visible"}
        for c in r.checks
    ]
    out = f"Status: {r.status} ({STATUS_TEXT.get(r.status, r.status)}). {r.detail}".strip()
    return {"score": r.total, "execution_time": round(r.seconds, 2), "output": out, "tests": tests,
            "extra_data": {"status": r.status, "exercise": r.exercise, "max": r.max_total}}


def write_results_json(results: list[Result], folder) -> list[Path]:
    """``folder/<name>/results.json`` for each submission."""
    paths = []
    for name, r in zip(report_names(results), results):
        path = Path(folder) / name / "results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(gradescope(r), indent=2) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def feedback(r: Result, excerpt: int = 2000) -> str:
    """Markdown feedback for the learner who handed in ``r``."""
    lines = [f"# Feedback: {Path(r.path).name}" + (f" (exercise {r.exercise})" if r.exercise else ""), "",
             f"**Score: {_fmt(r.total)} / {_fmt(r.max_total)}**  ", f"Status: {r.status}, {STATUS_TEXT.get(r.status, '')}."]
    if r.detail:
        lines.append(f"{r.detail}.".replace("..", "."))
    if r.status in ("timeout", "memory", "exited", "crashed"):
        lines.append("Your notebook was graded on what it had defined before that happened.")
    if r.checks:
        lines += ["", "## Checks", "", "The grader's checks are hidden: they run on inputs drawn when grading, "
                  "different from the public checks in your notebook. Their names say what they test.", ""]
        for c in r.checks:
            mark = "passed" if c.passed else "FAILED"
            lines.append(f"- {mark} `{c.id}` ({_fmt(c.earned)}/{_fmt(c.points)}): {c.title}")
            if c.message:
                lines.append(f"  - {c.message}")
    if r.notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in r.notes]
    if r.cell_errors:
        lines += ["", "## Errors in your cells", ""]
        for e in r.cell_errors[:10]:
            lines += ["```", e[-1500:], "```"]
    if r.output_bytes:
        shown = r.output[:excerpt]
        more = r.output_bytes - len(shown.encode("utf-8", errors="replace"))
        lines += ["", "## Output (start)", "", "```", shown.rstrip(), "```"]
        if more > 0:
            lines.append(f"({r.output_bytes} bytes of output in all; the rest is not shown.)")
    return "\n".join(lines) + "\n"


def write_feedback(results: list[Result], folder) -> list[Path]:
    """``folder/<name>.md`` for each submission."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    paths = []
    for name, r in zip(report_names(results), results):
        path = Path(folder) / f"{name}.md"
        path.write_text(feedback(r), encoding="utf-8")
        paths.append(path)
    return paths
