"""``nnworkshop exercises build``: make ``exercises/`` from ``solutions/`` (or, with ``--course DIR``, a course's
learner notebooks from its solution notebooks; ``nnworkshop exercises new DIR/NAME`` starts an exercise,
``grading.authoring``).

Solution notebooks mark answers nbgrader-style:

- a region between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` becomes
  ``raise NotImplementedError("...")`` at the indentation of the ``BEGIN`` line;
- a line ending in ``# SOLUTION`` becomes ``...``: for ``x = expr  # SOLUTION`` only the right-hand
  side (``x = ...``), for ``return expr  # SOLUTION`` the value (``return ...``).

Outputs are cleared, the launch links of ``nnworkshop links`` are written into the first markdown cell
(the set-up cell comes from the solution); each exercise is written as a jupytext pair (``.ipynb`` + ``.py`` percent).
``nnworkshop exercises check`` exits 1 when ``exercises/`` is out of date; with ``--course`` it also loads every
hidden check and point table, so an instructor's mistake shows there rather than while grading. A course
exercise's notebook carries its id in ``nnworkshop.exercise`` and, where the course folder has a ``public.py``,
gets it beside it as ``<id>_public.py`` (what ``check("<id>")`` runs).
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


def _jupytext():
    try:
        import jupytext
        import nbformat
    except ImportError:  # pragma: no cover - dev dependency
        raise SystemExit("building exercises needs jupytext: pip install -e '.[dev]'") from None
    return jupytext, nbformat


def _course_sources(course) -> tuple[Path, list]:
    """``(out, [(solution, stem, exercise id, public.py or None)])`` of a course folder (``grading.course``)."""
    from .grading.course import layout

    out, rows = layout(course)
    sources = []
    for name, solution, public in rows:
        if not solution.is_file():
            raise ExerciseBuildError(f"{name}: its solution notebook {solution} is missing (exercise.toml's solution)")
        sources.append((solution, name if solution.stem == "solution" else solution.stem, name, public))
    return out, sources


def build(solutions: Path = REPO / "solutions", out: Path = REPO / "exercises", publish=None, course=None) -> list[Path]:
    """Write ``out/<name>.ipynb`` and ``out/<name>.py`` for every ``solutions/*.ipynb``; return the paths.
    ``publish``: where the course is published (``publish.Publish``), read from pyproject.toml when None.
    ``course``: a course folder instead: its exercises' solution notebooks, written to its ``out`` unless
    ``out`` is given, with ``<id>_public.py`` beside each notebook that has public checks."""
    jupytext, nbformat = _jupytext()
    links = course is None  # launch links: for the repository's own exercises only (a course's out may be elsewhere)
    if course is not None:
        course_out, sources = _course_sources(course)
        links = course_out == (REPO / "exercises").resolve()
        out = course_out if out is None else out
    else:
        sources = [(src, src.stem, None, None) for src in sorted(Path(solutions).glob("*.ipynb"))]
        if not sources:
            raise ExerciseBuildError(f"no solution notebooks (*.ipynb) in {solutions}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    publish = read_publish() if publish is None else publish
    for src, stem, name, public in sources:
        nb = nbformat.from_dict(exercise_notebook(jupytext.read(src), src.name))
        if name is not None:
            nb.metadata.setdefault("nnworkshop", {})["exercise"] = name
        if links:
            apply(nb, f"exercises/{stem}.ipynb", publish, setup=False)  # launch links survive every build
        for fmt, suffix in (("ipynb", ".ipynb"), ("py:percent", ".py")):
            path = out / (stem + suffix)
            jupytext.write(nb, path, fmt=fmt)
            written.append(path)
        if public is not None:
            path = out / f"{name}_public.py"
            path.write_text(public.read_text(encoding="utf-8"), encoding="utf-8")
            written.append(path)
    return written


def stale(solutions: Path = REPO / "solutions", exercises: Path = REPO / "exercises", publish=None, course=None) -> list[str]:
    """Names of exercise files that differ from a fresh build (empty when up to date). Files are compared by
    what they say (``notebook_meaning``), not byte for byte: a newer jupytext stamping its own version into the
    header does not make an exercise stale. ``course``: a course folder, its notebooks in its ``out`` unless
    ``exercises`` is given."""
    if course is not None and exercises is None:
        exercises = _course_sources(course)[0]
    with tempfile.TemporaryDirectory() as tmp:
        fresh = build(solutions, Path(tmp), publish, course)
        problems = []
        for path in fresh:
            have = Path(exercises) / path.name
            if not have.is_file():
                problems.append(f"{have} is missing")
            elif path.suffix == ".py" and path.stem.endswith("_public") and path.read_bytes() != have.read_bytes():
                problems.append(f"{have} differs from its course's public.py")
            elif path.suffix != ".py" or not path.stem.endswith("_public"):
                if why := differences(path, have):
                    source = f"solutions/{path.stem}.ipynb" if course is None else f"its solution notebook ({path.stem})"
                    problems.append(f"{have} differs from {source}: {'; '.join(why)}")
        expected = {p.name for p in fresh}
        problems += [f"{p} has no solution notebook" for p in sorted(Path(exercises).glob("*"))
                     if p.suffix in (".ipynb", ".py") and p.name not in expected and p.name != "__init__.py"]
        return problems


def _check_course(course) -> list[str]:
    """Every hidden check and point table of ``course`` loaded (``grading.course``): its problems, in words."""
    from .grading.course import CourseError, forget, load

    forget(course)
    try:
        load(course)
    except CourseError as err:
        return [str(err)]
    return []


def _grade_course(course, out) -> list[str]:
    """Grade every exercise's solution (full marks expected) and its built notebook (0 expected) with the course's
    hidden checks: what is wrong, in words (a broken check, a solution short of full marks, a blank exercise that
    scores)."""
    from .grading.course import load
    from .grading.grader import Options, grade

    loaded = load(course)
    out = Path(out) if out is not None else loaded.out
    pairs = [(e.solution, e.points, "its solution") for e in loaded.exercises.values()]
    for _, stem, name, _ in _course_sources(course)[1]:
        pairs.append((out / f"{stem}.ipynb", 0.0, "its blank exercise"))
    problems = []
    results = grade([p for p, _, _ in pairs], Options(course=str(loaded.root), seed=0))
    for (path, want, what), r in zip(pairs, results):
        if r.status != "ok" or r.total != want:
            failed = "; ".join(f"{c.id}: {c.message}" for c in r.checks if c.message and want)
            problems.append(f"{r.exercise or path.name}: {what} ({path.name}) got {r.total:g}/{r.max_total:g}, "
                            f"expected {want:g} ({r.status}{': ' + r.detail if r.detail else ''}"
                            f"{'; ' + failed if failed else ''})")
    return problems


def main(argv=None) -> int:
    """``nnworkshop exercises build|check [--course DIR | --solutions DIR --out DIR]`` and ``exercises new DIR/NAME``."""
    parser = argparse.ArgumentParser(prog="nnworkshop exercises", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("build", "check", "new"),
                        help="build: write the learners' notebooks; check: exit 1 if they are stale (or, with --course, "
                             "a hidden check or point table is wrong); new COURSE/NAME: start an exercise")
    parser.add_argument("target", nargs="?", type=Path, help="for new: COURSE/NAME, the exercise's folder")
    parser.add_argument("--course", type=Path, metavar="DIR", help="a course folder (course.toml): build its exercises "
                        "into its out folder (docs/authoring.md)")
    parser.add_argument("--grade", action="store_true", help="with check --course: also grade every solution (full "
                        "marks expected) and blank exercise (0 expected) with the hidden checks")
    parser.add_argument("--solutions", type=Path, default=REPO / "solutions", help="folder of solution notebooks")
    parser.add_argument("--out", type=Path, default=None, help="folder to write the exercises to (default: exercises/, "
                        "or the course's out)")
    args = parser.parse_args(argv)
    from .grading.authoring import AuthoringError, new
    from .grading.course import CourseError

    out = args.out if args.out is not None or args.course is not None else REPO / "exercises"
    try:
        if args.action == "new":
            if args.target is None:
                parser.error("new takes the exercise's folder: nnworkshop exercises new COURSE/NAME")
            folder = new(args.target)
            print(f"wrote {folder}: exercise.toml (points), solution.ipynb (the answer, marked), checks.py (hidden "
                  f"checks), public.py (check()); next: nnworkshop exercises build --course {folder.parent}")
            return 0
        if args.action == "build":
            problems = _check_course(args.course) if args.course is not None else []
            if problems:
                raise CourseError(problems[0])
            for path in build(args.solutions, out, course=args.course):
                print(f"wrote {path}")
            return 0
        problems = _check_course(args.course) if args.course is not None else []
        problems += stale(args.solutions, out, course=args.course)
        if args.grade and args.course is not None and not problems:
            problems += _grade_course(args.course, out)
    except (ExerciseBuildError, AuthoringError, CourseError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for p in problems:
        print(p)
    if problems:
        print("the course's exercises are out of date or wrong: fix what is listed, run `nnworkshop exercises build"
              + (f" --course {args.course}" if args.course else "") + "` and commit the result.", file=sys.stderr)
        return 1
    print(f"{out or args.course} is up to date" + (" and every hidden check loads" if args.course else "")
          + (", every solution gets full marks and every blank exercise 0" if args.grade and args.course else ""))
    return 0
