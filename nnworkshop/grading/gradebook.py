"""``nnworkshop grade ... --gradebook FILE``: the batch's scores as a CSV an LMS imports, one row per learner.

A learner is named by a student id taken from the submission: Gradescope's export metadata when the submission sits
in a ``submission_<n>`` folder beside ``submission_metadata.yml`` (the first submitter's ``:sid:``, else its
``:email:``), else the file name, through ``--student-id REGEX`` (its group ``id``; by default the name up to the
first ``_``, ``-``, ``.`` or space: ``s1234567_q3.ipynb`` gives ``s1234567``).

Columns: ``Student``, ``SIS User ID`` (both the id) and one per exercise, ``<exercise> (<points> pts)``. Canvas
matches rows on ``SIS User ID``; Moodle's "Import grades from CSV" maps that column to the user's ID number (or
username). A submission that could not be graded (status ``error``) leaves its cell empty, so the LMS records no
score rather than a 0; a learner with two submissions of one exercise gets the higher score and a warning.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from .atomic import write_atomic

DEFAULT_ID = r"^(?P<id>[^_\-. ]+)"


class GradebookError(ValueError):
    """The gradebook cannot be written as asked; the message says why and what to do."""


def _gradescope_ids(folder: Path) -> dict:
    """``{"submission_123": sid or email}`` from a Gradescope export's ``submission_metadata.yml`` in ``folder``."""
    path = folder / "submission_metadata.yml"
    if not path.is_file():
        return {}
    ids, current = {}, None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        top = re.match(r"^(submission_\d+):\s*$", line)
        if top:
            current = top.group(1)
            continue
        field = re.match(r"^\s+-?\s*:(sid|email):\s*['\"]?([^'\"]*)['\"]?\s*$", line)
        if current and field and field.group(2).strip():
            if field.group(1) == "sid" or current not in ids:
                ids[current] = field.group(2).strip()
    return ids


def student_id(path, pattern: str = DEFAULT_ID) -> str | None:
    """The student id of the submission at ``path`` (Gradescope's metadata, else the file name), or None."""
    p = Path(path)
    for folder in (p.parent, *p.parents):
        if folder.name.startswith("submission_"):
            found = _gradescope_ids(folder.parent).get(folder.name)
            if found:
                return found
            break
    m = re.search(pattern, p.name)
    return m.group("id") if m and m.groupdict().get("id") else None


def gradebook_text(rows: list[dict], points: dict, pattern: str = DEFAULT_ID) -> tuple[str, list[str]]:
    """The gradebook CSV from the batch's CSV rows (``submission``, ``exercise``, ``total``, ``status``) and each
    exercise's full marks; and warnings (a submission with no id, a learner with two submissions of an exercise)."""
    try:
        re.compile(pattern)
    except re.error as err:
        raise GradebookError(f"--student-id {pattern!r} is not a regular expression ({err})") from None
    if "(?P<id>" not in pattern:
        raise GradebookError(f"--student-id {pattern!r} needs a group named id, e.g. '^(?P<id>s\\d+)'")
    table: dict = {}
    warnings = []
    exercises = []
    for row in rows:
        sid = student_id(row["submission"], pattern)
        if sid is None:
            warnings.append(f"{row['submission']}: no student id in its name (--student-id {pattern}); left out")
            continue
        ex = row.get("exercise") or ""
        if not ex:  # not a notebook the grader could read: the learner is listed, with no score
            table.setdefault(sid, {})
            continue
        exercises += [ex] if ex not in exercises else []
        score = row["total"] if row.get("status") != "error" else ""
        cells = table.setdefault(sid, {})
        if ex in cells and cells[ex] != "" and score != "":
            warnings.append(f"{sid} has two submissions of {ex}; the gradebook keeps the higher score")
            score = max(float(cells[ex]), float(score))
            score = f"{score:g}"
        cells[ex] = score if ex not in cells or score != "" else cells[ex]
    header = ["Student", "SIS User ID"] + [f"{ex} ({points.get(ex, 0):g} pts)" for ex in exercises]
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for sid in sorted(table):
        safe = "'" + sid if sid.startswith(("=", "+", "-", "@")) else sid
        writer.writerow([safe, safe] + [table[sid].get(ex, "") for ex in exercises])
    return buf.getvalue(), warnings


def write_gradebook(path, rows: list[dict], points: dict, pattern: str = DEFAULT_ID) -> list[str]:
    """Write the gradebook atomically; returns the warnings."""
    text, warnings = gradebook_text(rows, points, pattern)
    write_atomic(path, text, "--gradebook")
    return warnings
