"""Submissions are files, not words: a file name is never read as an option, a link or a special file is refused
(never followed), every report names the file it graded under a name no other submission shares, a learner's
feedback holds nothing of the grader's machine, and the graded process cannot import the course's answers.
Each test shows the defect against the old behaviour (or says why it was there); honest notebooks in the same
batch keep full marks."""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from pathlib import Path


from nnworkshop.grading import grader
from nnworkshop.grading.cli import build_parser, main as grade_main
from nnworkshop.grading.grader import Options, grade
from nnworkshop.grading.report import report_names, uncell

ROOT = Path(__file__).resolve().parents[1]
# the q1 answers every honest test submission uses (tests/submissions/kernel/_answers.py)
Q1 = (Path(__file__).parent / "submissions" / "kernel" / "_answers.py").read_text(encoding="utf-8").removeprefix("# %%\n")


def notebook(path: Path, *cells: str, exercise: str | None = "q1") -> Path:
    """A submission as an .ipynb: ``cells`` (default: the honest q1 answers)."""
    nb = {"cells": [{"cell_type": "code", "source": c, "metadata": {}, "outputs": [], "execution_count": None}
                    for c in (cells or (Q1,))],
          "metadata": {"nnworkshop": {"exercise": exercise}} if exercise else {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))
    return path


