"""Batch grading: each submission runs in its own fresh process; this (parent) process judges.

The parent draws every input at grading time from a seed the child never sees, sends it, receives
plain numbers/arrays, computes the reference answer itself (the course folder's checks, ``course``, ``judge``) and
scores from the course's point table. The child runs inside the kernel's wall (``isolation``: namespaces, Landlock, a cgroup; see
``process``) with limits (time per cell and per submission, memory, tasks, output, file size, disk), CPU
only and fixed seeds; a child that loops, exits, crashes or runs out of memory is killed, restarted to
replay the cells that ran before, and graded on what it had defined by then (``session``). This module holds
the options, the results, one submission's grading (``_grade``) and the batch.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import isolation
from . import course as courses
from .checking import Fail
from .digits import perturb
from .isolation import identity, policy
from .judge import CheckResult, judge  # noqa: F401 - CheckResult is read from here by the reports
from .notebook import SubmissionError, exercise_flags, read_submission
from .session import STATUS_TEXT, Ctx, Session  # noqa: F401 - STATUS_TEXT is read from here by the reports
from .zygote import Zygotes

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # .../nnworkshop
REPO_DIR = PACKAGE_DIR.parent
# The course's own answers, which a submission must not import: the hand-written NumPy network (q1-q3, q5), the
# torch models and training loops (q4's evaluate, q6's model); the course folder (hidden checks, reference answers)
# is protected with the batch. The child may not read them:
# the kernel's wall (Landlock, its own root) and the guard get them with the batch's protected paths, and the
# child refuses to import them (``ANSWER_MODULES``, defence in depth: code in the process could undo that).
ANSWER_PATHS = (PACKAGE_DIR / "scratch", PACKAGE_DIR / "models.py", PACKAGE_DIR / "training.py",
                PACKAGE_DIR / "__pycache__")  # there: models, training compiled
ANSWER_MODULES = ("nnworkshop.scratch", "nnworkshop.models", "nnworkshop.training")


@dataclass
class Options:
    """Limits and choices for one grading run (``nnworkshop grade --help`` explains each)."""

    timeout: float = 600.0  # whole submission, seconds
    cell_timeout: float = 60.0  # each cell and each graded call, seconds
    memory_mb: int = 1024  # on top of what Python, numpy and torch take to load
    max_output: int = 64 * 1024  # bytes of the submission's output kept
    file_mb: int = 64  # largest file the submission may write
    exercise: str | None = None  # grade every submission as this exercise (else: the notebook's metadata)
    course: str | None = None  # the course folder (hidden checks, points); None: the repository's course/
    data_root: str | None = None  # MNIST for q6 (else NNWORKSHOP_DATA)
    seed: int | None = None  # inputs are drawn from this; a fresh secret one when None
    n_digits: int = 2000  # unseen digits used for q6
    perturb_digits: bool = True  # shift and add noise to the q6 digits (seeded), so a lookup table of MNIST's fails
    startup_timeout: float = 180.0
    # "kernel": the best wall here (namespaces where user namespaces work, else the no-userns wall), refusing to grade
    # without either; "namespaces" or "no-userns": that wall or refuse; "guard-only": no wall, only the in-process guard
    isolation: str = "kernel"
    disk_mb: int = 256  # the submission's folder is a tmpfs of this size
    max_tasks: int = 64  # processes and threads one submission may have at once
    guard: bool = True  # the in-process guard; tests switch it off to show the kernel wall stands alone
    prepared: bool = True  # fork each submission from a process with numpy/torch loaded (``zygote``), or cold-start


class IsolationError(RuntimeError):
    """A kernel layer the grader needs is missing here; the message names it and what to do."""


@dataclass
class Result:
    """Everything the reports need about one graded submission."""

    path: str
    exercise: str | None
    status: str = "ok"
    detail: str = ""
    scores: dict = field(default_factory=dict)
    max_scores: dict = field(default_factory=dict)
    checks: list = field(default_factory=list)
    cell_errors: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    output: str = ""
    output_bytes: int = 0
    seconds: float = 0.0
    seed: int | None = None  # the batch seed the hidden inputs were drawn from
    isolation: str = ""  # the walls the submission ran behind, in words
    flags: list = field(default_factory=list)  # sentences for the instructor (e.g. another exercise's notebook)
    setup_error: bool = False  # not graded because of the grader's set-up (e.g. q6 without MNIST): the exit code says
    written: dict = field(default_factory=dict)  # question marked by hand -> (points, the learner's cell or None)

    @property
    def total(self) -> float:
        return float(sum(self.scores.values()))

    @property
    def max_total(self) -> float:
        return float(sum(self.max_scores.values()))


def _grade(path: Path, batch: "Batch") -> Result:
    t0 = time.monotonic()
    result = Result(path=str(path), exercise=None, seed=batch.seed, isolation=batch.isolation)
    try:
        _grade_into(result, path, batch)
    finally:
        scrub(result, batch.redactions(path))
        result.seconds = time.monotonic() - t0
    return result


def _grade_into(result: Result, path: Path, batch: "Batch") -> None:
    opts = batch.opts
    try:
        sub = read_submission(path)
    except SubmissionError as err:
        result.status, result.detail = "error", str(err)
        return
    exercise = opts.exercise or sub.exercise
    result.exercise = exercise
    result.flags = exercise_flags(sub, opts.exercise, list(batch.course.exercises))
    course = batch.course
    if exercise not in course.exercises:
        result.status = "error"
        result.detail = (f"{path.name}: unknown exercise {exercise!r}; the notebook's metadata (nnworkshop.exercise) "
                         f"names none of {', '.join(course.exercises)}. Pass --exercise to grade it as one of them.")
        return
    points = course.exercises[exercise].points
    result.written = {w: (p, sub.written.get(w)) for w, p in course.exercises[exercise].written}
    result.max_scores = {exercise: points}
    result.scores = {exercise: 0.0}
    problem = batch.setup_problem(exercise)
    if problem:  # never a silent 0: the grader cannot judge this exercise here
        result.status, result.detail, result.setup_error = "error", problem, True
        return
    if sub.skipped_magics:
        result.notes.append(f"{sub.skipped_magics} IPython magic/shell line(s) were skipped")
    tmpdir = tempfile.mkdtemp(prefix="nnw-grade-", dir=batch.workdir)
    session = Session(sub.cells, batch, tmpdir, result, opts.max_output, sub.where)
    try:
        session.run_cells()
        earned = judge(course.exercises[exercise], course.index(exercise), session, batch, result)
        result.scores[exercise] = float(min(max(earned, 0.0), points))
        if session.refused:  # what it sent broke the protocol's budget: no grade, whatever it earned before
            result.scores[exercise] = 0.0
    finally:
        session.close()
        first = session.children[0] if session.children else None
        if first is not None:
            result.output = first.output.text()
            result.output_bytes = first.output.total
        shutil.rmtree(tmpdir, ignore_errors=True)


YOUR_FOLDER = re.compile(r"<grading folder>/nnw-grade-[A-Za-z0-9_]+")  # a submission's own temporary folder


def scrub(result: Result, redactions: list[tuple[str, str]]) -> None:
    """Take the grader's machine out of everything a learner reads: each ``(path, stand-in)`` pair, longest path
    first, is replaced in the detail, notes, cell errors, output and check messages (the temporary folders, the
    submission's own folder, the Python installation, the course's folders)."""
    pairs = sorted({(p, s) for p, s in redactions if p and len(p) > 1}, key=lambda ps: -len(ps[0]))

    def clean(text):
        if not isinstance(text, str):
            return text
        for p, s in pairs:
            text = text.replace(p, s)
        return YOUR_FOLDER.sub("<your folder>", text)

    result.detail = clean(result.detail)
    result.notes = [clean(n) for n in result.notes]
    result.cell_errors = [clean(e) for e in result.cell_errors]
    result.output = clean(result.output)
    result.flags = [clean(f) for f in result.flags]
    for c in result.checks:
        c.message = clean(c.message)


# ---------------------------------------------------------------- a batch


class Batch:
    """What all submissions of one run share: options, the secret seed, protected paths, the staged data."""

    def __init__(self, opts: Options, paths: list[Path], protect: list[Path] = ()):
        self.opts = opts
        self.course = courses.resolve(opts.course)  # a CourseError (naming the fix) before anything starts
        if opts.isolation not in ("kernel", *isolation.WALLS, "guard-only"):
            raise IsolationError(f"unknown isolation {opts.isolation!r}: use 'kernel' (the default: the best wall this "
                                 "machine allows), 'namespaces', 'no-userns' or 'guard-only' (no wall)")
        self.layers = isolation.probe() if opts.isolation != "guard-only" else {}
        try:
            self.wall = isolation.choose(self.layers, opts.isolation)
        except ValueError as err:
            raise IsolationError(
                f"the kernel sandbox is not available here, so submissions could read each other's files, the "
                f"network and the grader: {err}. Fix that (nnworkshop doctor lists the layers), or grade anyway "
                "with --isolation=guard-only, which is not a wall (submitted code can switch the guard off) and is "
                "written into every report.") from None
        self.kernel = self.wall is not None
        self.cgroup = self.layers.get("cgroup") if self.layers.get("cgroup") in ("v1", "v2") else None
        self.isolation = isolation.describe(self.layers, self.wall)
        self.children: set = set()  # live submission processes, so that cancel() can kill them all
        self.cancelled = False
        self.seed = opts.seed if opts.seed is not None else secrets.randbits(63)
        self.workdir = tempfile.mkdtemp(prefix="nnw-batch-")
        self.own_user = self.wall == "no-userns" and self.layers.get("user") == "own"
        if self.own_user:  # each submission's user reaches its own folder in here (and the staged digits), lists nothing
            os.chmod(self.workdir, 0o711)
        self._digits = None
        self._lock = threading.Lock()
        root = opts.data_root or os.environ.get("NNWORKSHOP_DATA", "").strip() or None
        self.real_root = None
        self.staged_root = None
        protected = [REPO_DIR / "solutions", REPO_DIR / "tests", REPO_DIR / ".git", *ANSWER_PATHS, self.course.root]
        protected += [e.solution for e in self.course.exercises.values()]
        self.answer_modules = list(ANSWER_MODULES)
        protected += [Path(p) for p in paths] + [Path(p) for p in protect]
        self.data_problem = ("the grader has no MNIST: point it at the folder that holds MNIST/raw with --data DIR "
                             "or NNWORKSHOP_DATA=DIR (python -c \"import nnworkshop.data as d; d.mnist(train=True); "
                             "d.mnist(train=False)\" downloads both splits into d.default_cache_dir()), then grade "
                             "this submission again")
        if root:
            from ..mnist_files import describe_source, resolve_root

            self.real_root = resolve_root(root)
            raw = self.real_root / "MNIST" / "raw"
            protected += [raw / f"t10k-{k}-ubyte{gz}" for k in ("images-idx3", "labels-idx1") for gz in ("", ".gz")]
            info = describe_source(self.real_root)
            if info["train_present"] and info["test_present"] and not info.get("problem"):
                self.data_problem = None
            else:
                self.data_problem = (f"the grader's MNIST folder ({root}) lacks whole training and test files in "
                                     f"MNIST/raw ({info.get('problem') or 'missing'}): point --data or NNWORKSHOP_DATA "
                                     "at a folder that holds both, then grade this submission again")
            self._stage(raw)
        self.protected = [os.path.realpath(p) for p in protected]  # resolved here, before the child sees them
        self._read = [self.staged_root] if self.staged_root else []
        read, hide = policy.mounts(self._read, self.protected)
        self.rootfs = {"read": read, "hide": hide}
        self.zygotes = Zygotes(self.child_env(self.workdir), opts.startup_timeout) if opts.prepared else None

    def wall_config(self, folder: str) -> dict:
        """The part of a child's configuration that says which wall it builds around itself; in the no-userns wall
        as root it also gives ``folder`` to the submission's own user."""
        wall = {"wall": self.wall, "namespaces": self.wall == "namespaces", "landlock": self.kernel,
                "seccomp": self.wall == "no-userns", "uid": None}
        if self.own_user:
            wall["uid"] = identity.pick()
            identity.give_folder(folder, wall["uid"])
        return {
            "isolation": wall,
            "landlock_rules": [[p, r] for p, r in self.landlock_rules(folder)] if self.kernel else [],
            "rootfs": self.rootfs,
        }

    def setup_problem(self, exercise: str) -> str | None:
        """Why this grader cannot judge ``exercise`` (a sentence naming the fix), or None."""
        if "mnist" in self.course.exercises[exercise].needs and self.data_problem:
            return f"{exercise} was not graded: {self.data_problem}."
        return None

    def redactions(self, path) -> list[tuple[str, str]]:
        """``(path, stand-in)`` pairs: the grader's own paths, as ``scrub`` takes them out of a learner's report."""
        pairs = [(self.workdir, "<grading folder>"), (str(self.course.root), "<course>"), (str(REPO_DIR), "<course>"),
                 (str(PACKAGE_DIR), "<course>/nnworkshop")]
        pairs += [(prefix, "<python>") for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)]
        if self.real_root is not None:
            pairs.append((str(self.real_root), "<MNIST folder>"))
        pairs += [(os.path.realpath(p), s) for p, s in pairs]
        home = os.path.expanduser("~")
        if home not in ("/", "~"):
            pairs.append((home, "~"))
        p = Path(path)
        for folder in {str(p.parent), str(p.absolute().parent), os.path.realpath(p.parent)}:
            if folder not in (".", "", "/"):
                pairs.append((folder + os.sep, ""))
        return pairs

    def child_protected(self) -> list[str]:
        """The protected paths a child is told of (``policy.within_reach``; with the guard alone, all of them)."""
        return policy.within_reach(self.protected, self._read) if self.kernel else list(self.protected)

    def landlock_rules(self, folder: str) -> list:
        """What one submission's process may read and write (``isolation.policy``)."""
        return policy.rules(os.path.realpath(folder), self._read, self.protected, own_proc=self.wall == "no-userns")

    def cancel(self) -> None:
        """Stop now: kill every live submission process (and all they started)."""
        self.cancelled = True
        for child in list(self.children):
            child.kill("error", "grading was interrupted")

    def _stage(self, raw: Path) -> None:
        """The child's MNIST: the training digits, and an empty test split (the real one stays hidden)."""
        if not all((raw / f"train-{k}-ubyte").is_file() for k in ("images-idx3", "labels-idx1")):
            return
        stage = Path(self.workdir) / "data" / "MNIST" / "raw"
        stage.mkdir(parents=True)
        for k in ("images-idx3", "labels-idx1"):
            shutil.copyfile(raw / f"train-{k}-ubyte", stage / f"train-{k}-ubyte")
        from ..synthetic import write_idx

        write_idx(stage / "t10k-images-idx3-ubyte", np.zeros((0, 28, 28), np.uint8))
        write_idx(stage / "t10k-labels-idx1-ubyte", np.zeros((0,), np.uint8))
        self.staged_root = str(stage.parent.parent)

    def child_env(self, tmpdir: str) -> dict:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmpdir, "USER": "learner", "LOGNAME": "learner", "TMPDIR": tmpdir, "LANG": "C.UTF-8",
            "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1",
            "CUDA_VISIBLE_DEVICES": "", "NNWORKSHOP_DEVICE": "cpu", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
            "OPENBLAS_NUM_THREADS": "1", "MPLBACKEND": "Agg", "MPLCONFIGDIR": os.path.join(tmpdir, ".mpl"),
            "XDG_CACHE_HOME": os.path.join(tmpdir, ".cache"), "TORCH_HOME": os.path.join(tmpdir, ".torch"),
        }
        if self.staged_root:
            env["NNWORKSHOP_DATA"] = self.staged_root
        return env

    def hidden_digits(self):
        """``(images, labels)``: ``n_digits`` test digits drawn with the batch seed, in ``mnist_arrays`` format."""
        with self._lock:
            if self._digits is None:
                if self.real_root is None:
                    raise Fail("q6 cannot be graded: the grader has no MNIST (set NNWORKSHOP_DATA or pass --data)")
                from ..data import mnist_arrays

                x, y = mnist_arrays(train=False, root=self.real_root, download=False)
                rng = np.random.default_rng([self.seed, 99])
                idx = rng.permutation(len(y))[: self.opts.n_digits]
                x = x[idx]
                if self.opts.perturb_digits:
                    x = perturb(x, np.random.default_rng([self.seed, 99, 1]))
                self._digits = (np.ascontiguousarray(x, dtype=np.float32), y[idx].astype(np.int64))
            return self._digits

    def close(self) -> None:
        if self.zygotes is not None:
            self.zygotes.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _watch_stop(stop: threading.Event, batch: Batch, done: threading.Event) -> None:
    while not done.is_set():
        if stop.wait(0.05):
            batch.cancel()
            return


