"""``nnworkshop grade SUBMISSION.ipynb ... --out grades.csv``: grade submissions in fresh processes."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from pathlib import Path

from .atomic import OutputError, check_target, partial_path
from .classreport import write_report
from .course import CourseError, resolve
from .gradebook import DEFAULT_ID, GradebookError, write_gradebook
from .grader import IsolationError, Options, grade
from .written import write_written
from . import isolation
from .outputs import Outputs
from .resume import ResumeError, for_update, read_previous
from .seeds import SeedError, assignment_seed, default_seed_file
from .shards import ShardError, manifest_path, merge, parse_shard, share, write_manifest
from .stopping import Lines, stop_on_signals


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="nnworkshop grade",
        usage="nnworkshop grade [options] -- SUBMISSION [SUBMISSION ...]",
        description="Grade exercise notebooks. Each submission runs in its own fresh, limited Python process "
                    "in a temporary folder; this process holds the hidden checks and judges the answers. "
                    "Every argument after -- is a submission, and so is every argument that names an existing file "
                    "or folder wherever it stands (a learner's file named --out=x.ipynb is graded, never obeyed).",
        allow_abbrev=False,
    )
    p.add_argument("submissions", nargs="+", type=Path, help="notebooks (.ipynb, or jupytext .py percent scripts), "
                   "or folders holding them")
    p.add_argument("--out", type=Path, default=Path("grades.csv"), help="CSV: a row per submission (default grades.csv)")
    p.add_argument("--results-json", type=Path, metavar="DIR", help="write DIR/<name>/results.json (Gradescope format)")
    p.add_argument("--feedback", type=Path, metavar="DIR", help="write DIR/<name>.md, feedback for each learner")
    p.add_argument("--workers", type=_positive(int), default=1, metavar="N", help="grade N submissions at once (default 1)")
    p.add_argument("--timeout", type=_positive(float), default=600.0, metavar="SECONDS",
                   help="time limit for a whole submission (default 600)")
    p.add_argument("--cell-timeout", type=_positive(float), default=60.0, metavar="SECONDS",
                   help="time limit for each cell and each graded call (default 60)")
    p.add_argument("--memory", type=_positive(int), default=1024, metavar="MB",
                   help="memory a submission may use on top of Python+numpy+torch once loaded (default 1024)")
    p.add_argument("--max-output", type=_positive(int), default=64, metavar="KB", help="output kept per submission (default 64)")
    p.add_argument("--exercise", metavar="NAME",
                   help="grade every submission as this exercise of the course (default: the notebook's "
                        "nnworkshop.exercise metadata)")
    p.add_argument("--course", type=Path, metavar="DIR",
                   help="the course folder: its course.toml, each exercise's hidden checks and points (default: the "
                        "repository's course/; docs/authoring.md)")
    p.add_argument("--data", metavar="DIR", help="folder holding MNIST/raw, for q6 (default: $NNWORKSHOP_DATA)")
    p.add_argument("--seed", type=int, help="draw the hidden inputs from this seed instead of the assignment's "
                                           "(--seed-file)")
    p.add_argument("--seed-file", type=Path, metavar="FILE",
                   help="the assignment's seed, kept by the instructor: read from FILE, or written there with a fresh "
                        "secret seed the first time, and used by every batch, shard and autograder of the assignment "
                        "(default: nnworkshop-seed in the folder of --out)")
    p.add_argument("--update", action="store_true",
                   help="regrade only the submissions given (a fixed notebook, one graded as the wrong exercise with "
                        "--exercise) with the batch's seed, and replace their rows in --out; every other row is kept")
    p.add_argument("--resume", action="store_true",
                   help="finish an interrupted batch: keep the rows already in --out, grade only the submissions "
                        "missing from it, with its seed")
    p.add_argument("--isolation", choices=("kernel", "namespaces", "no-userns", "guard-only"), default="kernel",
                   help="kernel (default): the best wall the kernel offers here: namespaces, Landlock and a cgroup where "
                        "user namespaces work, else the no-userns wall (a user of its own as root, Landlock, a seccomp "
                        "filter, rlimits), and refuse to start without either; namespaces / no-userns: that wall or "
                        "refuse; guard-only: NO wall, only the in-process guard (said in every report)")
    p.add_argument("--cold-start", action="store_true",
                   help="start a fresh Python for every submission instead of forking it from a process that has "
                        "already loaded numpy and torch (slower; for comparison)")
    p.add_argument("--report", type=Path, metavar="HTML", help="write the instructor's report: one self-contained "
                   "page with the class's scores, every check's pass rate, the common failures, statuses and times")
    p.add_argument("--written", type=Path, metavar="DIR", help="write DIR/<exercise>.<id>.md for each question marked "
                   "by hand: every learner's answer, for marking (the marks go in the CSV's written: columns)")
    p.add_argument("--gradebook", type=Path, metavar="CSV", help="also write the scores as a CSV an LMS imports "
                   "(Canvas, Moodle): a row per student id, a column per exercise")
    p.add_argument("--student-id", default=DEFAULT_ID, metavar="REGEX", help="where the student id is in a file name "
                   "(a group named id; default: the name up to the first _ - . or space); Gradescope's export metadata "
                   "is used where there is one")
    p.add_argument("--shard", metavar="K/N", help="grade only shard K of N (1 <= K <= N) of the submissions: every N-th "
                   "in the order of their file names' SHA-256, the same share on every machine; writes "
                   "OUT.shard.json beside --out for 'nnworkshop grade merge'")
    return p


def split_argv(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """``argv`` with every submission moved after a ``--``, so that no file name is ever read as an option.

    A submission is every argument after ``--`` and every argument that names an existing file or folder
    (``os.path.lexists``), wherever it stands: a shell glob such as ``*.ipynb`` yields only such names, so a
    learner's file named ``--exercise=q1.ipynb`` or ``-x.ipynb`` is graded like any other. Other arguments
    starting with ``-`` are options, and the one after an option that takes a value is its value.
    """
    takes_value = {s: a.nargs != 0 for a in parser._actions for s in a.option_strings}
    options, paths, i = [], [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            paths += argv[i + 1:]
            break
        if os.path.lexists(arg) or not arg.startswith("-") or arg == "-":
            paths.append(arg)
        else:
            options.append(arg)
            if "=" not in arg and takes_value.get(arg) and i + 1 < len(argv):
                options.append(argv[i + 1])
                i += 1
        i += 1
    return [*options, "--", *paths]


def _expand(paths: list[Path]) -> list[Path]:
    """A folder stands for the notebooks in it (sorted); one with none is an error."""
    out = []
    for p in paths:
        if p.is_dir():
            found = sorted(p.glob("*.ipynb"))
            if not found:
                raise ShardError(f"{p} is a folder with no notebook (.ipynb) in it; pass the notebooks or the folder "
                                 "that holds them")
            out += found
        else:
            out.append(p)
    return out


def merge_main(argv) -> int:
    """``nnworkshop grade merge shard-*.csv --out grades.csv``: join the shards of one batch."""
    p = argparse.ArgumentParser(prog="nnworkshop grade merge", description="Join the CSVs (and results.json and "
                                "feedback folders) of a batch graded in shards with --shard K/N.")
    p.add_argument("csvs", nargs="*", type=Path, help="every shard's CSV (its .shard.json must be beside it)")
    p.add_argument("--out", type=Path, required=True, help="the merged CSV (must not exist)")
    p.add_argument("--results-json", type=Path, metavar="DIR", help="gather the shards' results.json files here")
    p.add_argument("--feedback", type=Path, metavar="DIR", help="gather the shards' feedback files here")
    args = p.parse_args(argv)
    try:
        done = merge(args.csvs, args.out, args.results_json, args.feedback)
    except (ShardError, OutputError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"merged {done['shards']} shard(s): {done['rows']} submission(s), seed {done['seed']}, {done['files']} "
          f"report file(s); wrote {args.out}")
    return 0


def main(argv=None) -> int:
    """Grade, write the reports as each submission finishes, print a line per submission.

    0 when the batch was graded; 2 for bad input; 3 when some submissions could not be graded because of the
    grader's set-up (q6 without MNIST: their rows say status error and the fix); 128 + the signal's number when
    SIGINT/SIGTERM stopped it.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["merge"] and not os.path.lexists("merge"):  # a file named merge is a submission (split_argv)
        return merge_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(split_argv(parser, argv))
    missing = [str(p) for p in args.submissions if not os.path.lexists(p)]
    if missing:
        print(f"error: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        batch = _expand(args.submissions)
        shard = parse_shard(args.shard) if args.shard else None
    except ShardError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    args.submissions = share(batch, *shard) if shard else batch
    try:  # the instructor's course is read, and its mistakes said, before any file is written
        course = resolve(args.course)
    except CourseError as err:
        print(f"error: the course: {err}", file=sys.stderr)
        return 2
    if args.exercise is not None and args.exercise not in course.exercises:
        print(f"error: --exercise {args.exercise}: the course {course.root} has no such exercise; its exercises: "
              f"{', '.join(course.exercises)}", file=sys.stderr)
        return 2
    lacking = isolation.missing(isolation.probe(), args.isolation) if args.isolation != "guard-only" else []
    if lacking:  # before any file is written
        print("error: no kernel wall can be built here, so submissions could read each other's files, the "
              "network and the grader: " + "; ".join(lacking) + ". Fix that (nnworkshop doctor lists the layers), or "
              "grade anyway with --isolation=guard-only, which is NO wall and is written into every report.",
              file=sys.stderr)
        return 2
    stop = threading.Event()
    try:
        if args.update and (args.resume or shard):
            raise ResumeError("--update regrades a few submissions of a whole batch: not with --resume or --shard")
        if args.update:
            regrade = list(args.submissions)
            everyone, previous = for_update(args.out, regrade, args.seed)
            batch = args.submissions = [Path(p) for p in everyone]
        else:
            previous = read_previous(args.out, args.submissions, args.seed, args.exercise) if args.resume else None
        seed_file = args.seed_file or default_seed_file(args.out)
        if args.seed is not None:
            seed = args.seed
        elif previous and previous.seed is not None:
            seed = previous.seed
        else:
            seed, created = assignment_seed(seed_file)
            if created:
                print(f"wrote this assignment's seed to {seed_file}: every batch, shard and autograder of the "
                      "assignment reads it there; keep it, and keep it from learners", file=sys.stderr)
        outputs = Outputs(args.submissions, args.out, args.results_json, args.feedback,
                          kept=previous.rows if previous else None, stop=stop)
        outputs.check()
        if shard:
            check_target(manifest_path(args.out), "--out")
        for option, target in (("--report", args.report), ("--gradebook", args.gradebook)):
            if target is not None:
                check_target(target, option)
        outputs.write_csv()  # now: the path is writable, and a stale CSV never passes for this batch's
        if shard:
            write_manifest(args.out, *shard, batch, args.submissions, seed, args.exercise, args.results_json,
                           args.feedback)
    except (ResumeError, OutputError, SeedError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    opts = Options(timeout=args.timeout, cell_timeout=args.cell_timeout, memory_mb=args.memory,
                   max_output=args.max_output * 1024, exercise=args.exercise, data_root=args.data, seed=seed,
                   isolation=args.isolation, prepared=not args.cold_start, course=str(course.root))
    protect = [args.out, partial_path(args.out), seed_file] + [p for p in (args.results_json, args.feedback, args.report,
                                                                          args.gradebook, args.written)
                                                               if p is not None]
    protect += [p for p in batch if p not in args.submissions]  # the other shards' submissions
    lines = Lines()
    graded = []

    def progress(r):
        graded.append(r)
        outputs.add(r)
        lines(f"{r.path}: {r.total:g}/{r.max_total:g} {r.status} ({r.seconds:.1f} s)"
              + (f" - {r.detail}" if r.detail else "") + (f" [flagged: {' '.join(r.flags)}]" if r.flags else ""))

    t0 = time.monotonic()
    with stop_on_signals(stop) as caught:
        try:
            grade(args.submissions, opts, workers=args.workers, protect=protect, progress=progress,
                  skip=outputs.done(), stop=stop)
        except IsolationError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:  # a second Ctrl-C: the files hold every submission finished so far
            stop.set()
    n, before = len(outputs.paths), outputs.kept
    done = before + outputs.graded
    if args.report is not None and outputs.error is None:
        order = {p: i for i, p in enumerate(outputs.paths)}
        try:
            write_report(sorted(graded, key=lambda r: order.get(r.path, 0)), args.report, seed)
        except OSError as err:
            print(f"error: cannot write the report {args.report}: {err}", file=sys.stderr)
            return 2
    if args.written is not None and outputs.error is None:
        try:
            for path in write_written(graded, args.written):
                lines(f"wrote {path}: the written answers to mark")
        except (OutputError, OSError) as err:
            print(f"error: cannot write the written answers to {args.written}: {err}", file=sys.stderr)
            return 2
    if args.gradebook is not None and outputs.error is None:
        points = {e: x.points for e, x in course.exercises.items()}
        try:
            for warning in write_gradebook(args.gradebook, [r for r in outputs.rows if r is not None], points,
                                           args.student_id):
                print(f"gradebook: {warning}", file=sys.stderr)
        except (GradebookError, OSError) as err:
            print(f"error: cannot write the gradebook {args.gradebook}: {err}", file=sys.stderr)
            return 2
    if outputs.error is not None:
        print(f"error: {outputs.error}\nstopped after {done} of {n} submission(s); fix the output path and run the "
              "same command with --resume to finish.", file=sys.stderr)
        return 2
    if caught:
        print(f"stopped by {caught[0].name}: {done} of {n} submission(s) graded ({outputs.graded} in this run"
              + (f", {before} before" if before else "") + f"), written to {args.out}. To finish, run the same "
              "command again with --resume.", file=sys.stderr)
        return 128 + caught[0].value
    bad = sum(row.get("status") != "ok" for row in outputs.rows if row is not None)
    lines(f"graded {outputs.graded} submission(s) in {time.monotonic() - t0:.1f} s with {args.workers} worker(s)"
          + (f" ({before} already in {args.out})" if before else "") + f"; {bad} not ok; seed {seed}; wrote {args.out}")
    if lines.closed:
        print(f"nnworkshop grade: standard output was closed; grading went on and wrote {args.out}", file=sys.stderr)
    unjudged = [r for r in graded if r.setup_error]
    if unjudged:
        print(f"error: {len(unjudged)} submission(s) could not be graded because of the grader's set-up (status error "
              f"in {args.out}): {unjudged[0].detail}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
