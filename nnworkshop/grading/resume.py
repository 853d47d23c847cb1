"""``nnworkshop grade ... --resume``: read an interrupted batch's CSV and say what is left to grade; ``--update``:
regrade a few of a batch's submissions (with the batch's seed) and put their new rows in its CSV, the others kept."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from .atomic import read_regular
from .outputs import row_key
from .report import uncell

REQUIRED = ("submission", "exercise", "total", "max", "status", "seed")


class ResumeError(ValueError):
    """The CSV cannot be resumed with this command line; the message says why and what to do."""


@dataclass
class Previous:
    """An interrupted batch: its rows by ``outputs.row_key`` (values as written) and its seed (None when it has no row)."""

    rows: dict
    seed: int | None


def for_update(out, paths, seed: int | None = None) -> tuple[list[str], Previous]:
    """``--update``: the batch's submissions (the CSV's, in order, then any new ones in ``paths``) and its rows,
    less those of ``paths``, which are graded again with the batch's seed."""
    out = Path(out)
    if not out.is_file():
        raise ResumeError(f"--update: there is no {out} to update. Grade the batch first, or pass --out its CSV.")
    text = read_regular(out, "--out")
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        raw = list(reader)
        header = reader.fieldnames or []
    except csv.Error as err:
        raise ResumeError(f"{out} is not a readable CSV ({err}); pass --out the batch's CSV.") from None
    lacking = [c for c in REQUIRED if c not in header]
    if lacking:
        raise ResumeError(f"{out} was not written by nnworkshop grade (no {', '.join(lacking)} column); pass --out the "
                          "batch's CSV.")
    keys = [row["submission"] for row in raw]
    previous = read_previous(out, [uncell(k) for k in keys], seed) if raw else Previous({}, None)
    again = {row_key(str(p)) for p in paths}
    everyone = [uncell(k) for k in keys] + [str(p) for p in paths if row_key(str(p)) not in set(keys)]
    return everyone, Previous({k: v for k, v in previous.rows.items() if k not in again}, previous.seed)


def read_previous(out, paths, seed: int | None = None, exercise: str | None = None) -> Previous:
    """Read ``out`` and check it is this batch's CSV: same submissions, same seed, same ``--exercise``."""
    out = Path(out)
    if not out.exists() and not out.is_symlink():
        raise ResumeError(f"--resume: there is no {out} to resume. Run without --resume to start the batch, "
                          "or pass --out the CSV of the run to finish.")
    text = read_regular(out, "--out")
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or []
        raw = list(reader)
    except csv.Error as err:
        raise ResumeError(f"{out} is not a readable CSV ({err}). Pass --out the CSV of the run to finish, "
                          "or run without --resume.") from None
    lacking = [c for c in REQUIRED if c not in header]
    if lacking:
        raise ResumeError(f"{out} was not written by this version of nnworkshop grade (no {', '.join(lacking)} column). "
                          "Pass --out the CSV of the run to finish, or run without --resume to grade everything again.")
    keys = {row_key(str(p)) for p in paths}
    strangers = [row["submission"] for row in raw if row["submission"] not in keys]
    if strangers:
        raise ResumeError(f"{out} holds {len(strangers)} row(s) for submissions not on this command line "
                          f"(e.g. {uncell(strangers[0])}): it belongs to another batch. Pass the same submissions as "
                          "the interrupted run, or another --out.")
    seeds = sorted({row["seed"] for row in raw})
    try:
        found = sorted({int(s) for s in seeds})
    except ValueError:
        raise ResumeError(f"{out} has a seed that is not a whole number ({', '.join(map(repr, seeds))}); "
                          "it was edited. Run without --resume to grade everything again.") from None
    if len(found) > 1:
        raise ResumeError(f"{out} holds rows graded with different seeds ({', '.join(map(str, found))}); it cannot be "
                          "finished as one batch. Run without --resume to grade everything again.")
    previous = found[0] if found else None
    if seed is not None and previous is not None and seed != previous:
        raise ResumeError(f"{out} was graded with --seed {previous}; resuming with --seed {seed} would mix two sets of "
                          f"hidden inputs. Leave out --seed (--resume reuses {previous}) or pass --seed {previous}.")
    if exercise is not None:
        other = sorted({uncell(row["exercise"]) for row in raw if row["exercise"] and uncell(row["exercise"]) != exercise})
        if other:
            raise ResumeError(f"{out} has submissions graded as {', '.join(other)}; this run grades them as {exercise} "
                              "(--exercise). Resume with the --exercise of the interrupted run, or pass another --out.")
    rows = {row["submission"]: {k: uncell(v or "") for k, v in row.items() if k is not None} for row in raw}
    return Previous(rows, previous)
