"""The grader on the course's own notebooks, the wire format, and the learner's check()."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from nnworkshop.grading import check, run_public
from nnworkshop.grading import protocol
from nnworkshop.grading.cli import main as grade_main
from nnworkshop.grading.notebook import strip_magics

pytest.importorskip("jupytext")
ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))


@pytest.fixture(scope="module")
def course_grades(tmp_path_factory):
    """Grade every exercise and solution notebook once (2 workers, synthetic MNIST for q6)."""
    from nnworkshop.data import write_synthetic_mnist

    tmp = tmp_path_factory.mktemp("course_grades")
    data = write_synthetic_mnist(tmp / "data", n_train=1200, n_test=400, seed=1)
    out = tmp / "grades.csv"
    rc = grade_main([*map(str, EXERCISES + SOLUTIONS), "--out", str(out), "--results-json", str(tmp / "json"),
                     "--feedback", str(tmp / "feedback"), "--workers", "2", "--data", str(data), "--memory", "600"])
    assert rc == 0
    with open(out, newline="") as f:
        return {Path(row["submission"]).parent.name + "/" + Path(row["submission"]).name: row for row in csv.DictReader(f)}, tmp


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_unmodified_exercise_scores_zero_with_status_ok(course_grades, path):
    row = course_grades[0][f"exercises/{path.name}"]
    assert (row["total"], row["max"], row["status"]) == ("0", "10", "ok")


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_solution_gets_full_marks(course_grades, path):
    row = course_grades[0][f"solutions/{path.name}"]
    assert (row["total"], row["max"], row["status"]) == ("10", "10", "ok"), row["detail"]
    question = row["exercise"]
    assert row[question] == "10" and all(row[q] == "" for q in ("q1", "q2", "q3", "q4", "q5", "q6", "q7") if q != question)


def test_gradescope_json_and_feedback_name_failed_checks_without_their_code(course_grades):
    _, tmp = course_grades
    result = json.loads((tmp / "json" / "q3_backprop" / "results.json").read_text(encoding="utf-8"))  # the exercise (first)
    assert result["score"] == 0 and sum(t["max_score"] for t in result["tests"]) == 10
    assert {t["status"] for t in result["tests"]} == {"failed"}
    text = (tmp / "feedback" / "q3_backprop.md").read_text(encoding="utf-8")
    assert "FAILED `linear_backward` (0/3)" in text and "NotImplementedError" in text
    hidden = (ROOT / "course" / "q3" / "checks.py").read_text(encoding="utf-8")
    for marker in ("ctx.rng", "ref.", "def _", "EDGE_DIMS"):
        assert marker in hidden and marker not in text


@pytest.mark.real_mnist
def test_q6_solution_reaches_the_target_on_real_unseen_digits(real_mnist_root, tmp_path):
    from nnworkshop.grading.grader import Options, grade

    (r,) = grade([ROOT / "solutions" / "q6_mnist_model.ipynb"], Options(data_root=str(real_mnist_root), seed=0))
    assert (r.status, r.total) == ("ok", 10.0), (r.detail, [c.message for c in r.checks], r.cell_errors)
    assert float(r.notes[0].split(": ")[1].rstrip("%")) >= 90.0


# ---------------------------------------------------------------- wire format


def test_protocol_round_trip_keeps_types_and_values():
    obj = {"a": [1, 2.5, None, True, "s"], "arr": np.arange(6, dtype=np.float32).reshape(2, 3), "n": {"i": np.arange(3)}}
    body = protocol.pack(obj)[8:]
    back = protocol.unpack(body)
    assert back["a"] == [1, 2.5, None, True, "s"]
    assert back["arr"].dtype == np.float32 and back["arr"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert back["n"]["i"].tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    "header, blob, message",
    [
        ({"obj": {"__nd__": 0, "dtype": "|O", "shape": [1]}, "sizes": [8]}, b"\0" * 8, "bad array description"),
        ({"obj": {"__nd__": 0, "dtype": "<f8", "shape": [3]}, "sizes": [8]}, b"\0" * 8, "array size does not match its shape"),
        ({"obj": {"__pickle__": "x"}, "sizes": []}, b"", "unknown object"),
        # 3 bytes of JSON become a Python list: a child could make the grader build gigabytes of them
        ({"obj": {"__map__": [["ok", True], ["pad", [[]] * 400_000]]}, "sizes": []}, b"", "header of .* over the"),
    ],
)
def test_protocol_refuses_what_it_cannot_decode_safely(header, blob, message):
    head = json.dumps(header).encode()
    with pytest.raises(protocol.ProtocolError, match=message):
        protocol.unpack(len(head).to_bytes(4, "big") + head + blob)


def test_magics_are_disabled_not_run():
    src, n = strip_magics("%matplotlib inline\nx = 1\n  !pip install evil\nprint(x)")
    assert n == 2 and src == "pass  # magic skipped while grading\nx = 1\n  pass  # magic skipped while grading\nprint(x)"


# ---------------------------------------------------------------- the learner's check()


def _namespace(path: Path) -> dict:
    """Run a notebook's code cells (q1/q2/q3/q5: numpy only) and return its globals."""
    import jupytext

    ns: dict = {}
    for cell in jupytext.read(path).cells:
        if cell.cell_type == "code":
            try:
                exec(cell.source, ns)
            except NotImplementedError:
                pass
    return ns


