"""A course: a folder the instructor owns, holding each exercise's hidden checks, points and solution notebook.

::

    course/
      course.toml         title; exercises = ["q1", ...] (the order seeds each check's inputs); out = where
                          `nnworkshop exercises build` writes the learners' notebooks (default "exercises")
      reference.py        anything the checks share (here: the reference answers), imported as `from .. import reference`
      q3/
        exercise.toml     title; solution = the solution notebook (default "solution.ipynb"); needs = ["mnist"]
                          when a check reads the unseen digits; [points]: points per check id
        checks.py         CHECKS = [Check(id, title, run), ...]: the hidden checks (``grading.checking``)
        public.py         (optional) CHECKS = [PublicCheck(...)]: what check("q3") runs in the learner's notebook,
                          copied beside the exercise notebook by `exercises build` (the built-in exercises ship theirs
                          in the package, ``grading.public``)

The checks are loaded here, in the grader, as a package of their own (``_nnw_course_<hash>``), never in a
submission's process, and the grader protects the whole folder from submissions. Everything wrong in a course
(a missing file, a check without points, points without a check, a module that does not import) is a
``CourseError`` that names the file and the fix, before any submission is graded.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from .checking import Check

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DEFAULT = PACKAGE_DIR.parent / "course"  # the repository's own course (absent from a pip-installed package)
_LOCK = threading.Lock()
_LOADED: dict = {}


class CourseError(ValueError):
    """A course folder is not one the grader can use; the message names the file and the fix."""


@dataclass(frozen=True)
class Exercise:
    """One exercise of a course: its id (the folder's name, the notebooks' ``nnworkshop.exercise``), its checks
    with their points, its solution notebook and what the grader must have to judge it."""

    id: str
    folder: Path
    title: str
    checks: tuple
    solution: Path
    needs: tuple = ()
    public: Path | None = None
    written: tuple = ()  # (id, points) of the questions marked by hand ("Written answer: id" cells)

    @property
    def points(self) -> float:
        """The exercise's full marks: its checks' points, summed."""
        return float(sum(c.points for c in self.checks))


@dataclass(frozen=True)
class Course:
    """A loaded course: its folder, its exercises in order, where its learners' notebooks are built."""

    root: Path
    title: str
    exercises: dict = field(default_factory=dict)
    out: Path | None = None

    def index(self, exercise: str) -> int:
        """The exercise's place in ``course.toml`` (part of each check's seed)."""
        return list(self.exercises).index(exercise)


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CourseError(f"{path} is missing") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise CourseError(f"{path} is not valid TOML ({err}); fix it and run again") from None


def _package(name: str, folder: Path):
    """A package named ``name`` whose modules are the files of ``folder`` (no ``__init__.py`` needed)."""
    spec = importlib.util.spec_from_loader(name, loader=None, is_package=True)
    module = importlib.util.module_from_spec(spec)
    module.__path__ = [str(folder)]
    sys.modules[name] = module
    return module


def _checks(package: str, folder: Path) -> list:
    path = folder / "checks.py"
    if not path.is_file():
        raise CourseError(f"{path} is missing: write the exercise's hidden checks there (CHECKS = [Check(...), ...]); "
                          "`nnworkshop exercises new COURSE/NAME` writes a working one")
    try:
        module = importlib.import_module(f"{package}.{folder.name}.checks")
    except Exception as err:  # noqa: BLE001 - the instructor's module may raise anything
        where = _where(err, path)
        raise CourseError(f"{path} could not be loaded ({type(err).__name__}: {err}{where}); fix it and run again") \
            from None
    checks = getattr(module, "CHECKS", None)
    if not isinstance(checks, (list, tuple)) or not checks or not all(isinstance(c, Check) for c in checks):
        raise CourseError(f"{path} must define CHECKS, a non-empty list of nnworkshop.grading.checking.Check")
    ids = [c.id for c in checks]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise CourseError(f"{path}: check id(s) {', '.join(twice)} used twice; give every check its own id")
    return list(checks)


def _where(err: BaseException, path: Path) -> str:
    tb = err.__traceback__
    line = None
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename).resolve() == path.resolve():
            line = tb.tb_lineno
        tb = tb.tb_next
    return f", line {line}" if line else ""


def _points(path: Path, table, checks: list) -> list:
    if not isinstance(table, dict) or not table:
        raise CourseError(f"{path} has no [points] table: give each check of checks.py its points "
                          f"({', '.join(f'{c.id} = 1' for c in checks)})")
    ids = [c.id for c in checks]
    unknown = [k for k in table if k not in ids]
    missing = [i for i in ids if i not in table]
    bad = [k for k, v in table.items() if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0]
    problems = []
    if missing:
        problems.append(f"no points for check(s) {', '.join(missing)}")
    if unknown:
        problems.append(f"points for {', '.join(unknown)}, which checks.py does not define (its checks: {', '.join(ids)})")
    if bad:
        problems.append(f"points must be numbers above 0 ({', '.join(f'{k} = {table[k]!r}' for k in bad)})")
    if problems:
        raise CourseError(f"{path}: the point table does not match checks.py: {'; '.join(problems)}")
    return [replace(c, points=table[c.id]) for c in checks]


