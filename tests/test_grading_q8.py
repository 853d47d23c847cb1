"""Exercise q8 (a convolution's forward and backward, notebook 07), a built-in exercise of the course in course/q8:
the solution gets full marks, the generated exercise 0, and the two typical mistakes (a flipped filter, a dx that
keeps the padding) partial marks with a hint that names the mistake, in the public checks and in the grader's
feedback alike, under every seed."""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from nnworkshop.grading import checking, course, run_public
from nnworkshop.grading.cli import main as grade_main

jupytext = pytest.importorskip("jupytext")
ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "course"
SOLUTION = ROOT / "solutions" / "q8_convolution.py"
FLIP = ("            patch = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]  # (N, C, kh, kw)\n",
        "            patch = xp[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw][:, :, ::-1, ::-1]\n")
KEEP_PADDING = ("    dx = dxp[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]]\n", "    dx = dxp\n")


def _variant(*edits) -> str:
    text = SOLUTION.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return text


def _namespace(text: str) -> dict:
    ns: dict = {}
    for cell in jupytext.reads(text, fmt="py:percent").cells:
        if cell.cell_type == "code":
            try:
                exec(cell.source, ns)
            except (NotImplementedError, ValueError):  # unwritten, or a wrong shape in the notebook's own check
                pass
    return ns


def _public(text: str) -> dict:
    return {o.title: o for o in run_public("q8", _namespace(text))}


def test_q8_is_an_exercise_of_the_course_worth_ten_points():
    loaded = course.load(COURSE)
    order = list(loaded.exercises)
    assert order[:6] == ["q1", "q2", "q3", "q4", "q5", "q6"] and loaded.index("q8") == 6  # appended: q1..q6 keep their seeds
    q8 = loaded.exercises["q8"]
    assert q8.points == 10 and q8.solution == SOLUTION.with_suffix(".ipynb") and q8.public is None  # check() ships


