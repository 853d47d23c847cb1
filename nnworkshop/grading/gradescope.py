"""Gradescope: ``nnworkshop autograder build --out autograder.zip [--course DIR] [--exercise NAME]`` and the
``run_autograder`` it holds.

The zip is what a Gradescope programming assignment takes: ``setup.sh`` (run once when the image is built:
installs Python and this course, with its dependencies, on Gradescope's Ubuntu image), ``run_autograder`` (run
for each learner, in a container of its own: grades ``/autograder/submission/*.ipynb`` with the same grader as
``nnworkshop grade`` and writes ``/autograder/results/results.json``), ``course/`` (this package's source) and
``grading-course/`` (the course folder: its hidden checks and points, ``grading.course``; Gradescope keeps the
zip from learners).
``AUTOGRADER_ROOT`` moves ``/autograder`` (so the layout can be tried locally) and ``NNWORKSHOP_PYTHON`` picks
the interpreter (default: the one ``setup.sh`` made).

Inside Gradescope's container the grader uses every kernel layer the container allows (``isolation.probe``); where
the container refuses user namespaces or Landlock it grades with the in-process guard only and says so in
``results.json`` (``extra_data.isolation``): the container, one learner's submission in each, is then the wall
between learners. docs/grading.md says what each layer still adds there.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import zipfile
from pathlib import Path

from .atomic import write_atomic
from .course import CourseError, resolve

PACKAGE_DIR = Path(__file__).resolve().parent.parent
COURSE_DIR = "grading-course"  # the course folder's place in the zip (under /autograder/source)

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, as root, on its Ubuntu image, to install the course and its dependencies.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends python3 python3-venv python3-pip
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --quiet --upgrade pip
# PyTorch's CPU build from PyTorch's index alone (grading never uses a GPU; the CUDA wheels are gigabytes), then
# the course. torch_install.py says in one line when that index cannot be reached and the default build is used.
"$ROOT/venv/bin/python" "$ROOT/source/course/nnworkshop/torch_install.py"
"$ROOT/venv/bin/python" -m pip install --quiet "$ROOT/source/course"
MNIST"$ROOT/venv/bin/python" -m nnworkshop doctor || true
"""
# q6 grades on MNIST: fetched while the image is built, so that a failed download fails the build (where the
# instructor sees it), never a learner's grade. run_autograder points the grader at it.
SETUP_MNIST = """# q6 is graded on MNIST's digits: download them now (about 12 MB) into $ROOT/data; a failure stops the build here.
NNWORKSHOP_DATA="$ROOT/data" "$ROOT/venv/bin/python" -c "from nnworkshop import data; data.mnist(train=True); \\
data.mnist(train=False); print('MNIST ready in', data.resolve_root())"
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for each submission. AUTOGRADER_ROOT moves /autograder (to try the layout locally);
# NNWORKSHOP_PYTHON picks the interpreter (default: the one setup.sh installed).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PY="${NNWORKSHOP_PYTHON:-$ROOT/venv/bin/python}"
export NNWORKSHOP_DATA="${NNWORKSHOP_DATA:-$ROOT/data}"  # where setup.sh put MNIST (q6)
exec "$PY" -m nnworkshop.grading.gradescope run --root "$ROOT" --seed-file "$ROOT/source/SEED_FILE" \
  --course "$ROOT/source/GRADING_COURSE"EXERCISE
"""
SEED_FILE = "assignment-seed"  # in the zip: the assignment's seed, the same for every submission


class AutograderError(ValueError):
    """The zip cannot be built as asked; the message says why and what to do."""


