"""One submission judged by its exercise's hidden checks (``course``), and the instructor's mistakes told apart
from the learner's.

Each check gets a ``Ctx`` whose generator is seeded with ``(batch seed, the exercise's place in the course, the
check's place in the exercise)``, so one seed gives the same inputs everywhere. A check that raises ``Fail``
costs the learner its points; one that raises anything else, or that returns or fails without ever asking the
submission (no ``ctx.call``, no ``ctx.memo`` read), is the instructor's bug: the submission gets no grade, its
status is ``error`` with a sentence naming the check and the file to fix, and ``nnworkshop grade`` exits 3, as
for any submission the grader's set-up could not judge.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .checking import Fail
from .session import Ctx

if TYPE_CHECKING:  # annotations only
    from .course import Exercise
    from .grader import Batch, Result
    from .session import Session


@dataclass
class CheckResult:
    """One hidden check's outcome for one submission."""

    question: str
    id: str
    title: str
    points: float
    earned: float
    message: str | None = None

    @property
    def passed(self) -> bool:
        return self.message is None


class InstructorError(Exception):
    """A hidden check is broken (an exception of its own, or it never asked the submission anything)."""


def _origin(err: BaseException, folder: Path) -> str:
    """Where in the course folder the exception was raised: ``checks.py, line 12``."""
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        try:
            rel = Path(frame.filename).resolve().relative_to(folder.parent.resolve())
        except ValueError:
            continue
        return f"{rel.as_posix()}, line {frame.lineno}"
    return f"{folder.name}/checks.py"


def run_check(check, ctx: Ctx, folder: Path) -> str | None:
    """None when ``check`` passes, its failure's sentence when it fails; ``InstructorError`` when it is broken."""
    try:
        check.run(ctx)
        message = None
    except Fail as fail:
        message = str(fail)
    except Exception as err:  # noqa: BLE001 - the instructor's code may raise anything
        raise InstructorError(f"the instructor's check {folder.name}/{check.id} raised {type(err).__name__}: {err} "
                              f"({_origin(err, folder)})") from None
    if not ctx.asked:
        raise InstructorError(f"the instructor's check {folder.name}/{check.id} never asked the submission anything "
                              "(no ctx.call and no ctx.memo read), so it would judge every learner alike")
    return message


def judge(exercise: "Exercise", index: int, session: "Session", batch: "Batch", result: "Result") -> float:
    """Run ``exercise``'s checks on the submission ``session`` ran, recording a ``CheckResult`` each; the points
    earned. An ``InstructorError`` stops the judging and marks ``result`` as not graded (``setup_error``)."""
    earned = 0.0
    for ci, check in enumerate(exercise.checks):
        ctx = Ctx(session, np.random.default_rng([batch.seed, index, ci]), batch)
        try:
            message = run_check(check, ctx, exercise.folder)
        except InstructorError as err:
            result.status, result.setup_error, result.checks = "error", True, []
            result.detail = (f"not graded: {err}. Fix the check (`nnworkshop exercises check --course DIR --grade` "
                             "tries every check on the solution), then grade this submission again.")
            return 0.0
        got = check.points if message is None else 0.0
        result.checks.append(CheckResult(exercise.id, check.id, check.title, check.points, got, message))
        result.notes.extend(n for n in ctx.notes if n not in result.notes)
        earned += got
    return earned
