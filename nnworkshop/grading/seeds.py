"""The assignment's seed: one number, kept by the instructor in a small file, that every batch, shard and
Gradescope submission of an assignment draws its hidden inputs from, so the same work gets the same score.

``nnworkshop grade`` reads it from ``--seed-file`` (default: ``nnworkshop-seed`` in the folder of ``--out``) and
writes it there the first time, with a fresh secret number; ``--seed N`` overrides it. The file is the
instructor's: it is created readable by its owner only, never through a symbolic link, and the graded
submissions may not read it (the grader protects it like its outputs). The seed is written into the instructor's
CSV, never into a learner's feedback.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

FILE_NAME = "nnworkshop-seed"
LIMIT = 10**15  # a spreadsheet shows every seed below this exactly


class SeedError(ValueError):
    """The seed file cannot be used; the message says why and what to do."""


def default_seed_file(out) -> Path:
    """Where the assignment's seed lives when ``--seed-file`` is not given: beside the CSV (``--out``)."""
    return Path(out).parent / FILE_NAME


def read_seed(path) -> int:
    """The seed in ``path`` (a regular file, not a link, holding one whole number), or ``SeedError``."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        link = " (a symbolic link: the grader never follows one here)" if os.path.islink(path) else ""
        raise SeedError(f"cannot read the seed file {path}{link}: {err.strerror}. Point --seed-file at the "
                        "assignment's seed file, or remove the link so that a new one is written.") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SeedError(f"the seed file {path} is not a regular file; point --seed-file at the assignment's seed "
                            "file, or remove it so that a new one is written")
        text = os.read(fd, 4096).decode("ascii", "replace")
    finally:
        os.close(fd)
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if len(lines) != 1 or not lines[0].isdigit() or int(lines[0]) >= LIMIT:
        raise SeedError(f"the seed file {path} does not hold one whole number below {LIMIT}; restore it from the "
                        "assignment's first run (its CSV's seed column), or pass --seed N")
    return int(lines[0])


def assignment_seed(path) -> tuple[int, bool]:
    """``(seed, created)``: the seed in ``path``, written there first (fresh and secret) when there is none.

    Two graders starting at once (shards on a shared folder) agree: the file is written whole under a temporary
    name and linked into place, which fails when another got there first, whose seed is then read.
    """
    path = Path(path)
    if os.path.lexists(path):
        return read_seed(path), False
    seed = secrets.randbelow(LIMIT)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)  # as --out's folder is made
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, (f"# nnworkshop grade: this assignment's seed; every batch, shard and Gradescope autograder "
                          f"of it uses it. Keep it, and keep it from learners.\n{seed}\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)
            return seed, True
        except FileExistsError:
            return read_seed(path), False
        finally:
            os.unlink(tmp)
    except OSError as err:
        raise SeedError(f"cannot write the seed file {path}: {err.strerror}. Pass --seed-file with a path you can "
                        "write, or --seed N") from None
