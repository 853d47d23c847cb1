"""The ``nnworkshop`` command: ``doctor``, ``bench``, ``exercises build``, ``grade``."""

from __future__ import annotations

import argparse
import sys


def _doctor(args) -> int:
    from .doctor import run_doctor

    return run_doctor()


def _bench(args) -> int:
    from .bench import main as bench_main

    return bench_main(args.rest)


def _exercises(args) -> int:
    from .exercises import main as exercises_main

    return exercises_main(args.rest)


def _grade(args) -> int:
    from .grading.cli import main as grade_main

    return grade_main(args.rest)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="nnworkshop",
        description="nnworkshop: a neural-networks course from NumPy to PyTorch.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("doctor", help="versions, the device that will be used and why, where MNIST is read from")
    p.set_defaults(func=_doctor)
    for name, func, helptext in (
        ("bench", _bench, "time the training loops side by side (see 'nnworkshop bench --help')"),
        ("exercises", _exercises, "build exercises/ from solutions/ (see 'nnworkshop exercises --help')"),
        ("grade", _grade, "grade submitted notebooks (see 'nnworkshop grade --help')"),
    ):
        p = sub.add_parser(name, help=helptext, add_help=False)
        p.add_argument("rest", nargs=argparse.REMAINDER)
        p.set_defaults(func=func)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
