"""The course format (docs/authoring.md): an instructor's own exercise from `nnworkshop exercises new` through
build, grade and the Gradescope autograder; the instructor's mistakes reported as theirs; and the six built-in
exercises, now a course folder like any other, graded exactly as they were before (tests/golden: scores and
every check's message, recorded with the grader that had the checks inside the package)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("jupytext")

from nnworkshop.cli import main as nnworkshop_main  # noqa: E402
from nnworkshop.grading.grader import Options, grade  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
SUM_NOT_MEAN = ("\ndef mean_squared_error(pred, target):\n"
                "    return float(np.sum((np.asarray(pred, float) - np.asarray(target, float)) ** 2))\n")


def with_cell(src: Path, dest: Path, code: str) -> Path:
    """``src`` (a notebook) with ``code`` appended as a last code cell, saved as ``dest``."""
    nb = json.loads(src.read_text(encoding="utf-8"))
    nb["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                        "source": "import numpy as np\n" + code})
    dest.write_text(json.dumps(nb), encoding="utf-8")
    return dest


def mark(csv_path: Path, name: str, points: str, column: str = "written:mse.why_mean") -> None:
    """What the instructor does in a spreadsheet: give ``name``'s written answer ``points`` in the batch CSV."""
    with open(csv_path, newline="") as f:
        table = list(csv.reader(f))
    col = table[0].index(column)
    for row in table[1:]:
        if Path(row[0]).name == name:
            row[col] = points
    with open(csv_path, "w", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(table)


def rows(csv_path: Path) -> dict:
    with open(csv_path, newline="") as f:
        return {Path(r["submission"]).name: r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course of one new exercise, ``mse``, started and built with the commands an instructor types."""
    tmp = tmp_path_factory.mktemp("authoring")
    assert nnworkshop_main(["exercises", "new", str(tmp / "course" / "mse")]) == 0
    assert nnworkshop_main(["exercises", "build", "--course", str(tmp / "course")]) == 0
    assert nnworkshop_main(["exercises", "check", "--course", str(tmp / "course")]) == 0
    return tmp / "course"


def test_a_new_exercise_builds_a_learner_notebook_without_the_answer_and_with_its_public_checks(course, capsys):
    built = course / "exercises" / "mse.ipynb"
    nb = json.loads(built.read_text(encoding="utf-8"))
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert nb["metadata"]["nnworkshop"]["exercise"] == "mse"
    assert "np.mean(diff ** 2)" in (course / "mse" / "solution.ipynb").read_text(encoding="utf-8")
    assert "np.mean(diff ** 2)" not in code and 'raise NotImplementedError("mean_squared_error: write' in code
    assert (course / "exercises" / "mse_public.py").read_text() == (course / "mse" / "public.py").read_text()
    # check("mse") in the learner's folder runs the public check; the hidden checks are not there
    proc = subprocess.run([sys.executable, "-c", "import numpy as np\nfrom nnworkshop.grading import check\n"
                           "def mean_squared_error(p, t):\n    return float(np.sum((p - t) ** 2))\ncheck('mse')"],
                          cwd=course / "exercises", capture_output=True, text=True, timeout=120)
    assert "FAIL  mean_squared_error of a small example" in proc.stdout, proc.stdout + proc.stderr
    assert "got 13.0, expected 4.333333" in proc.stdout
    assert not (course / "exercises" / "checks.py").exists()


def test_a_new_exercise_grades_its_solution_full_its_exercise_zero_and_a_wrong_answer_in_part(course, tmp_path):
    wrong = with_cell(course / "mse" / "solution.ipynb", tmp_path / "sum_not_mean.ipynb", SUM_NOT_MEAN)
    out = tmp_path / "grades.csv"
    argv = [str(course / "mse" / "solution.ipynb"), str(course / "exercises" / "mse.ipynb"), str(wrong),
            "--course", str(course), "--out", str(out), "--feedback", str(tmp_path / "fb"), "--seed", "3"]
    assert nnworkshop_main(["grade", *argv]) == 0
    got = rows(out)
    assert (got["solution.ipynb"]["total"], got["solution.ipynb"]["max"]) == ("3", "3")
    assert (got["mse.ipynb"]["total"], got["mse.ipynb"]["status"]) == ("0", "ok")
    assert got["sum_not_mean.ipynb"]["total"] == "1"  # equal arrays give 0 either way; the values do not
    text = (tmp_path / "fb" / "sum_not_mean.md").read_text(encoding="utf-8")
    assert "passed `zero` (1/1)" in text and "FAILED `value` (0/2)" in text
    assert "5 times the right one: a missing or extra factor (mean vs sum?)" in text  # 5 entries, summed


def test_a_new_exercise_makes_an_autograder_that_grades_it(course, tmp_path):
    zip_path = tmp_path / "autograder.zip"
    assert nnworkshop_main(["autograder", "build", "--course", str(course), "--exercise", "mse", "--out", str(zip_path),
                            "--seed", "3"]) == 0
    root = tmp_path / "autograder"
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        zf.extractall(root / "source")
        for info in zf.infolist():
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    assert "grading-course/mse/checks.py" in names and "grading-course/course.toml" in names
    (root / "submission").mkdir()
    (root / "results").mkdir()
    with_cell(course / "mse" / "solution.ipynb", root / "submission" / "mine.ipynb", SUM_NOT_MEAN)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), NNWORKSHOP_PYTHON=sys.executable)
    proc = subprocess.run([str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert result["score"] == 1, result
    assert {t["name"].split(":")[0]: t["score"] for t in result["tests"]} == {"mse zero": 1, "mse value": 0}


# ---------------------------------------------------------------- the instructor's mistakes


def _broken_course(tmp_path: Path, checks: str | None = None, points: str | None = None) -> Path:
    course = tmp_path / "course"
    assert nnworkshop_main(["exercises", "new", str(course / "mse")]) == 0
    if checks is not None:
        (course / "mse" / "checks.py").write_text(checks, encoding="utf-8")
    if points is not None:
        toml = course / "mse" / "exercise.toml"
        toml.write_text(toml.read_text().split("[points]")[0] + points, encoding="utf-8")
    return course


RAISES = '''from nnworkshop.grading.checking import Check, num


def _value(ctx):
    got = num(ctx.call("mean_squared_error", [1.0], [0.0]), "mean_squared_error")
    return got / 0 if got else 1 / 0


def _zero(ctx):
    ctx.call("mean_squared_error", [1.0], [1.0])


CHECKS = [Check("zero", "zero", _zero), Check("value", "value", _value)]
'''
NEVER_ASKS = '''from nnworkshop.grading.checking import Check


def _zero(ctx):
    ctx.call("mean_squared_error", [1.0], [1.0])


def _value(ctx):
    x = ctx.rng.normal(size=3)
    assert x.shape == (3,)


CHECKS = [Check("zero", "zero", _zero), Check("value", "value", _value)]
'''


@pytest.mark.parametrize("checks, says", [
    (RAISES, "the instructor's check mse/value raised ZeroDivisionError: float division by zero (mse/checks.py, line 6)"),
    (NEVER_ASKS, "the instructor's check mse/value never asked the submission anything"),
])
def test_a_broken_check_is_the_instructors_error_never_a_learners_zero(tmp_path, capsys, checks, says):
    course = _broken_course(tmp_path, checks=checks)
    out = tmp_path / "grades.csv"
    rc = nnworkshop_main(["grade", str(course / "mse" / "solution.ipynb"), "--course", str(course), "--out", str(out),
                          "--feedback", str(tmp_path / "fb")])
    assert rc == 3  # not graded because of the grader's side, as q6 without MNIST
    row = rows(out)["solution.ipynb"]
    assert row["status"] == "error" and says in row["detail"], row["detail"]
    assert str(course) not in row["detail"] and str(tmp_path) not in row["detail"]
    assert says in capsys.readouterr().err
    fb = (tmp_path / "fb" / "solution.md").read_text(encoding="utf-8")
    assert "This is the grader's problem, not your notebook's" in fb and "## Checks" not in fb


@pytest.mark.parametrize("points, says", [
    ("[points]\nzero = 1\n", "no points for check(s) value"),
    ("[points]\nzero = 1\nvalue = 2\nvalu = 1\n", "points for valu, which checks.py does not define"),
    ("[points]\nzero = 1\nvalue = 0\n", "points must be numbers above 0 (value = 0)"),
])
def test_a_wrong_point_table_stops_the_grader_before_any_file_is_written(tmp_path, capsys, points, says):
    course = _broken_course(tmp_path, points=points)
    out = tmp_path / "grades.csv"
    rc = nnworkshop_main(["grade", str(course / "mse" / "solution.ipynb"), "--course", str(course), "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2 and "the point table does not match checks.py" in err and says in err, err
    assert "exercise.toml" in err and not out.exists()
    assert nnworkshop_main(["exercises", "check", "--course", str(course)]) == 1
    assert says in capsys.readouterr().out


def test_a_check_module_that_does_not_import_is_named_with_its_line(tmp_path, capsys):
    course = _broken_course(tmp_path, checks="from nnworkshop.grading.checking import Check\n\nCHECKS = [Check(]\n")
    assert nnworkshop_main(["exercises", "check", "--course", str(course)]) == 1
    said = capsys.readouterr().out
    assert "mse/checks.py could not be loaded (SyntaxError" in said, said


def test_a_course_folder_is_needed_where_the_package_is_installed_without_one(tmp_path, monkeypatch, capsys):
    from nnworkshop.grading import course as courses

    monkeypatch.setattr(courses, "DEFAULT", tmp_path / "nowhere")
    sub = with_cell(ROOT / "solutions" / "q1_activations.ipynb", tmp_path / "a.ipynb", "")
    assert nnworkshop_main(["grade", str(sub), "--out", str(tmp_path / "g.csv")]) == 2
    assert "this installed package carries no hidden checks" in capsys.readouterr().err


def test_the_submission_cannot_read_the_course_folder(tmp_path):
    """The course folder (checks, reference answers) is outside the package: the grader protects it all the same."""
    code = ("import os\nfor p in ('course/reference.py', 'course/q1/checks.py', 'course/q1/exercise.toml'):\n"
            f"    path = os.path.join({str(ROOT)!r}, p)\n"
            "    try:\n        print('READ', p, len(open(path).read()))\n"
            "    except OSError as err:\n        print('REFUSED', p, type(err).__name__)\n")
    sub = with_cell(ROOT / "solutions" / "q1_activations.ipynb", tmp_path / "peek.ipynb", code)
    (r,) = grade([sub], Options(seed=1))
    assert r.total == 10.0 and "READ" not in r.output
    assert r.output.count("REFUSED") == 3, r.output


# ---------------------------------------------------------------- the built-in course, as before


# The hints corrected since the recording (and nothing else): a factor is named only where the numbers show one.
HINT_FIXES = {
    # relu_grad wrong only at x = 0: "1 times the right one" was read off the entries that were right
    "(every value is 1 times the right one: a missing or extra factor (mean vs sum?))":
        "(every wrong value is where the right answer is 0)",
    # one number: only a whole factor says more than got / expected
    "(every value is 5 times the right one": "(5 times the right one",
    "(every value is 3 times the right one": "(3 times the right one",
    " (every value is 0.8568 times the right one: a missing or extra factor (mean vs sum?))": "",
}


def test_the_six_built_in_exercises_grade_exactly_as_before(tmp_path):
    """Scores, statuses, every check's points and message, and the notes, for the course's exercises and solutions,
    the planted submissions that run to the end, and eight typical mistakes (tests/golden/variants.json), with
    seed 12345: the same as the grader gave with its checks inside the package (recorded before the move), but for
    the hints corrected since (``HINT_FIXES``, four messages)."""
    from nnworkshop.data import write_synthetic_mnist

    golden = json.loads((GOLDEN / "builtin_course_grades.json").read_text(encoding="utf-8"))
    variants = json.loads((GOLDEN / "variants.json").read_text(encoding="utf-8"))
    paths, as_q1 = [], []
    for key in golden:
        if key.startswith("variants/"):
            stem, code = variants[key.split("/", 1)[1]]
            paths.append(with_cell(ROOT / "solutions" / f"{stem}.ipynb", tmp_path / f"{key.split('/', 1)[1]}.ipynb", code))
        elif key.startswith("tests/submissions/"):
            as_q1.append(ROOT / key)
        else:
            paths.append(ROOT / key)
    data = write_synthetic_mnist(tmp_path / "data", n_train=1200, n_test=400, seed=1)
    opts = dict(seed=12345, data_root=str(data), memory_mb=600)
    results = grade(paths, Options(**opts), workers=2)
    results += grade(as_q1, Options(exercise="q1", cell_timeout=4, timeout=60, **{**opts, "memory_mb": 300}), workers=2)
    now = {}
    for r in results:
        p = Path(r.path)
        key = f"variants/{p.stem}" if p.parent == tmp_path else p.relative_to(ROOT).as_posix()
        now[key] = {"exercise": r.exercise, "status": r.status, "scores": r.scores, "max": r.max_scores,
                    "checks": [[c.id, c.points, c.earned, c.message] for c in r.checks], "notes": r.notes}
    assert set(now) == set(golden)
    for key, want in golden.items():
        for check in want["checks"]:
            for old, new in HINT_FIXES.items():
                check[3] = check[3].replace(old, new) if check[3] else check[3]
        if key == "solutions/q6_mnist_model.ipynb":  # its accuracy on synthetic digits is the model's, not the grader's
            want, now[key] = {**want, "notes": None}, {**now[key], "notes": None}
        assert json.loads(json.dumps(now[key])) == want, key


# ---------------------------------------------------------------- feedback a learner can act on


def test_a_cell_error_names_the_cell_as_jupyter_shows_it(tmp_path):
    """"code cell 9" counted code cells only; the learner sees markdown cells too, and the cell's first line."""
    sub = with_cell(ROOT / "solutions" / "q1_activations.ipynb", tmp_path / "typo.ipynb", "\n\nprint(undefined_name)\n")
    cells = json.loads(sub.read_text(encoding="utf-8"))["cells"]
    code = sum(c["cell_type"] == "code" for c in cells)
    (r,) = grade([sub], Options(seed=1))
    assert r.total == 10.0
    (error,) = r.cell_errors
    assert error.startswith(f"code cell {code} (cell {len(cells)} of the notebook, which starts 'import numpy as np'): ")
    assert "NameError" in error


def test_reading_the_hidden_test_split_while_graded_gets_a_sentence(tmp_path):
    """The grader stages an empty MNIST test split for q6; reading it used to fail with NumPy's "offset (16 bytes)
    must be non-negative and no greater than buffer length" error."""
    from nnworkshop.data import write_synthetic_mnist

    data = write_synthetic_mnist(tmp_path / "data", n_train=300, n_test=100, seed=1)
    sub = tmp_path / "peek_q6.ipynb"
    sub.write_text(json.dumps({"metadata": {"nnworkshop": {"exercise": "q6"}}, "nbformat": 4, "nbformat_minor": 5,
                               "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                                          "source": "from nnworkshop.data import mnist_arrays\n"
                                                    "x, y = mnist_arrays(train=False)\n"}]}))
    (r,) = grade([sub], Options(seed=1, data_root=str(data)))
    (error,) = r.cell_errors
    assert "the MNIST test split is empty here: while your notebook is graded, the grader keeps the test digits" in error
    assert "offset" not in error and "validation_split" in error