def _meta(root: Path, name: str) -> dict:
    folder = root / name
    if not folder.is_dir():
        raise CourseError(f"{root / 'course.toml'} lists {name!r}, but {folder} is not a folder; "
                          f"run `nnworkshop exercises new {root}/{name}` or take it off the list")
    return _toml(folder / "exercise.toml")


def _solution(folder: Path, meta: dict) -> Path:
    return (folder / meta.get("solution", "solution.ipynb")).resolve()


def _exercise(package: str, root: Path, name: str) -> Exercise:
    meta = _meta(root, name)
    folder = root / name
    _package(f"{package}.{name}", folder)
    checks = _points(folder / "exercise.toml", meta.get("points"), _checks(package, folder))
    needs = meta.get("needs", [])
    if not isinstance(needs, list) or any(n not in ("mnist",) for n in needs):
        raise CourseError(f"{folder / 'exercise.toml'}: needs = {needs!r}; the grader knows only needs = [\"mnist\"]")
    public = folder / "public.py"
    written = meta.get("written", {})
    if not isinstance(written, dict) or any(isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0
                                            for v in written.values()):
        raise CourseError(f"{folder / 'exercise.toml'}: [written] gives each question marked by hand its points, "
                          "numbers above 0 (e.g. why_mean = 1)")
    clash = [w for w in written if w in {c.id for c in checks}]
    if clash:
        raise CourseError(f"{folder / 'exercise.toml'}: {', '.join(clash)} is both a check and a written question")
    return Exercise(name, folder, str(meta.get("title", name)), tuple(checks), _solution(folder, meta), tuple(needs),
                    public if public.is_file() else None, tuple(written.items()))


def _course_meta(root: Path) -> tuple[dict, list]:
    if not (root / "course.toml").is_file():
        raise CourseError(f"{root} is not a course: it has no course.toml. Point --course at the folder that "
                          "holds course.toml, or start one with `nnworkshop exercises new DIR/NAME`")
    meta = _toml(root / "course.toml")
    names = meta.get("exercises")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n for n in names):
        raise CourseError(f"{root / 'course.toml'} must list its exercises: exercises = [\"q1\", ...]")
    return meta, names


def layout(root) -> tuple[Path, list]:
    """What ``exercises build`` needs, without loading a check: the folder learners' notebooks go to, and for each
    exercise ``(id, solution notebook, public.py or None)``."""
    root = Path(root).resolve()
    meta, names = _course_meta(root)
    rows = []
    for name in names:
        public = root / name / "public.py"
        rows.append((name, _solution(root / name, _meta(root, name)), public if public.is_file() else None))
    return (root / meta.get("out", "exercises")).resolve(), rows


def load(root) -> Course:
    """The course in folder ``root`` (its ``course.toml``, every exercise's checks and points), loaded once."""
    root = Path(root).resolve()
    with _LOCK:
        if root in _LOADED:
            return _LOADED[root]
        meta, names = _course_meta(root)
        package = _package_name(root)
        _package(package, root)
        try:
            exercises = {n: _exercise(package, root, n) for n in names}
        except CourseError:
            _unload(package)  # a fixed file is read afresh next time
            raise
        course = Course(root, str(meta.get("title", root.name)), exercises, (root / meta.get("out", "exercises")).resolve())
        _LOADED[root] = course
        return course


def forget(root) -> None:
    """Load ``root`` afresh next time (after its files changed: ``exercises new`` adds an exercise)."""
    root = Path(root).resolve()
    with _LOCK:
        _LOADED.pop(root, None)
        _unload(_package_name(root))


def _package_name(root: Path) -> str:
    return "_nnw_course_" + hashlib.sha256(str(root).encode()).hexdigest()[:12]


def _unload(package: str) -> None:
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]


def resolve(root=None) -> Course:
    """The course in ``root``, or the repository's ``course/`` when None (an error naming the fix if there is none)."""
    if root is None:
        if not (DEFAULT / "course.toml").is_file():
            raise CourseError("no course to grade with: this installed package carries no hidden checks (they stay "
                              "with the instructor). Pass --course DIR, the folder that holds course.toml "
                              "(the repository's course/ for the built-in exercises)")
        root = DEFAULT
    return load(root)


def module(course: Course, name: str):
    """A module of ``course``'s folder (``reference`` for ``course/reference.py``), imported here in the grader."""
    return importlib.import_module(f"{_package_name(course.root)}.{name}")
