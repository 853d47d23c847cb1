"""The ``nnworkshop`` command: ``doctor``, ``bench``, ``exercises build``, ``grade``, ``board serve``, ``autograder build``,
``links``, ``lab``."""

from __future__ import annotations

import argparse
import sys


def _doctor(args) -> int:
    from .doctor import run_doctor

    return run_doctor()


def _bench(rest) -> int:
    if "--grading" in rest:
        from .grading.bench import main as grading_bench_main

        return grading_bench_main(rest)
    from .bench import main as bench_main

    return bench_main(rest)


def _exercises(rest) -> int:
    from .exercises import main as exercises_main

    return exercises_main(rest)


def _links(rest) -> int:
    from .links import main as links_main

    return links_main(rest)


def _lab(rest) -> int:
    from .lab import main as lab_main

    return lab_main(rest)


def _grade(rest) -> int:
    from .grading.cli import main as grade_main

    return grade_main(rest)


def _board(rest) -> int:
    from .board.cli import main as board_main

    return board_main(rest)


def _autograder(rest) -> int:
    from .grading.gradescope import main as autograder_main

    return autograder_main(rest)


# Commands with options of their own: everything after the name is handed over as it is.
PASSTHROUGH = {"bench": _bench, "exercises": _exercises, "grade": _grade, "board": _board, "autograder": _autograder,
               "links": _links, "lab": _lab}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="nnworkshop",
        description="nnworkshop: a neural-networks course from NumPy to PyTorch.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("doctor", help="versions, the device that will be used and why, where MNIST is read from")
    p.set_defaults(func=_doctor)
    for name, helptext in (
        ("bench", "time the training loops side by side (see 'nnworkshop bench --help')"),
        ("exercises", "build exercises/ from solutions/ (see 'nnworkshop exercises --help')"),
        ("grade", "grade submitted notebooks (see 'nnworkshop grade --help')"),
        ("board", "run a class board where the room's runs meet (see 'nnworkshop board --help')"),
        ("autograder", "build a Gradescope autograder zip (see 'nnworkshop autograder build --help')"),
        ("lab", "open JupyterLab on the course: notebooks/ and exercises/, each notebook once"),
        ("links", "write the Colab / Binder / JupyterHub links and set-up cells (see 'nnworkshop links --help')"),
    ):
        sub.add_parser(name, help=helptext, add_help=False)
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in PASSTHROUGH:
        return int(PASSTHROUGH[argv[0]](argv[1:]) or 0)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
