"""``nnworkshop grade SUBMISSION.ipynb ... --out grades.csv``: grade submissions in fresh processes."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .grader import IsolationError, Options, grade
from .report import write_csv, write_feedback, write_results_json


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
        description="Grade exercise notebooks. Each submission runs in its own fresh, limited Python process "
                    "in a temporary folder; this process holds the hidden checks and judges the answers.",
    )
    p.add_argument("submissions", nargs="+", type=Path, help="notebooks (.ipynb, or jupytext .py percent scripts)")
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
    p.add_argument("--exercise", choices=("q1", "q2", "q3", "q4", "q5", "q6"),
                   help="grade every submission as this exercise (default: the notebook's nnworkshop.exercise metadata)")
    p.add_argument("--data", metavar="DIR", help="folder holding MNIST/raw, for q6 (default: $NNWORKSHOP_DATA)")
    p.add_argument("--seed", type=int, help="draw the hidden inputs from this seed (default: a fresh secret one)")
    p.add_argument("--isolation", choices=("kernel", "guard-only"), default="kernel",
                   help="kernel (default): each submission in its own namespaces, Landlock and cgroup, and refuse to "
                        "start where a layer is missing; guard-only: only the in-process guard (written into the reports)")
    return p


def main(argv=None) -> int:
    """Grade, write the reports, print a line per submission; 0 when the batch was graded."""
    args = build_parser().parse_args(argv)
    missing = [str(p) for p in args.submissions if not p.is_file()]
    if missing:
        print(f"error: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    opts = Options(timeout=args.timeout, cell_timeout=args.cell_timeout, memory_mb=args.memory,
                   max_output=args.max_output * 1024, exercise=args.exercise, data_root=args.data, seed=args.seed,
                   isolation=args.isolation)
    protect = [args.out] + [p for p in (args.results_json, args.feedback) if p is not None]

    def progress(r):
        print(f"{r.path}: {r.total:g}/{r.max_total:g} {r.status} ({r.seconds:.1f} s)"
              + (f" - {r.detail}" if r.detail else ""), flush=True)

    t0 = time.monotonic()
    try:
        results = grade(args.submissions, opts, workers=args.workers, protect=protect, progress=progress)
    except IsolationError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    write_csv(results, args.out)
    if args.results_json:
        write_results_json(results, args.results_json)
    if args.feedback:
        write_feedback(results, args.feedback)
    bad = sum(r.status != "ok" for r in results)
    print(f"graded {len(results)} submission(s) in {time.monotonic() - t0:.1f} s with {args.workers} worker(s); "
          f"{bad} not ok; wrote {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