# ---------------------------------------------------------------- the batch's CSV after the fact


def test_a_regrade_of_a_few_files_updates_the_batchs_csv(tmp_path, capsys):
    """A learner's fixed notebook, and one graded as the wrong exercise, graded again with --update: their rows
    change in place, every other row stays as it was, and the batch's seed is kept."""
    honest = with_cell(ROOT / "solutions" / "q1_activations.ipynb", tmp_path / "alice_q1.ipynb", "")
    wrong = with_cell(ROOT / "solutions" / "q1_activations.ipynb", tmp_path / "bob_q1.ipynb",
                      "\ndef relu(x):\n    return np.abs(x)\n")
    other = with_cell(ROOT / "solutions" / "q2_softmax.ipynb", tmp_path / "carol.ipynb", "")
    nb = json.loads(other.read_text())
    nb["metadata"]["nnworkshop"]["exercise"] = "q1"  # her metadata says q1: graded as q1, 0 points
    other.write_text(json.dumps(nb))
    out = tmp_path / "grades.csv"
    assert nnworkshop_main(["grade", str(honest), str(wrong), str(other), "--out", str(out), "--seed", "9"]) == 0
    before = rows(out)
    assert [before[n]["total"] for n in ("alice_q1.ipynb", "bob_q1.ipynb", "carol.ipynb")] == ["10", "9", "0"]
    with_cell(ROOT / "solutions" / "q1_activations.ipynb", wrong, "")  # bob fixed it
    assert nnworkshop_main(["grade", "--update", str(wrong), "--out", str(out)]) == 0
    assert nnworkshop_main(["grade", "--update", "--exercise", "q2", str(other), "--out", str(out)]) == 0
    after = rows(out)
    assert list(after) == ["alice_q1.ipynb", "bob_q1.ipynb", "carol.ipynb"]
    assert {k: after["alice_q1.ipynb"][k] for k in before["alice_q1.ipynb"]} == before["alice_q1.ipynb"]
    assert (after["bob_q1.ipynb"]["total"], after["bob_q1.ipynb"]["seed"]) == ("10", "9")
    assert (after["carol.ipynb"]["total"], after["carol.ipynb"]["exercise"], after["carol.ipynb"]["seed"]) == ("10", "q2", "9")