def _course_files():
    """(path in the zip, file) for the course's installable source: pyproject.toml, README.md, the package."""
    repo = PACKAGE_DIR.parent
    yield "course/pyproject.toml", repo / "pyproject.toml"
    yield "course/README.md", repo / "README.md"
    for path in sorted(PACKAGE_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            yield f"course/{path.relative_to(repo).as_posix()}", path


def _add(zf: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # fixed: the same course gives the same zip
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    zf.writestr(info, data)


def _course_folder(root: Path):
    """(path in the zip, file) for the course folder: course.toml, reference files, each exercise's checks."""
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            yield f"{COURSE_DIR}/{path.relative_to(root).as_posix()}", path


def build(out, exercise: str | None = None, seed: int | None = None, seed_file=None, course=None) -> Path:
    """Write the autograder zip to ``out`` (which must not exist), with the assignment's seed baked in: ``seed``, else
    the one in ``seed_file`` (default: ``nnworkshop-seed`` beside ``out``; written there first when missing), so
    every submission is graded on the same hidden inputs as ``nnworkshop grade`` gives with that seed file.
    ``course``: the course folder whose checks grade (default: the repository's ``course/``)."""
    from .seeds import SeedError, assignment_seed, default_seed_file

    try:
        loaded = resolve(course)
    except CourseError as err:
        raise AutograderError(f"the course: {err}") from None
    if exercise is not None and exercise not in loaded.exercises:
        raise AutograderError(f"unknown exercise {exercise!r}: use one of {', '.join(loaded.exercises)}, or leave out "
                              "--exercise to grade each notebook as its metadata says")
    out = Path(out)
    if os.path.lexists(out):
        raise AutograderError(f"{out} already exists; nothing is overwritten. Remove it or choose another --out.")
    if seed is None:
        try:
            seed = assignment_seed(seed_file or default_seed_file(out))[0]
        except SeedError as err:
            raise AutograderError(str(err)) from None
    tmp = out.with_name(f".{out.name}.partial")
    with zipfile.ZipFile(tmp, "w") as zf:
        graded = [loaded.exercises[exercise]] if exercise else list(loaded.exercises.values())
        setup = SETUP.replace("MNIST", SETUP_MNIST if any("mnist" in e.needs for e in graded) else "")
        _add(zf, "setup.sh", setup.encode(), executable=True)
        run_script = RUN.replace("SEED_FILE", SEED_FILE).replace("GRADING_COURSE", COURSE_DIR).replace("EXERCISE", f" --exercise {exercise}" if exercise else "")
        _add(zf, "run_autograder", run_script.encode(), executable=True)
        _add(zf, SEED_FILE, f"{int(seed)}\n".encode())
        for name, path in [*_course_files(), *_course_folder(loaded.root)]:
            _add(zf, name, path.read_bytes())
    os.replace(tmp, out)
    return out


def _pick(notebooks: list[Path], exercise: str | None, course=None) -> tuple[Path, str]:
    """The notebook to grade among those submitted, and a sentence when there was a choice: the first whose file
    name says ``exercise`` among ``course``'s exercises (``notebook.name_exercise``), else the first by name."""
    from .notebook import name_exercise

    if len(notebooks) == 1:
        return notebooks[0], ""
    named = []
    if exercise:
        try:
            names = list(resolve(course).exercises)
        except CourseError:  # grading the chosen notebook says so
            names = [exercise]
        named = [p for p in notebooks if name_exercise(p, names) == exercise]
    chosen = (named or notebooks)[0]
    return chosen, (f"{len(notebooks)} notebooks were submitted; graded {chosen.name} "
                    f"({'its name says ' + exercise if named else 'the first by name'}).")


def run(root, exercise: str | None = None, seed_file=None, course=None) -> dict:
    """Grade ``root/submission``'s notebook and write ``root/results/results.json``; returns what was written.

    ``seed_file``: the assignment's seed baked into the zip (``run_autograder`` passes it); without one, each run
    draws a fresh seed (an autograder built before seeds were baked in). The seed is never written into the
    learner's ``results.json``.
    """
    from . import isolation
    from .grader import Options, grade
    from .report import gradescope
    from .seeds import SeedError, read_seed

    root = Path(root)
    results = root / "results" / "results.json"
    notebooks = sorted((root / "submission").glob("*.ipynb"))
    if not notebooks:
        found = sorted(p.name for p in (root / "submission").glob("*")) if (root / "submission").is_dir() else []
        out = {"score": 0.0, "output": "No notebook (.ipynb) was submitted" + (f" (found: {', '.join(found[:10])})"
               if found else "") + ". Upload the exercise's .ipynb file, saved from Jupyter.",
               "tests": [], "extra_data": {"status": "error"}}
    else:
        chosen, note = _pick(notebooks, exercise, course)
        try:
            seed = read_seed(seed_file) if seed_file is not None else None
        except SeedError as err:
            raise AutograderError(f"{err} (rebuild the autograder with nnworkshop autograder build)") from None
        lacking = isolation.missing(isolation.probe())
        mode = "guard-only" if lacking else "kernel"
        protect = [root / "results", root / "source"] + ([Path(seed_file)] if seed_file is not None else [])
        opts = Options(exercise=exercise, isolation=mode, memory_mb=1024, seed=seed,
                       course=str(course) if course is not None else None)
        (r,) = grade([chosen], opts, protect=protect)
        out = gradescope(r)
        out["extra_data"].pop("seed", None)  # the learner can see results.json: the seed stays with the instructor
        if note:
            out["output"] = f"{note} {out['output']}"
        if lacking:
            out["extra_data"]["isolation"] += ("; Gradescope's container (one learner per container) is the only wall "
                                               "left: " + "; ".join(lacking))
        if r.output:
            out["output"] += "\n\nThe start of your notebook's output:\n" + r.output[:2000]
    results.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(results, json.dumps(out, indent=2) + "\n", "results.json")
    return out


def main(argv=None) -> int:
    """``nnworkshop autograder build ...`` (and ``... run``, which ``run_autograder`` calls)."""
    p = argparse.ArgumentParser(prog="nnworkshop autograder", description="The Gradescope autograder for the exercises.")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="write the autograder zip for a Gradescope programming assignment")
    b.add_argument("--out", type=Path, default=Path("autograder.zip"), help="the zip to write (must not exist)")
    b.add_argument("--exercise", help="grade every submission as this exercise of the course (default: its metadata)")
    b.add_argument("--course", type=Path, metavar="DIR", help="the course folder whose hidden checks grade (default: "
                   "the repository's course/; docs/authoring.md)")
    b.add_argument("--seed-file", type=Path, metavar="FILE", help="the assignment's seed file, the one nnworkshop "
                   "grade uses (default: nnworkshop-seed beside --out; written there first when missing)")
    b.add_argument("--seed", type=int, help="bake this seed in instead of the seed file's")
    r = sub.add_parser("run", help="grade ROOT/submission and write ROOT/results/results.json (run_autograder)")
    r.add_argument("--root", type=Path, default=Path(os.environ.get("AUTOGRADER_ROOT", "/autograder")))
    r.add_argument("--exercise")
    r.add_argument("--course", type=Path, metavar="DIR", help="the course folder (the zip's grading-course)")
    r.add_argument("--seed-file", type=Path, metavar="FILE", help="the assignment's seed (the zip's assignment-seed)")
    args = p.parse_args(argv)
    try:
        if args.command == "build":
            out = build(args.out, args.exercise, args.seed, args.seed_file, args.course)
            print(f"wrote {out}: upload it as a Gradescope programming assignment's autograder"
                  + (f" (every submission graded as {args.exercise})" if args.exercise else ""))
            return 0
        done = run(args.root, args.exercise, args.seed_file, args.course)
    except AutograderError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"score {done['score']:g}; wrote {args.root / 'results' / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
