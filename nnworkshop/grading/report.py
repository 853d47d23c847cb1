"""Grading reports: the CSV, Gradescope ``results.json`` files and per-learner feedback.

Everything here is written by the parent from its own ``Result`` objects; nothing a submission wrote
is read. Every file is written atomically (``atomic.write_atomic``). CSV text cells that a spreadsheet
would read as a formula (``= + - @``, tab, carriage return first) get a leading ``'``; numeric columns
are written as plain numbers.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

from .atomic import write_atomic
from .feedback import feedback
from .grader import STATUS_TEXT, Result, safe_name

__all__ = ["CSV_COLUMNS", "cell", "csv_text", "feedback", "gradescope", "report_names", "result_row", "uncell",
           "write_csv", "write_feedback", "write_results_json"]

WRITTEN_PREFIX = "written:"  # written:q3.why_mean: the points given by hand, empty until the instructor fills it in
CSV_COLUMNS = ("submission", "exercise", "total", "max", "status", "seconds", "seed", "isolation", "flags", "detail")
NUMERIC = {"total", "max", "seconds", "seed"}  # and every exercise's and written question's column
TEXT_COLUMNS = {"submission", "exercise", "status", "isolation", "flags", "detail"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")  # "'" too, so that neutralising can be undone without doubt


def _sorted_questions(qs) -> list[str]:
    return sorted(qs, key=lambda q: (len(q), q))


def _fmt(x: float) -> str:
    return f"{x:g}"


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def cell(column: str, value) -> str:
    """A CSV cell: numbers as numbers in numeric columns; any text a spreadsheet would run as a formula gets a ``'``."""
    text = "" if value is None else str(value)
    text = text.replace("\0", "\\x00")
    if (column not in TEXT_COLUMNS) and (text == "" or _is_number(text)):
        return text
    return "'" + text if text.startswith(FORMULA_START) else text


def result_row(r: Result) -> dict:
    """One submission's CSV row (column -> value; ``csv_text`` neutralises the cells)."""
    row = {"submission": r.path, "exercise": r.exercise or "", "total": _fmt(r.total), "max": _fmt(r.max_total),
           "status": r.status, "seconds": f"{r.seconds:.2f}", "seed": "" if r.seed is None else str(r.seed),
           "isolation": r.isolation, "flags": " ".join(r.flags), "detail": r.detail}
    row.update({q: _fmt(r.scores[q]) for q in r.max_scores if q in r.scores})
    row.update({f"{WRITTEN_PREFIX}{r.exercise}.{w}": "" for w in r.written})  # the instructor's to fill in
    return row


def uncell(text: str) -> str:
    """The value a cell written by ``cell`` holds (its leading ``'`` removed)."""
    return text[1:] if text.startswith("'") else text


def csv_text(rows: list[dict]) -> str:
    """The CSV of ``rows``: submission, exercise, a column per exercise graded, then ``CSV_COLUMNS``'s others, then
    a column per question marked by hand (``written:q3.why``: kept, empty or filled in, through merges and updates)."""
    questions = _sorted_questions({k for row in rows for k, v in row.items() if k not in CSV_COLUMNS and v != ""
                                   and not k.startswith(WRITTEN_PREFIX)})
    written = sorted({k for row in rows for k in row if k.startswith(WRITTEN_PREFIX)})
    header = ["submission", "exercise", *questions, *CSV_COLUMNS[2:], *written]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for row in rows:
        w.writerow([cell(k, row.get(k, "")) for k in header])
    return buf.getvalue()


def write_csv(results: list[Result], path) -> Path:
    """A row per submission, written atomically (see ``csv_text``)."""
    return write_atomic(path, csv_text([result_row(r) for r in results]))


def report_names(results_or_paths) -> list[str]:
    """One unique file-name stem per submission (``alice``, ``alice-2``, ...)."""
    taken: set = set()
    return [safe_name(getattr(r, "path", r), taken) for r in results_or_paths]


def gradescope(r: Result) -> dict:
    """The Gradescope autograder ``results.json`` of one submission."""
    tests = [
        {"name": f"{c.question} {c.id}: {c.title}", "score": c.earned, "max_score": c.points,
         "status": "passed" if c.passed else "failed", "output": c.message or "", "visibility": "visible"}
        for c in r.checks
    ]
    out = f"Status: {r.status} ({STATUS_TEXT.get(r.status, r.status)}). {r.detail}".strip()
    return {"score": r.total, "execution_time": round(r.seconds, 2), "output": out, "tests": tests,
            "extra_data": {"submission": Path(r.path).name, "status": r.status, "exercise": r.exercise,
                           "max": r.max_total, "seed": r.seed, "isolation": r.isolation, "flags": list(r.flags)}}


def results_json_path(folder, name: str) -> Path:
    return Path(folder) / name / "results.json"


def write_one_results_json(r: Result, path) -> Path:
    return write_atomic(path, json.dumps(gradescope(r), indent=2) + "\n", flag="--results-json")


def feedback_path(folder, name: str) -> Path:
    return Path(folder) / f"{name}.md"


def write_one_feedback(r: Result, path) -> Path:
    return write_atomic(path, feedback(r), flag="--feedback")


def write_results_json(results: list[Result], folder) -> list[Path]:
    """``folder/<name>/results.json`` for each submission."""
    return [write_one_results_json(r, results_json_path(folder, n)) for n, r in zip(report_names(results), results)]


def write_feedback(results: list[Result], folder) -> list[Path]:
    """``folder/<name>.md`` for each submission."""
    return [write_one_feedback(r, feedback_path(folder, n)) for n, r in zip(report_names(results), results)]
