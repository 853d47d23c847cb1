"""Exercise checks for learners and the batch grader for instructors.

- ``check("q3", linear_forward)`` (or ``check("q3")``, reading your notebook's names): runs the
  *public* checks of a question in your own process and prints each as passed/failed with a hint.
  Passing them is not the grade: the grader runs hidden checks on inputs you have not seen.
- ``nnworkshop grade SUBMISSION.ipynb ... --out grades.csv``: the batch grader (``grading.grader``),
  which runs every submission in its own limited process and judges it from outside.

Importing this package imports nothing heavy (no numpy, torch or hidden checks): a submission's process
imports ``grading.child`` and must still be single-threaded when it enters its sandbox.
"""

from __future__ import annotations

__all__ = ["check", "run_public", "QUESTIONS"]


def __getattr__(name):
    if name in __all__:
        from . import public

        return getattr(public, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
