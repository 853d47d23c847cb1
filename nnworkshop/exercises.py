"""``nnworkshop exercises build``: make ``exercises/`` from ``solutions/``.

Solution notebooks mark answers nbgrader-style:

- a region between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes
  ``raise NotImplementedError("...")`` at the indentation of the ``BEGIN`` line;
- a line ending in ``# SOLUTION`` becomes ``...``: for ``x = expr  # SOLUTION`` only the right-hand
  side (``x = ...``), for ``return expr  # SOLUTION`` the value (``return ...``).

Outputs are cleared, the launch links of ``nnworkshop links`` are written into the first markdown cell
(the set-up cell comes from the solution); each exercise is written as a jupytext pair (``.ipynb`` + ``.py`` percent).
``nnworkshop exercises check`` exits 1 when ``exercises/`` is out of date.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
import tempfile
from pathlib import Path

from .notebook_meaning import differences
from .publish import REPO, apply, read_publish

BEGIN = re.compile(r"^(\s*)###\s*BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*###\s*END SOLUTION\s*$")
ONE_LINE = re.compile(r"^(?P<code>.*?)\s*#\s*SOLUTION\s*$")
RETURN = re.compile(r"^(\s*)return\b")
ASSIGN = re.compile(r"^(\s*)([A-Za-z_][\w.\[\], ]*?)\s*(=|\+=|-=|\*=|/=)(?!=)\s*\S")
DEF = re.compile(r"^\s*def\s+([A-Za-z_]\w*)\s*\(")


class ExerciseBuildError(ValueError):
    """A solution notebook's markers do not pair up; the message names the file, cell and line."""


def strip_solutions(source: str, where: str = "cell") -> str:
    """The exercise version of one code cell's source."""
    out: list[str] = []
    region_indent = None
    begin_line = 0
    for n, line in enumerate(source.split("\n"), start=1):
        m = BEGIN.match(line)
        if m:
            if region_indent is not None:
                raise ExerciseBuildError(f"{where}, line {n}: BEGIN SOLUTION inside another solution region "
                                         f"(opened on line {begin_line}); close it with ### END SOLUTION first.")
            region_indent, begin_line = m.group(1), n
            continue
        if END.match(line):
            if region_indent is None:
                raise ExerciseBuildError(f"{where}, line {n}: END SOLUTION without a BEGIN SOLUTION above it.")
            name = next((d.group(1) for d in map(DEF.match, reversed(out)) if d), None)
            what = f"{name}: write" if name else "Write"
            out.append(f'{region_indent}raise NotImplementedError("{what} your code here, in place of this line.")')
            region_indent = None
            continue
        if region_indent is not None:
            continue
        m = ONE_LINE.match(line)
        if m and "SOLUTION" in line.split("#")[-1]:
            code = m.group("code")
            indent = code[: len(code) - len(code.lstrip())]
            if RETURN.match(code):
                out.append(f"{indent}return ...")
            elif ASSIGN.match(code):
                a = ASSIGN.match(code)
                out.append(f"{indent}{a.group(2)} {a.group(3)} ...")
            else:
                out.append(f"{indent}...")
            continue
        out.append(line)
    if region_indent is not None:
        raise ExerciseBuildError(f"{where}, line {begin_line}: BEGIN SOLUTION is never closed with ### END SOLUTION.")
    return "\n".join(out)


def exercise_notebook(nb: dict, name: str) -> dict:
    """A copy of a solution notebook (nbformat dict) with answers stripped and outputs cleared."""
    nb = copy.deepcopy(nb)
    for i, cell in enumerate(nb.get("cells", []), start=1):
        if cell.get("cell_type") != "code":
            continue
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        cell["source"] = strip_solutions(src, f"{name} cell {i}")
        cell["outputs"], cell["execution_count"] = [], None
    return nb


def build(solutions: Path = REPO / "solutions", out: Path = REPO / "exercises", publish=None) -> list[Path]:
    """Write ``out/<name>.ipynb`` and ``out/<name>.py`` for every ``solutions/*.ipynb``; return the paths.
    ``publish``: where the course is published (``publish.Publish``), read from pyproject.toml when None."""
    try:
        import jupytext
        import nbformat
    except ImportError:  # pragma: no cover - dev dependency
        raise SystemExit("building exercises needs jupytext: pip install -e '.[dev]'") from None
    sources = sorted(Path(solutions).glob("*.ipynb"))
    if not sources:
        raise ExerciseBuildError(f"no solution notebooks (*.ipynb) in {solutions}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    publish = read_publish() if publish is None else publish
    for src in sources:
        nb = nbformat.from_dict(exercise_notebook(jupytext.read(src, fmt="ipynb"), src.name))
        apply(nb, f"exercises/{src.stem}.ipynb", publish, setup=False)  # launch links survive every build
        for fmt, suffix in (("ipynb", ".ipynb"), ("py:percent", ".py")):
            path = out / (src.stem + suffix)
            jupytext.write(nb, path, fmt=fmt)
            written.append(path)
    return written


def stale(solutions: Path = REPO / "solutions", exercises: Path = REPO / "exercises", publish=None) -> list[str]:
    """Names of exercise files that differ from a fresh build (empty when up to date). Files are compared by
    what they say (``notebook_meaning``), not byte for byte: a newer jupytext stamping its own version into the
    header does not make an exercise stale."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = build(solutions, Path(tmp), publish)
        problems = []
        for path in fresh:
            have = Path(exercises) / path.name
            if not have.is_file():
                problems.append(f"{have} is missing")
            elif why := differences(path, have):
                problems.append(f"{have} differs from solutions/{path.stem}.ipynb: {'; '.join(why)}")
        expected = {p.name for p in fresh}
        problems += [f"{p} has no solution notebook" for p in sorted(Path(exercises).glob("*"))
                     if p.suffix in (".ipynb", ".py") and p.name not in expected and p.name != "__init__.py"]
        return problems


def main(argv=None) -> int:
    """``nnworkshop exercises build|check [--solutions DIR] [--out DIR]``."""
    parser = argparse.ArgumentParser(prog="nnworkshop exercises", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("build", "check"), help="build: write exercises/; check: exit 1 if it is stale")
    parser.add_argument("--solutions", type=Path, default=REPO / "solutions", help="folder of solution notebooks")
    parser.add_argument("--out", type=Path, default=REPO / "exercises", help="folder to write the exercises to")
    args = parser.parse_args(argv)
    try:
        if args.action == "build":
            for path in build(args.solutions, args.out):
                print(f"wrote {path}")
            return 0
        problems = stale(args.solutions, args.out)
    except ExerciseBuildError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for p in problems:
        print(p)
    if problems:
        print("exercises/ is out of date: run `nnworkshop exercises build` and commit the result.", file=sys.stderr)
        return 1
    print(f"{args.out} is up to date")
    return 0