def test_a_gradebook_keyed_by_student_id_for_the_lms(tmp_path, capsys):
    """File names give the id (s1234567_q1.ipynb); a Gradescope export gives it from submission_metadata.yml. A
    submission that could not be graded leaves the cell empty (no 0 recorded); a second submission keeps the higher."""
    sol1, sol2 = ROOT / "solutions" / "q1_activations.ipynb", ROOT / "solutions" / "q2_softmax.ipynb"
    a = with_cell(sol1, tmp_path / "s1234567_q1.ipynb", "")
    b = with_cell(sol1, tmp_path / "s7654321_q1.ipynb", "\ndef relu(x):\n    return np.abs(x)\n")
    b2 = with_cell(sol1, tmp_path / "s7654321-again_q1.ipynb", "")
    c = with_cell(sol2, tmp_path / "s1234567_q2.ipynb", "")
    broken = tmp_path / "s5555555_q1.ipynb"
    broken.write_text('{"cells": [broken')
    export = tmp_path / "export"
    (export / "submission_301").mkdir(parents=True)
    gs = with_cell(sol2, export / "submission_301" / "q2_softmax.ipynb", "\ndef softmax(z):\n    return z\n")
    (export / "submission_metadata.yml").write_text(
        "---\nsubmission_301:\n  :submitters:\n  - :name: Dana Scully\n    :sid: '2200113'\n    :email: dana@uni.edu\n"
        "  :created_at: 2026-12-01\n")
    out, book = tmp_path / "grades.csv", tmp_path / "gradebook.csv"
    argv = [str(p) for p in (a, b, b2, c, broken, gs)] + ["--out", str(out), "--gradebook", str(book), "--seed", "2"]
    assert nnworkshop_main(["grade", *argv]) == 0
    assert "s7654321 has two submissions of q1; the gradebook keeps the higher score" in capsys.readouterr().err
    with open(book, newline="") as f:
        got = list(csv.reader(f))
    assert got[0] == ["Student", "SIS User ID", "q1 (10 pts)", "q2 (10 pts)"]
    table = {row[1]: row[2:] for row in got[1:]}
    assert table == {"s1234567": ["10", "10"], "s7654321": ["10", ""], "s5555555": ["", ""], "2200113": ["", "3"]}