@pytest.mark.parametrize("name, question", [("q1_activations", "q1"), ("q2_softmax", "q2"), ("q3_backprop", "q3"),
                                            ("q5_regularisation", "q5")])
def test_public_checks_pass_for_solutions_and_fail_for_exercises(name, question, capsys):
    solved = run_public(question, _namespace(ROOT / "solutions" / f"{name}.py"))
    assert solved and all(o.passed for o in solved), [o.message for o in solved if not o.passed]
    todo = run_public(question, _namespace(ROOT / "exercises" / f"{name}.py"))
    assert not any(o.passed for o in todo)
    capsys.readouterr()


def test_check_prints_pass_fail_hints_and_says_it_is_not_the_grade(capsys):
    def sigmoid(x):
        return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))

    def sigmoid_grad(x):
        return sigmoid(x)  # wrong on purpose

    check("q1", sigmoid, sigmoid_grad)
    out = capsys.readouterr().out
    assert "PASS  sigmoid gives known values, keeps the shape" in out
    assert "FAIL  sigmoid is stable for x = +-1000" in out and "numpy warned about overflow" in out
    assert "FAIL  sigmoid_grad agrees with a finite difference" in out and "hint: d/dx sigmoid(x)" in out
    assert "q1: 1/3 public checks passed. Passing the public checks does not mean full marks" in out
    assert "tanh" not in out  # only the checks of the functions passed in


def test_check_reads_the_callers_names_and_never_prints_solution_code(capsys):
    ns = _namespace(ROOT / "exercises" / "q3_backprop.py")
    capsys.readouterr()
    exec("check('q3')", ns)
    out = capsys.readouterr().out
    assert out.count("FAIL") == 4 and "not written yet" in out
    public = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "nnworkshop" / "grading").glob("public*.py"))
    shown = {l.strip() for l in out.splitlines()} | {l.strip() for l in public.splitlines()}
    for line in _solution_lines() - {"with torch.no_grad():"}:  # an idiom, not an answer
        assert line not in shown, line
        assert len(line) < 20 or (line not in out and line not in public), line


def _solution_lines() -> set:
    """Every answer line of every solution notebook (regions and one-liners), stripped."""
    lines = set()
    for path in sorted((ROOT / "solutions").glob("*.py")):
        inside = False
        for line in path.read_text(encoding="utf-8").splitlines():
            if "### BEGIN SOLUTION" in line or "### END SOLUTION" in line:
                inside = "BEGIN" in line
            elif inside or line.rstrip().endswith("# SOLUTION"):
                code = line.split("# SOLUTION")[0].strip()
                if len(code) > 8:
                    lines.add(code)
    return lines