def test_the_reference_is_torchs_convolution_and_agrees_with_the_course_s_own():
    """course/reference.py's answers (torch.nn.functional.conv2d and autograd) against nnworkshop.scratch.conv's, which
    tests/test_scratch_conv.py checks against finite differences: two independent routes, one answer."""
    from nnworkshop.scratch.conv import conv2d_backward, conv2d_forward

    ref = course.module(course.load(COURSE), "reference")
    rng = np.random.default_rng(0)
    for stride, padding in ((1, 0), (2, 1), (3, 2)):  # stride 3 on 7 rows leaves a row no filter reaches
        x, w, b = rng.normal(size=(2, 3, 7, 6)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
        out, cache = conv2d_forward(x, w, b, stride=stride, padding=padding)
        np.testing.assert_allclose(ref.conv_forward(x, w, b, stride=stride, padding=padding), out, atol=1e-12)
        dout = rng.normal(size=out.shape)
        for got, want in zip(ref.conv_backward(dout, x, w, stride=stride, padding=padding), conv2d_backward(dout, cache)):
            np.testing.assert_allclose(got, want, atol=1e-12)


def test_public_checks_pass_for_the_solution_and_fail_for_the_exercise(capsys):
    assert all(o.passed for o in _public(SOLUTION.read_text(encoding="utf-8")).values())
    exercise = _public((ROOT / "exercises" / "q8_convolution.py").read_text(encoding="utf-8"))
    assert len(exercise) == 4 and not any(o.passed for o in exercise.values())
    capsys.readouterr()


def test_public_checks_name_the_typical_mistakes(capsys):
    flipped = _public(_variant(FLIP))
    known = flipped["conv_forward gives a known value"]
    assert not known.passed and "got [[[[5.5" in known.message and "not flipped" in known.hint
    padded = _public(_variant(KEEP_PADDING))
    shapes = padded["conv_backward returns (dx, dw, db) of the right shapes; db sums dout"]
    assert not shapes.passed and "dx must have x's shape (2, 3, 5, 4) (cut the padding off), got (2, 3, 7, 6)" in shapes.message
    assert padded["conv_forward gives a known value"].passed
    capsys.readouterr()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The solution, the exercise and the two mistakes, graded in one batch as q8 of the course in course/."""
    tmp = tmp_path_factory.mktemp("q8")
    subs = {"solution": SOLUTION.read_text(encoding="utf-8"),
            "exercise": (ROOT / "exercises" / "q8_convolution.py").read_text(encoding="utf-8"),
            "flipped": _variant(FLIP), "padded": _variant(KEEP_PADDING)}
    paths = []
    for name, text in subs.items():
        paths.append(tmp / f"q8_{name}.py")
        paths[-1].write_text(text, encoding="utf-8")
    out = tmp / "grades.csv"
    assert grade_main([*map(str, paths), "--course", str(COURSE), "--exercise", "q8", "--out", str(out),
                       "--feedback", str(tmp / "fb"), "--workers", "2", "--seed", "5"]) == 0
    with open(out, newline="") as f:
        rows = {Path(r["submission"]).stem.removeprefix("q8_"): r for r in csv.DictReader(f)}
    return rows, {name: (tmp / "fb" / f"q8_{name}.md").read_text(encoding="utf-8") for name in subs}


def test_the_solution_gets_full_marks_and_the_exercise_none(graded):
    rows, _ = graded
    assert (rows["solution"]["total"], rows["solution"]["max"], rows["solution"]["status"]) == ("10", "10", "ok"), \
        rows["solution"]["detail"]
    assert (rows["exercise"]["total"], rows["exercise"]["max"], rows["exercise"]["status"]) == ("0", "10", "ok")


def test_a_flipped_filter_gets_half_marks_and_is_told_so(graded):
    rows, feedback = graded
    assert rows["flipped"]["total"] == "5", rows["flipped"]
    text = feedback["flipped"]
    assert "FAILED `conv_forward`" in text and "FAILED `conv_forward_padding_stride`" in text, text
    assert "your filter is flipped" in text, text
    assert "passed `conv_backward_db`" in text  # the bias gradient does not depend on the filter


def test_a_dx_that_keeps_the_padding_loses_only_the_dx_points_and_is_told_why(graded):
    rows, feedback = graded
    assert rows["padded"]["total"] == "8", rows["padded"]
    text = feedback["padded"]
    assert "FAILED `conv_backward_dx`" in text and "dx has the shape of the padded input" in text, text
    assert "passed `conv_forward_padding_stride`" in text and "passed `conv_backward_dw`" in text


def test_the_solution_and_each_mistake_get_one_score_and_one_hint_under_every_seed():
    """The fixed cases decide: a flipped filter and a dx that keeps the padding fail the same checks, with the same
    hint, whatever the grader's seed (checked in this process, through the child's adapters and the wire format)."""
    from test_grading_fairness import InProcess

    loaded = course.load(COURSE)
    spaces = {"solution": _namespace(SOLUTION.read_text(encoding="utf-8")), "flipped": _namespace(_variant(FLIP)),
              "padded": _namespace(_variant(KEEP_PADDING))}
    hints = {"solution": {}, "flipped": {"conv_forward": "your filter is flipped",
                                         "conv_forward_padding_stride": "your filter is flipped"},
             "padded": {"conv_backward_dx": "dx has the shape of the padded input"}}
    scores = {name: set() for name in spaces}
    for seed in range(12):
        for name, ns in spaces.items():
            failed, earned = {}, 0.0
            for ci, check in enumerate(loaded.exercises["q8"].checks):
                try:
                    check.run(InProcess(ns, np.random.default_rng([seed, loaded.index("q8"), ci])))
                    earned += check.points
                except checking.Fail as fail:
                    failed[check.id] = str(fail)
            assert set(failed) == set(hints[name]), (seed, name, failed)
            assert all(hint in failed[c] for c, hint in hints[name].items()), (seed, name, failed)
            scores[name].add(earned)
    assert scores == {"solution": {10.0}, "flipped": {5.0}, "padded": {8.0}}, scores


def test_the_q8_autograder_grades_the_notebook_its_name_says(tmp_path):
    """``nnworkshop autograder build --course course --exercise q8``, run as Gradescope runs it, on two notebooks: it
    grades the one whose file name says q8 (an exercise of the course), and the feedback names the flipped filter."""
    from test_grading_gradescope import _autograder, _run

    from nnworkshop.cli import main as nnworkshop_main

    zip_path = tmp_path / "autograder.zip"
    assert nnworkshop_main(["autograder", "build", "--course", str(COURSE), "--exercise", "q8", "--out", str(zip_path),
                            "--seed", "3"]) == 0
    with zipfile.ZipFile(zip_path) as zf:
        assert {"grading-course/q8/checks.py", "grading-course/q8/exercise.toml"} <= set(zf.namelist())
    flipped, other = tmp_path / "q8_flipped.ipynb", tmp_path / "aaa_notes.ipynb"
    jupytext.write(jupytext.reads(_variant(FLIP), fmt="py:percent"), flipped)
    shutil.copyfile(ROOT / "exercises" / "q8_convolution.ipynb", other)  # first by name, but not named q8
    proc, result = _run(_autograder(tmp_path / "run", zip_path, flipped, other))
    assert proc.returncode == 0, proc.stderr
    assert result["score"] == 5.0 and result["extra_data"]["exercise"] == "q8", result
    assert "graded q8_flipped.ipynb (its name says q8)" in result["output"], result["output"]
    failed = {t["name"]: t["output"] for t in result["tests"] if t["status"] == "failed"}
    assert len(failed) == 2 and all("your filter is flipped" in text for text in failed.values()), failed
