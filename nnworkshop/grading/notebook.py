"""Read a submission (``.ipynb``, or a jupytext ``.py`` percent script) into its code cells."""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

MAGIC = re.compile(r"^(\s*)[%!]")
# A cell marked for marking by hand: its first line is a heading (markdown) or comment (code) "Written answer: ID"
WRITTEN = re.compile(r"^\s*#+\s*Written answer:\s*(?P<id>[A-Za-z_]\w*)", re.IGNORECASE)


class SubmissionError(ValueError):
    """The file is not a notebook the grader can read; the message says why and what to do."""


@dataclass
class Submission:
    """A submission's code cells (magics disabled) and the exercise its metadata names (or None)."""

    path: Path
    cells: list[str]
    exercise: str | None
    skipped_magics: int = 0
    notes: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)  # each code cell as Jupyter shows it (``where_in_jupyter``)
    written: dict = field(default_factory=dict)  # id -> the text of the cell marked "Written answer: id"


def where_in_jupyter(position: int, source: str) -> str:
    """A code cell as the learner finds it in Jupyter: its place among all the notebook's cells (markdown too) and
    its first line, e.g. ``cell 7 of the notebook, which starts "def relu(x):"``."""
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    first = first if len(first) <= 60 else first[:57] + "..."
    return f"cell {position} of the notebook, which starts {first!r}" if first else f"cell {position} of the notebook"


def strip_magics(source: str) -> tuple[str, int]:
    """IPython magics and shell escapes (``%x``, ``!x``) become ``pass``; a ``%%cell`` magic line is dropped."""
    lines, n = source.splitlines(), 0
    if lines and lines[0].lstrip().startswith("%%"):
        lines, n = lines[1:], 1
    out = []
    for line in lines:
        m = MAGIC.match(line)
        if m:
            out.append(f"{m.group(1)}pass  # magic skipped while grading")
            n += 1
        else:
            out.append(line)
    return "\n".join(out), n


def _source(cell) -> str:
    src = cell.get("source", "")
    if isinstance(src, list):
        src = "".join(str(s) for s in src)
    if not isinstance(src, str):
        raise SubmissionError("a cell's source is neither text nor a list of lines")
    return src


MAX_BYTES = 100 * 2**20  # no notebook of the course comes near this
# Parsing happens in the grader, before a submission's clock starts, so what it may cost is counted first:
# jupytext's percent reader slows down faster than a file grows (100,000 cells: about 2 minutes), and a JSON of
# nothing but brackets builds millions of Python objects. No notebook of the course comes near either limit.
MAX_CELLS = 2000
MAX_CONTAINERS = 500_000  # JSON objects and arrays in an .ipynb ('{' and '[' counted in its bytes, a bound)