def test_check_rejects_an_unknown_question():
    with pytest.raises(ValueError, match=r"unknown question 'q9'; the questions are q1, q2, q3, q4, q5, q6, q7, q8 \(e.g. check\('q3'\)\)."):
        check("q9")


def test_cli_refuses_bad_worker_counts_and_missing_files(tmp_path, capsys):
    with pytest.raises(SystemExit):
        grade_main(["x.ipynb", "--workers", "0"])
    assert "argument --workers: must be > 0, got 0" in capsys.readouterr().err
    assert grade_main([str(tmp_path / "missing.ipynb"), "--out", str(tmp_path / "g.csv")]) == 2
    assert f"error: no such file: {tmp_path / 'missing.ipynb'}" in capsys.readouterr().err


# ---------------------------------------------------------------- public and hidden checks agree


def test_unwritten_tanh_grad_says_not_written_yet():
    ns = _namespace(ROOT / "solutions" / "q1_activations.py")
    ns["tanh"] = ns["tanh_grad"] = lambda x: ...
    outcome = {o.title: o for o in run_public("q1", ns)}["tanh_grad agrees with a finite difference"]
    assert not outcome.passed and outcome.message.startswith("not written yet"), outcome.message


def test_q3_uses_the_course_weight_layout_and_batches_of_several_rows():
    """W is (out_features, in_features) and out = x @ W.T + b, in the exercise, the public and the hidden checks."""
    from nnworkshop.grading import course

    ref = course.module(course.resolve(), "reference")

    ns = _namespace(ROOT / "solutions" / "q3_backprop.py")
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), rng.normal(size=4)  # w: (out=4, in=3)
    np.testing.assert_allclose(ns["linear_forward"](x, w, b), x @ w.T + b)
    np.testing.assert_allclose(ref.linear_forward(x, w, b), x @ w.T + b)
    dout = rng.normal(size=(5, 4))
    for mine, theirs in zip(ns["linear_backward"](dout, x, w), ref.linear_backward(dout, x, w)):
        np.testing.assert_allclose(mine, theirs)
    assert ref.linear_backward(dout, x, w)[1].shape == w.shape

    ns["linear_backward"] = lambda dout, x, W: (dout @ W, dout.T @ x, dout.mean(axis=0))  # mean, not sum
    failed = [o for o in run_public("q3", ns) if not o.passed]
    assert failed and failed[0].title == "linear_backward gives known gradients", [o.title for o in failed]
    assert failed[0].message.startswith("linear_backward db: got [1.0, 0.166667]"), failed[0].message