def grade(paths, opts: Options | None = None, workers: int = 1, protect=(), progress=None, skip=(),
          stop: threading.Event | None = None) -> list[Result]:
    """Grade every submission in ``paths`` (``workers`` at a time); results in the same order.

    ``protect``: extra paths the submissions may not read (the grader adds its outputs). ``progress``:
    called with each ``Result`` as it finishes. ``skip``: submissions of the batch not graded this time
    (already graded, for ``--resume``); they stay protected like every submission of the batch.
    ``stop``: once this event is set, no submission starts and the running ones are cancelled
    (``Batch.cancel``); only submissions that finished before it was set are returned and passed to
    ``progress``, the others are left out (not graded).
    """
    opts = opts or Options()
    paths = [Path(p) for p in paths]
    skipped = {str(p) for p in skip}
    batch = Batch(opts, paths, [Path(p) for p in protect])
    done = threading.Event()
    watcher = threading.Thread(target=_watch_stop, args=(stop, batch, done), daemon=True) if stop is not None else None
    if watcher is not None:
        watcher.start()
    stopped = stop.is_set if stop is not None else (lambda: False)
    try:
        def one(p):
            if stopped():
                return None
            try:
                r = _grade(p, batch)
            except Exception as err:  # noqa: BLE001 - one broken submission never stops the batch
                r = Result(path=str(p), exercise=opts.exercise, status="error", seed=batch.seed, isolation=batch.isolation,
                           detail=f"grader error: {type(err).__name__}: {err}")
            if stopped():  # it may have been cut short by the stop: not reported, graded again by --resume
                return None
            if progress:
                progress(r)
            return r

        todo = [p for p in paths if str(p) not in skipped]
        if workers <= 1:
            results = [one(p) for p in todo]
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                results = list(pool.map(one, todo))
        return [r for r in results if r is not None]
    finally:
        done.set()
        if watcher is not None:
            watcher.join()
        batch.close()


def safe_name(path: str, taken: set) -> str:
    """A file-name stem for a submission's reports, unique within ``taken`` (which holds them in lower case).

    Characters other than letters, digits, ``_``, ``.`` and ``-`` become ``_`` and leading dots go (no ``.`` or
    ``..``, no hidden file), so two names can come out the same (``a b`` and ``a_b``; ``Alice`` and ``alice`` on a
    file system that ignores case): the later one gets ``-2``, ``-3``, ... until it differs from every name taken,
    ignoring case.
    """
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(path).stem).lstrip(".") or "submission"
    name, i = stem, 2
    while name.lower() in taken:
        name, i = f"{stem}-{i}", i + 1
    taken.add(name.lower())
    return name
