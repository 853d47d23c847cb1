"""Exercise q7 (backward passes for the autograd engine) grades as the others do: the solution gets full marks, the
generated exercise 0, and typical mistakes partial marks with a hint that names the mistake."""

import csv
from pathlib import Path

import pytest

from nnworkshop.grading import run_public
from nnworkshop.grading.cli import main as grade_main

pytest.importorskip("jupytext")
ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "q7_autograd.py"

# (name, the line of the solution, the mistake, the check that must fail, words its feedback must contain, score)
MISTAKES = [
    ("own_input", "    return g * b, g * a  # SOLUTION", "    return g * a, g * b",
     "mul_backward", "g times the OTHER input", 9),
    ("transposed_db", "    return g @ b.T, a.T @ g  # SOLUTION", "    return g @ b.T, g.T @ a",
     "matmul_backward", "let the shapes decide where the transposes go", 6),
    ("no_row_sum", "    return g - np.exp(out) * g.sum(axis=-1, keepdims=True)  # SOLUTION", "    return g - np.exp(out)",
     "log_softmax_backward", "row's SUM of g", 6),
    ("no_keepdims", "            grad = grad.sum(axis=axis, keepdims=True)", "            grad = grad.sum(axis=axis)",
     "unbroadcast", "keepdims=True", 8),
]


def _definitions(text: str) -> dict:
    """The notebook's functions, without running its check() or its finite-difference cell."""
    ns = {}
    code = text.split("# %% [markdown]\n# ## What `backward()` does with them")[0].replace('check("q7")', "")
    exec(compile(code, "<q7>", "exec"), ns)
    return ns


def test_public_checks_pass_for_the_solution_and_fail_for_the_exercise():
    solved = run_public("q7", _definitions(SOLUTION.read_text(encoding="utf-8")))
    assert len(solved) == 5 and all(o.passed for o in solved), [o.message for o in solved if not o.passed]
    todo = run_public("q7", _definitions((ROOT / "exercises" / "q7_autograd.py").read_text(encoding="utf-8")))
    assert not any(o.passed for o in todo)
    assert all("not written yet" in o.message for o in todo)


@pytest.mark.parametrize("name, line, mistake, check, words, score", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_each_typical_mistake_fails_its_public_check(name, line, mistake, check, words, score):
    text = SOLUTION.read_text(encoding="utf-8")
    assert line in text
    outcomes = run_public("q7", _definitions(text.replace(line, mistake)))
    failed = [o.title for o in outcomes if not o.passed]
    assert len(failed) == 1 and failed[0].startswith(check), failed


@pytest.fixture(scope="module")
def q7_grades(tmp_path_factory):
    """Grade the solution, the exercise and one submission per typical mistake in one batch."""
    tmp = tmp_path_factory.mktemp("q7_grades")
    text = SOLUTION.read_text(encoding="utf-8")
    submissions = [ROOT / "solutions" / "q7_autograd.ipynb", ROOT / "exercises" / "q7_autograd.ipynb"]
    for name, line, mistake, *_ in MISTAKES:
        path = tmp / f"q7_{name}.py"
        path.write_text(text.replace(line, mistake), encoding="utf-8")
        submissions.append(path)
    out = tmp / "grades.csv"
    assert grade_main([*map(str, submissions), "--out", str(out), "--feedback", str(tmp / "fb"),
                       "--workers", "2", "--seed", "5", "--memory", "600", "--exercise", "q7"]) == 0
    with open(out, newline="") as f:
        return {Path(row["submission"]).parent.name + "/" + Path(row["submission"]).stem: row
                for row in csv.DictReader(f)}, tmp / "fb"


def test_solution_gets_full_marks_and_the_exercise_zero(q7_grades):
    rows, _ = q7_grades
    solution, exercise = rows["solutions/q7_autograd"], rows["exercises/q7_autograd"]
    assert (solution["exercise"], solution["total"], solution["max"], solution["status"]) == ("q7", "10", "10", "ok"), \
        solution["detail"]
    assert (exercise["exercise"], exercise["total"], exercise["max"], exercise["status"]) == ("q7", "0", "10", "ok")


@pytest.mark.parametrize("name, line, mistake, check, words, score", MISTAKES, ids=[m[0] for m in MISTAKES])
def test_a_typical_mistake_gets_partial_marks_and_a_hint_naming_it(q7_grades, name, line, mistake, check, words,
                                                                   score):
    rows, feedback = q7_grades
    row = next(r for key, r in rows.items() if key.endswith(f"q7_{name}"))
    assert (row["total"], row["status"]) == (str(score), "ok"), row["detail"]
    text = (feedback / f"q7_{name}.md").read_text(encoding="utf-8")
    assert f"FAILED `{check}`" in text and words in text, text
    assert "passed `sigmoid_backward`" in text  # the rest is graded as right