def test_hidden_feedback_says_how_values_are_wrong():
    from nnworkshop.grading.checking import Fail, close

    want = np.arange(1.0, 7.0).reshape(2, 3)
    with pytest.raises(Fail, match=r"db: 6 of 6 values wrong; the largest error at \[1, 2\]: got 1.5, expected 6 "
                                   r"\(every value is 0.25 times the right one"):
        close(want / 4, want, "db")
    with pytest.raises(Fail, match="every value has the wrong sign"):
        close(-want, want, "dx")
    square = np.array([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(Fail, match="the transpose of the right answer"):
        close(square.T, square, "dW")
    with pytest.raises(Fail, match=r"1 of 6 values wrong.*rows \[1\] are wrong, the others right"):
        close(want + np.array([[0, 0, 0], [0, 0, 9.0]]), want, "out")


def test_a_hint_names_a_pattern_only_where_the_numbers_show_it():
    """A relu_grad wrong only at x = 0 used to read "every value is 1 times the right one (mean vs sum?)"; one wrong
    number, any ratio "a missing factor"."""
    from nnworkshop.grading.checking import describe_mismatch

    x = np.array([[-2.0, 0.0, 3.0], [0.0, 1.0, -1.0]])
    at_zero = describe_mismatch((x >= 0).astype(float), (x > 0).astype(float))
    assert at_zero.endswith("(every wrong value is where the right answer is 0)") and "times" not in at_zero
    assert describe_mismatch(1.15069, 1.34308) == "1 of 1 values wrong; the largest error: got 1.15069, expected 1.34308"
    assert describe_mismatch(7.5, 1.5).endswith("(5 times the right one: a missing or extra factor (mean vs sum?))")
    assert describe_mismatch(0.3, 1.5).endswith("(1/5 of the right one: a missing or extra factor (mean vs sum?))")
    assert "times" not in describe_mismatch(np.array([1.0, 2.0, 9.0]), np.array([1.0, 2.0, 3.0]))


def test_a_numerical_gradient_that_leaves_x_changed_fails_public_and_hidden_checks(tmp_path):
    """The public check and the hidden one agree: a central difference that does not put x back is wrong, even
    where the function is separable and the gradient still comes out close."""
    text = (ROOT / "solutions" / "q3_backprop.py").read_text(encoding="utf-8")
    broken = text.replace("        x[i] = old\n        grad[i]", "        grad[i]")
    assert broken != text
    ns = _namespace(ROOT / "solutions" / "q3_backprop.py")
    exec(compile(broken, "<broken>", "exec"), ns)
    outcome = {o.title: o for o in run_public("q3", ns)}
    assert not outcome["numerical_gradient differentiates sum(x**2) and restores x"].passed
    sub = tmp_path / "q3_broken.py"
    sub.write_text(broken)
    out = tmp_path / "g.csv"
    assert grade_main([str(sub), "--exercise", "q3", "--out", str(out), "--feedback", str(tmp_path / "fb"),
                       "--seed", "3"]) == 0
    feedback = (tmp_path / "fb" / "q3_broken.md").read_text(encoding="utf-8")
    assert "FAILED `numerical_gradient`" in feedback and "numerical_gradient changed x" in feedback, feedback


def test_a_sigmoid_that_overflows_fails_the_hidden_check_as_it_fails_the_public_one(tmp_path):
    naive = (tmp_path / "q1_naive.py")
    naive.write_text("import numpy as np\n\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))\n")
    ns = {}
    exec(compile(naive.read_text(encoding="utf-8"), str(naive), "exec"), ns)
    assert not {o.title: o for o in run_public("q1", ns)}["sigmoid is stable for x = +-1000"].passed
    assert grade_main([str(naive), "--exercise", "q1", "--out", str(tmp_path / "g.csv"), "--feedback",
                       str(tmp_path / "fb"), "--seed", "1"]) == 0
    feedback = (tmp_path / "fb" / "q1_naive.md").read_text(encoding="utf-8")
    assert "FAILED `sigmoid_extreme`" in feedback and "overflow" in feedback, feedback
    assert "passed `sigmoid` " in feedback  # the ordinary values are right: only the stability check fails


def test_a_train_step_returning_a_tensor_fails_the_hidden_check_as_it_fails_the_public_one(tmp_path):
    text = (ROOT / "solutions" / "q4_torch_training.py").read_text(encoding="utf-8")
    tensor = text.replace("    return loss.item()\n", "    return loss.detach()\n", 1)
    assert tensor != text
    sub = tmp_path / "q4_tensor.py"
    sub.write_text(tensor)
    assert grade_main([str(sub), "--exercise", "q4", "--out", str(tmp_path / "g.csv"), "--feedback",
                       str(tmp_path / "fb"), "--seed", "2"]) == 0
    feedback = (tmp_path / "fb" / "q4_tensor.md").read_text(encoding="utf-8")
    assert "FAILED `train_step_loss`" in feedback and "Python float (loss.item())" in feedback, feedback
    assert "passed `train_step_update`" in feedback  # the step itself is right
