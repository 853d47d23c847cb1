"""Exercise checks for learners and the batch grader for instructors.

- ``check("q3", linear_forward)`` (or ``check("q3")``, reading your notebook's names): runs the
  *public* checks of a question in your own process and prints each as passed/failed with a hint.
  Passing them is not the grade: the grader runs hidden checks on inputs you have not seen.
- ``nnworkshop grade SUBMISSION.ipynb ... --out grades.csv``: the batch grader (``grading.grader``),
  which runs every submission in its own limited process and judges it from outside.

Importing this package never imports torch or the hidden checks.
"""

from __future__ import annotations

from .public import QUESTIONS, check, run_public

__all__ = ["check", "run_public", "QUESTIONS"]