def rows(path: Path) -> dict[str, dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return {Path(uncell(r["submission"])).name: r for r in csv.DictReader(f)}


# ---------------------------------------------------------------- file names are never options


def test_a_learner_file_named_like_an_option_is_graded_never_obeyed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("--out=stolen.ipynb", "-x.ipynb", "--exercise=q2.ipynb", "alice_q1.ipynb"):
        notebook(tmp_path / name)
    globbed = sorted(str(p.name) for p in tmp_path.glob("*.ipynb"))  # what the shell's *.ipynb gives
    assert globbed[:3] == ["--exercise=q2.ipynb", "--out=stolen.ipynb", "-x.ipynb"]
    # Before: argparse read them as options. The learner's --out=stolen.ipynb replaced the instructor's --out:
    old = build_parser().parse_args(["--seed", "1", "--out", "g.csv", "--out=stolen.ipynb", "alice_q1.ipynb"])
    assert old.out == Path("stolen.ipynb") and old.submissions == [Path("alice_q1.ipynb")]
    before = (tmp_path / "--out=stolen.ipynb").read_text(encoding="utf-8")
    assert grade_main(["--seed", "1", "--out", "g.csv", *globbed]) == 0  # the glob, options first
    got = rows(tmp_path / "g.csv")
    assert sorted(got) == globbed and {r["total"] for r in got.values()} == {"10"}
    assert {r["exercise"] for r in got.values()} == {"q1"}  # --exercise=q2.ipynb changed nothing
    assert (tmp_path / "--out=stolen.ipynb").read_text(encoding="utf-8") == before
    # options after the submissions still work (the documented order is options, --, submissions)
    assert grade_main([*globbed, "--seed", "1", "--out", "g2.csv"]) == 0 and sorted(rows(tmp_path / "g2.csv")) == globbed
    # a learner's file named merge, first in the glob, is graded too (not 'nnworkshop grade merge')
    notebook(tmp_path / "merge")
    assert grade_main(["merge", *globbed, "--seed", "1", "--out", "g4.csv"]) == 0
    assert sorted(rows(tmp_path / "g4.csv")) == sorted(["merge", *globbed])
    # after --, every argument is a submission, even one that does not exist yet
    assert grade_main(["--seed", "1", "--out", "g3.csv", "--", "--workers"]) == 2


# ---------------------------------------------------------------- links and special files


def test_a_symbolic_link_or_a_fifo_is_refused_never_followed(tmp_path):
    """Before, the grader read through a link (``Path.read_text``): a learner's ``bob_q1.ipynb`` pointing at a
    classmate's notebook was graded as that notebook; a FIFO blocked the grader in ``read`` for ever."""
    alice = notebook(tmp_path / "alice_q1.ipynb")
    (tmp_path / "bob_q1.ipynb").symlink_to(alice)
    os.mkfifo(tmp_path / "carol_q1.ipynb")
    out = tmp_path / "g.csv"
    assert grade_main(["--seed", "1", "--out", str(out), "--feedback", str(tmp_path / "fb"), "--",
                       *(str(tmp_path / n) for n in ("alice_q1.ipynb", "bob_q1.ipynb", "carol_q1.ipynb"))]) == 0
    got = rows(out)
    assert (got["alice_q1.ipynb"]["status"], got["alice_q1.ipynb"]["total"]) == ("ok", "10")
    assert (got["bob_q1.ipynb"]["status"], got["bob_q1.ipynb"]["total"]) == ("error", "0")
    assert "a symbolic link" in got["bob_q1.ipynb"]["detail"] and "never follows links" in got["bob_q1.ipynb"]["detail"]
    assert (got["carol_q1.ipynb"]["status"], got["carol_q1.ipynb"]["total"]) == ("error", "0")
    assert "a FIFO" in got["carol_q1.ipynb"]["detail"]
    assert "symbolic link" in (tmp_path / "fb" / "bob_q1.md").read_text(encoding="utf-8")


# ---------------------------------------------------------------- report names


def test_report_names_are_unique_and_every_report_names_its_submission(tmp_path):
    names = ["a b.ipynb", "a_b.ipynb", "a?b.ipynb", "A_b.ipynb", "...ipynb", "..ipynb", "a_b-2.ipynb"]
    # Before: the sanitiser kept "..", so "...ipynb" wrote its results.json to results/../results.json (outside
    # the folder), and "A_b" and "a_b" were two names that one file on a case-insensitive disk.
    assert re.sub(r"[^A-Za-z0-9_.-]+", "_", Path("...ipynb").stem) == ".."
    got = report_names(names)
    assert len({n.lower() for n in got}) == len(names) and not any(n.startswith(".") for n in got), got
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in names:
        notebook(subs / name)
    out = tmp_path / "g.csv"
    assert grade_main(["--seed", "1", "--workers", "2", "--out", str(out), "--results-json", str(tmp_path / "json"),
                       "--feedback", str(tmp_path / "fb"), "--", *(str(subs / n) for n in names)]) == 0
    assert not (tmp_path / "results.json").exists()
    results = {json.loads(p.read_text(encoding="utf-8"))["extra_data"]["submission"] for p in (tmp_path / "json").glob("*/results.json")}
    assert results == set(names)
    feedback = [p.read_text(encoding="utf-8") for p in (tmp_path / "fb").glob("*.md")]
    assert len(feedback) == len(names)
    graded = {re.search(r"^Graded file: `(.*)`$", t, re.M).group(1) for t in feedback}
    assert graded == set(names)
    assert {r["total"] for r in rows(out).values()} == {"10"}


# ---------------------------------------------------------------- nothing of the grader's machine in feedback


PEEK = """import os, sys
import numpy as np
print("cwd:", os.getcwd(), "python:", sys.executable, "numpy:", np.__file__)
open(os.path.join(os.getcwd(), "missing.txt"))
"""


def test_feedback_holds_nothing_of_the_grader_machine_or_other_submissions(tmp_path, monkeypatch):
    subs = tmp_path / "class-of-2026"
    subs.mkdir()
    peek = notebook(subs / "mallory_q1.ipynb", Q1, PEEK)
    bob = notebook(subs / "bob_q1.ipynb")
    broken = subs / "carol_q1.ipynb"
    broken.write_text("not a notebook {")
    secrets = [str(tmp_path), "nnw-batch-", "nnw-grade-", sys.prefix, str(ROOT), "class-of-2026"]
    # Before: the output and errors carried the grader's temporary folder and Python, and an unreadable
    # notebook's detail its full path. The same batch with the scrubbing switched off shows them:
    monkeypatch.setattr(grader, "scrub", lambda result, redactions: None)
    (raw,) = grade([peek], Options(seed=1))
    assert "nnw-grade-" in raw.output and sys.prefix in raw.output and any("nnw-grade-" in e for e in raw.cell_errors)
    monkeypatch.undo()
    fb = tmp_path / "fb"
    assert grade_main(["--seed", "1", "--out", str(tmp_path / "g.csv"), "--feedback", str(fb), "--results-json",
                       str(tmp_path / "json"), "--", str(peek), str(bob), str(broken)]) == 0
    for name, others in (("mallory_q1", ("bob", "carol")), ("bob_q1", ("mallory", "carol")),
                         ("carol_q1", ("mallory", "bob"))):
        text = (fb / f"{name}.md").read_text(encoding="utf-8") + (tmp_path / "json" / name / "results.json").read_text(encoding="utf-8")
        for secret in (*secrets, *others):
            assert secret not in text, (name, secret)
    text = (fb / "mallory_q1.md").read_text(encoding="utf-8")
    assert "cwd: <your folder> " in text and "python: <python>/" in text and "FileNotFoundError" in text
    assert "carol_q1.ipynb: not a notebook" in (fb / "carol_q1.md").read_text(encoding="utf-8")
    assert rows(tmp_path / "g.csv")["bob_q1.ipynb"]["total"] == "10"


# ---------------------------------------------------------------- another exercise's notebook


def test_with_exercise_a_notebook_claiming_another_is_flagged_and_graded_as_the_exercise(tmp_path):
    claims_q1 = notebook(tmp_path / "dave.ipynb", exercise="q1")  # q1 answers and metadata, in a q3 batch
    q3 = tmp_path / "erin.ipynb"
    q3.write_bytes((ROOT / "solutions" / "q3_backprop.ipynb").read_bytes())
    out = tmp_path / "g.csv"
    assert grade_main(["--seed", "1", "--exercise", "q3", "--out", str(out), "--feedback", str(tmp_path / "fb"), "--",
                       str(claims_q1), str(q3)]) == 0
    got = rows(out)
    assert (got["dave.ipynb"]["exercise"], got["dave.ipynb"]["q3"]) == ("q3", "0") and "q1" not in got["dave.ipynb"]
    assert got["dave.ipynb"]["flags"] == "Its metadata says exercise 'q1', but it was graded as q3 (--exercise)."
    text = (tmp_path / "fb" / "dave.md").read_text(encoding="utf-8")
    assert "## Flagged for your instructor" in text and "Its metadata says exercise 'q1', but it was graded as q3" in text
    assert (got["erin.ipynb"]["total"], got["erin.ipynb"]["flags"]) == ("10", "")


# ---------------------------------------------------------------- the course's answers


STEAL = """import numpy as np
from nnworkshop.scratch import activations as A
sigmoid, sigmoid_grad, tanh, tanh_grad, relu, relu_grad = A.sigmoid, A.sigmoid_grad, A.tanh, A.tanh_grad, A.relu, A.relu_grad
"""
OTHERS = """import importlib
for name in ("nnworkshop.scratch", "nnworkshop.models", "nnworkshop.training"):
    try:
        importlib.import_module(name)
        print("IMPORTED", name)
    except ImportError as err:
        print("REFUSED", name, type(err).__name__)
"""
UNDO = """import sys
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "_RefuseAnswers"]
from nnworkshop.scratch.activations import sigmoid
"""


def test_a_submission_cannot_import_the_course_answers(tmp_path, monkeypatch):
    steal = notebook(tmp_path / "steal_q1.ipynb", STEAL, OTHERS)
    undo = notebook(tmp_path / "undo_q1.ipynb", UNDO)
    honest = notebook(tmp_path / "honest_q1.ipynb")
    # Before: the package was readable whole (the hidden checks were in the course folder, elsewhere), and importing
    # scratch answered q1 in full.
    monkeypatch.setattr(grader, "ANSWER_PATHS", ())
    monkeypatch.setattr(grader, "ANSWER_MODULES", ())
    (old,) = grade([steal], Options(seed=1))
    assert (old.status, old.total) == ("ok", 10.0) and "IMPORTED nnworkshop.scratch" in old.output
    monkeypatch.undo()
    results = {Path(r.path).name: r for r in grade([steal, undo, honest], Options(seed=1))}
    r = results["steal_q1.ipynb"]
    assert (r.status, r.total) == ("ok", 0.0)
    assert "importing nnworkshop.scratch is not allowed while grading" in r.cell_errors[0]
    for name in ("nnworkshop.scratch", "nnworkshop.models", "nnworkshop.training"):
        assert f"REFUSED {name} ImportError" in r.output, r.output
    # The import refusal is defence in depth (code in the process can take it out); the files stay unreadable:
    u = results["undo_q1.ipynb"]
    assert u.total == 0.0 and re.search(r"(ModuleNotFound|Import|Permission)Error", u.cell_errors[0]), u.cell_errors
    assert results["honest_q1.ipynb"].total == 10.0