def test_a_question_marked_by_hand_goes_to_a_file_for_marking_and_a_csv_column_that_merge_keeps(course, tmp_path):
    """The skeleton's "Written answer: why_mean" cell: each learner's text in mse.why_mean.md, an empty
    written:mse.why_mean column in the CSV for the marks; filled in, the marks survive --update and grade merge."""
    alice = with_cell(course / "mse" / "solution.ipynb", tmp_path / "alice.ipynb", "")
    nb = json.loads(alice.read_text())
    cell = next(c for c in nb["cells"] if "".join(c["source"]).startswith("### Written answer: why_mean"))
    cell["source"] = "".join(cell["source"]) + "\nSo the loss does not grow with the batch."
    alice.write_text(json.dumps(nb))
    bob = with_cell(course / "exercises" / "mse.ipynb", tmp_path / "bob.ipynb", "")
    nb = json.loads(bob.read_text())
    nb["cells"] = [c for c in nb["cells"] if "Written answer" not in "".join(c["source"])]
    bob.write_text(json.dumps(nb))
    out = tmp_path / "grades.csv"
    common = ["--course", str(course), "--seed", "4"]
    assert nnworkshop_main(["grade", str(alice), str(bob), "--out", str(out), "--written", str(tmp_path / "w"),
                            *common]) == 0
    text = (tmp_path / "w" / "mse.why_mean.md").read_text(encoding="utf-8")
    assert "# mse: written answer `why_mean` (1 points)" in text
    assert "## alice.ipynb" in text and "So the loss does not grow with the batch." in text
    assert "## bob.ipynb" in text and "(no cell starting `Written answer: why_mean`" in text
    got = rows(out)
    assert got["alice.ipynb"]["written:mse.why_mean"] == "" and got["alice.ipynb"]["total"] == got["alice.ipynb"]["mse"] == "3"
    # the instructor marks alice in the CSV; regrading bob keeps the mark
    mark(out, "alice.ipynb", "1")
    assert rows(out)["alice.ipynb"]["written:mse.why_mean"] == "1"
    assert nnworkshop_main(["grade", "--update", str(bob), "--out", str(out), *common]) == 0
    assert rows(out)["alice.ipynb"]["written:mse.why_mean"] == "1"
    # two shards, each marked, merged: both marks kept
    for k in (1, 2):
        shard = tmp_path / f"s{k}.csv"
        assert nnworkshop_main(["grade", str(alice), str(bob), "--out", str(shard), "--shard", f"{k}/2", *common]) == 0
        for name in rows(shard):
            mark(shard, name, "0.5")
    assert nnworkshop_main(["grade", "merge", str(tmp_path / "s1.csv"), str(tmp_path / "s2.csv"),
                            "--out", str(tmp_path / "merged.csv")]) == 0
    merged = rows(tmp_path / "merged.csv")
    assert {n: r["written:mse.why_mean"] for n, r in merged.items()} == {"alice.ipynb": "0.5", "bob.ipynb": "0.5"}