def read_bytes(path) -> bytes:
    """The bytes of the regular file at ``path``, never through a symbolic link and never from a FIFO, a device
    or a socket (opened without following a link and without blocking, then checked); else ``SubmissionError``."""
    path = Path(path)
    name = path.name
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise SubmissionError(f"{name}: no such file") from None
    except OSError as err:
        if os.path.islink(path):
            raise SubmissionError(f"{name}: a symbolic link, not the notebook itself; the grader never follows "
                                  "links. Copy the notebook it points to into the batch instead.") from None
        raise SubmissionError(f"{name}: cannot be read ({err.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = ("a FIFO" if stat.S_ISFIFO(info.st_mode) else "a device" if stat.S_ISCHR(info.st_mode)
                    or stat.S_ISBLK(info.st_mode) else "a socket" if stat.S_ISSOCK(info.st_mode)
                    else "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file")
            raise SubmissionError(f"{name}: {kind}, not a notebook file; the grader reads only regular files. "
                                  "Hand in the .ipynb file itself.")
        if info.st_size > MAX_BYTES:
            raise SubmissionError(f"{name}: {info.st_size} bytes, over the {MAX_BYTES // 2**20} MB a notebook may "
                                  "have; clear its outputs (Kernel > Restart & Clear Output) and save it again.")
        chunks, left = [], MAX_BYTES + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_submission(path) -> Submission:
    """Parse ``path``; raise ``SubmissionError`` for anything that is not a readable notebook (a symbolic link,
    a FIFO or a device among them: see ``read_bytes``). Messages name the file, never its folder."""
    path = Path(path)
    data = read_bytes(path)
    too_many = (f"{path.name}: more than {MAX_CELLS:,} cells, which no notebook of the course has; the grader "
                "does not read it. Submit the notebook you worked in.")
    if path.suffix == ".py":
        if data.count(b"# %%") > MAX_CELLS:
            raise SubmissionError(too_many)
        try:
            import jupytext
        except ImportError:  # pragma: no cover - jupytext is a dev dependency
            raise SubmissionError(f"{path.name}: reading .py notebooks needs jupytext (pip install jupytext)") from None
        try:
            nb = jupytext.reads(data.decode("utf-8"), fmt="py:percent")
        except Exception as err:  # noqa: BLE001
            raise SubmissionError(f"{path.name}: jupytext cannot read it ({err})") from None
        raw = {"cells": [{"cell_type": c.cell_type, "source": c.source} for c in nb.cells], "metadata": dict(nb.metadata)}
    else:
        if data.count(b"{") + data.count(b"[") > MAX_CONTAINERS:
            raise SubmissionError(f"{path.name}: not a notebook Jupyter saves (over {MAX_CONTAINERS:,} JSON objects "
                                  "and lists); the grader does not read it. Submit the .ipynb file saved by Jupyter.")
        try:
            raw = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise SubmissionError(f"{path.name}: not a notebook (invalid JSON: {err}). Submit the .ipynb file saved "
                                  "by Jupyter.") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
            raise SubmissionError(f"{path.name}: not a notebook (no 'cells' list). Submit the .ipynb file saved by "
                                  "Jupyter.")
        if len(raw["cells"]) > MAX_CELLS:
            raise SubmissionError(too_many)
    meta = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
    nnw = meta.get("nnworkshop") if isinstance(meta.get("nnworkshop"), dict) else {}
    exercise = nnw.get("exercise") if isinstance(nnw.get("exercise"), str) else None
    cells, skipped, where, written = [], 0, [], {}
    for position, cell in enumerate(raw["cells"], start=1):
        if isinstance(cell, dict) and cell.get("cell_type") in ("markdown", "code"):
            text = _source(cell)
            first = next((line for line in text.splitlines() if line.strip()), "")
            if (m := WRITTEN.match(first)) and m.group("id") not in written:
                written[m.group("id")] = text
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        original = _source(cell)
        src, n = strip_magics(original)
        cells.append(src)
        where.append(where_in_jupyter(position, original))
        skipped += n
    return Submission(path, cells, exercise, skipped, where=where, written=written)


def name_exercise(path, names) -> str | None:
    """The exercise a file name says (``q3_backprop.ipynb``, ``alice-Q3.ipynb`` -> ``q3``); None for none or several.
    ``names``: the course's exercise ids, each looked for between non-alphanumerics (``faq3``, ``q31`` say nothing)."""
    stem = Path(path).stem.lower()
    found = {n for n in names if re.search(rf"(?<![a-z0-9]){re.escape(n.lower())}(?![a-z0-9])", stem)}
    return found.pop() if len(found) == 1 else None


def exercise_flags(sub: Submission, forced: str | None, names) -> list[str]:
    """Sentences for the instructor when the notebook may belong to another exercise than it is graded as.

    With ``forced`` (``--exercise``) the notebook is graded as that exercise and flagged when its metadata
    or its file name says another one. Without it, it is graded as its metadata says and flagged when
    its file name says another exercise (or, with no metadata, which one the name says). ``names``: the course's
    exercise ids (``name_exercise``).
    """
    graded_as = forced or sub.exercise
    why = "--exercise" if forced else "its metadata"
    named = name_exercise(sub.path, names)
    flags = []
    if forced and sub.exercise is not None and sub.exercise != forced:
        flags.append(f"Its metadata says exercise {sub.exercise[:40]!r}, but it was graded as {forced} (--exercise).")
    if named and graded_as and named != graded_as:
        flags.append(f"Its file name says {named}, but it was graded as {graded_as} ({why}).")
    if named and not graded_as:
        flags.append(f"Its metadata names no exercise; its file name says {named} (pass --exercise {named} to grade it).")
    return flags
