"""``nnworkshop exercises new COURSE/NAME``: a new exercise that builds and grades out of the box.

It writes ``COURSE/NAME/`` (``exercise.toml`` with its points, ``solution.ipynb`` with one marked function and one
question marked by hand, ``checks.py`` with two hidden checks, ``public.py`` with one public check) and adds ``NAME`` to
``COURSE/course.toml`` (written first when ``COURSE`` is new). The instructor then edits the four files;
docs/authoring.md walks through them with the built-in q3 as the example.
"""

from __future__ import annotations

import re
from pathlib import Path

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

COURSE_TOML = '''# A course for nnworkshop's grader (docs/authoring.md). Keep this folder private if its answers must stay secret.
title = "{title}"
# The order is part of the grade's reproducibility: exercise i's check j draws its inputs from (seed, i, j).
exercises = [{names}]
# Where `nnworkshop exercises build --course {course}` writes the learners' notebooks (relative to this folder).
out = "exercises"
'''

EXERCISE_TOML = '''# Exercise {name}. Hidden checks: checks.py (run by the grader; never given to learners).
title = "mean squared error"
solution = "solution.ipynb"  # answers marked ### BEGIN SOLUTION / ### END SOLUTION, or `# SOLUTION` on a line
# needs = ["mnist"]  # when a check reads ctx.hidden_digits()

[points]  # points per hidden check, by its id in checks.py
zero = 1
value = 2

[written]  # questions marked by hand: the cell starting "Written answer: why_mean" (nnworkshop grade --written DIR)
why_mean = 1
'''

SOLUTION = '''# %% [markdown]
# # Exercise {name}: mean squared error
#
# Write `mean_squared_error(pred, target)`: the mean of `(pred - target) ** 2` over every entry, as a float.
# `check("{name}")` gives quick feedback, **not your grade**: the grader runs hidden checks on inputs you have not seen.

# %%
import numpy as np

from nnworkshop.grading import check


# %%
def mean_squared_error(pred, target):
    """Mean of (pred - target) ** 2 over all entries of two arrays of the same shape; returns a float."""
    ### BEGIN SOLUTION
    diff = np.asarray(pred, dtype=float) - np.asarray(target, dtype=float)
    return float(np.mean(diff ** 2))
    ### END SOLUTION


# %%
check("{name}")

# %% [markdown]
# ### Written answer: why_mean
# Why divide by the number of entries rather than add the squared differences up? Answer in this cell, below
# this line, in a sentence or two: your instructor marks it by hand.
'''

CHECKS = '''"""Hidden checks of {name}: each asks the submission's process to compute on inputs drawn here (ctx.rng) and compares
with the answer computed here, in the grader. Points per check: exercise.toml. API: nnworkshop.grading.checking."""

from __future__ import annotations

import numpy as np

from nnworkshop.grading.checking import Check, close, num


def _zero(ctx):
    x = ctx.rng.normal(size=(4, 3))
    got = num(ctx.call("mean_squared_error", x, x.copy()), "mean_squared_error")
    close(got, 0.0, "mean_squared_error of two equal arrays")


def _value(ctx):
    # fixed shapes first (a 1-D and a 2-D array), then one drawn for this run
    for shape in ((5,), (3, 4), tuple(int(n) for n in ctx.rng.integers(2, 7, size=2))):
        pred, target = ctx.rng.normal(size=shape), ctx.rng.normal(size=shape)
        got = num(ctx.call("mean_squared_error", pred, target), "mean_squared_error")
        close(got, float(np.mean((pred - target) ** 2)), "mean_squared_error")


CHECKS = [
    Check("zero", "mean_squared_error of two equal arrays is 0", _zero),
    Check("value", "mean_squared_error is the mean of the squared differences", _value),
]
'''

PUBLIC = '''"""Public checks of {name}: what check("{name}") runs in the learner's notebook (known values only, no answer code).
`nnworkshop exercises build` copies this file beside the exercise notebook as {name}_public.py."""

import numpy as np

from nnworkshop.grading.public import PublicCheck, near


def _small(ns):
    got = ns["mean_squared_error"](np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 0.0]))
    near(got, (0 + 4 + 9) / 3, "mean_squared_error([1, 2, 3], [1, 0, 0])")


CHECKS = [
    PublicCheck("mean_squared_error of a small example", "square the differences, then average over every entry",
                ("mean_squared_error",), _small),
]
'''


class AuthoringError(ValueError):
    """The exercise cannot be started as asked; the message says why and what to do."""


def _add_to_course(course: Path, name: str) -> None:
    toml = course / "course.toml"
    if not toml.is_file():
        course.mkdir(parents=True, exist_ok=True)
        toml.write_text(COURSE_TOML.format(title=course.name, names=f'"{name}"', course=course), encoding="utf-8")
        return
    text = toml.read_text(encoding="utf-8")
    m = re.search(r"^exercises\s*=\s*\[(?P<list>[^\]]*)\]", text, re.M)
    if m is None:
        raise AuthoringError(f"{toml} has no one-line `exercises = [...]` list to add {name!r} to: add it by hand")
    items = m.group("list").strip().rstrip(",")
    if re.search(rf"[\"']{name}[\"']", items):
        return  # listed already (its folder was missing): the folder is written now
    text = text[: m.start("list")] + (f"{items}, " if items else "") + f'"{name}"' + text[m.end("list"):]
    toml.write_text(text, encoding="utf-8")


def new(target) -> Path:
    """Start the exercise ``target`` = ``COURSE/NAME``; returns its folder. Refuses an existing folder."""
    import jupytext

    target = Path(target)
    name, course = target.name, target.parent
    if not NAME.fullmatch(name):
        raise AuthoringError(f"{name!r} is not an exercise name: use letters, digits and _, starting with a letter "
                             "(it is the notebooks' nnworkshop.exercise and the name check() takes)")
    if target.exists():
        raise AuthoringError(f"{target} already exists; nothing is overwritten. Choose another name.")
    if str(course) in ("", "."):
        raise AuthoringError(f"give the course folder too: nnworkshop exercises new COURSE/{name}")
    _add_to_course(course, name)
    target.mkdir()
    (target / "exercise.toml").write_text(EXERCISE_TOML.format(name=name), encoding="utf-8")
    (target / "checks.py").write_text(CHECKS.format(name=name), encoding="utf-8")
    (target / "public.py").write_text(PUBLIC.format(name=name), encoding="utf-8")
    nb = jupytext.reads(SOLUTION.replace("{name}", name), fmt="py:percent")
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["nnworkshop"] = {"exercise": name}
    jupytext.write(nb, target / "solution.ipynb", fmt="ipynb")
    return target