def test_a_file_named_for_another_exercise_of_the_course_is_flagged(tmp_path):
    """The flag the built-ins have (a file named q2 graded as q3) works with a course's own exercise names."""
    course = tmp_path / "course"
    for name in ("mse", "mae"):
        assert nnworkshop_main(["exercises", "new", str(course / name)]) == 0
    sub = with_cell(course / "mse" / "solution.ipynb", tmp_path / "carol_mae.ipynb", "")
    (r,) = grade([sub], Options(seed=1, course=str(course)))
    assert (r.exercise, r.total) == ("mse", 3.0)
    assert r.flags == ["Its file name says mae, but it was graded as mse (its metadata)."]


WRONG_REFERENCE = '''from nnworkshop.grading.checking import Check, close, num


def _zero(ctx):
    close(num(ctx.call("mean_squared_error", [2.0], [2.0]), "mean_squared_error"), 0.0, "mean_squared_error")


def _value(ctx):  # the instructor's slip: the sum, not the mean
    close(num(ctx.call("mean_squared_error", [1.0, 3.0], [0.0, 0.0]), "mean_squared_error"), 10.0, "mean_squared_error")


CHECKS = [Check("zero", "zero", _zero), Check("value", "value", _value)]
'''


def test_exercises_check_grade_tries_every_check_on_the_solution_and_the_blank_exercise(course, tmp_path, capsys):
    assert nnworkshop_main(["exercises", "check", "--course", str(course), "--grade"]) == 0
    assert "every solution gets full marks and every blank exercise 0" in capsys.readouterr().out
    broken = _broken_course(tmp_path, checks=WRONG_REFERENCE)
    assert nnworkshop_main(["exercises", "build", "--course", str(broken)]) == 0
    capsys.readouterr()
    assert nnworkshop_main(["exercises", "check", "--course", str(broken), "--grade"]) == 1
    said = capsys.readouterr().out
    assert "mse: its solution (solution.ipynb) got 1/3, expected 3" in said and "got 5, expected 10" in said, said
