"""``nnworkshop grade ... --written DIR``: the questions marked by hand, one file per question for the marker.

A question marked by hand is a cell the solution notebook starts with a heading (markdown) or comment (code)
``Written answer: ID`` and the exercise's ``exercise.toml`` gives points under ``[written]``. For each such question
of the submissions graded in this run, ``DIR/<exercise>.<ID>.md`` holds every learner's cell (as they wrote it,
outputs left out) under the submission's file name, with a line for the points. The marks go into the batch CSV's
``written:<exercise>.<ID>`` column, left empty for the instructor; ``--resume``, ``--update`` and ``grade merge``
keep what is written there (a submission graded again gets an empty cell: its answer may have changed).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from .atomic import check_folder, write_atomic
from .feedback import fence


def written_files(results) -> dict:
    """``{"q3.why_mean": markdown text}`` for every question marked by hand among ``results``."""
    by_question: dict = defaultdict(list)
    for r in results:
        for qid, (points, text) in r.written.items():
            by_question[(r.exercise, qid, points)].append((Path(r.path).name, text))
    files = {}
    for (exercise, qid, points), answers in sorted(by_question.items()):
        lines = [f"# {exercise}: written answer `{qid}` ({points:g} points)", "",
                 f"{len(answers)} submission(s). Put each mark in the CSV's `written:{exercise}.{qid}` column.", ""]
        for name, text in sorted(answers):
            lines += [f"## {name}", ""]
            lines += [*fence(text), ""] if text is not None else [
                f"(no cell starting `Written answer: {qid}`: the learner removed or renamed it)", ""]
            lines += [f"Points: ___ / {points:g}", ""]
        files[f"{exercise}.{qid}"] = "\n".join(lines)
    return files


def write_written(results, folder) -> list[Path]:
    """Write ``folder/<exercise>.<id>.md`` for each question marked by hand; returns the paths."""
    folder = Path(folder)
    check_folder(folder, "--written")
    paths = []
    for name, text in written_files(results).items():
        paths.append(write_atomic(folder / f"{name}.md", text, "--written"))
    return paths
