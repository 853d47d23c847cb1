"""exercises/ is generated from solutions/: the markers, the build, and that it is up to date."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nnworkshop.exercises import ExerciseBuildError, main, stale, strip_solutions

jupytext = pytest.importorskip("jupytext")
ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))


def test_region_becomes_raise_with_its_indentation():
    src = "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    z = x + y\n    return z\n    ### END SOLUTION\n"
    assert strip_solutions(src) == (
        'def f(x):\n    y = 1\n    raise NotImplementedError("f: write your code here, in place of this line.")\n'
    )


def test_nested_region_keeps_deeper_indentation():
    src = "def g(a):\n    if a:\n        ### BEGIN SOLUTION\n        return 1\n        ### END SOLUTION\n    return 0"
    assert strip_solutions(src).splitlines()[2] == '        raise NotImplementedError("g: write your code here, in place of this line.")'


@pytest.mark.parametrize(
    "line, expected",
    [
        ("    return x @ W + b  # SOLUTION", "    return ..."),
        ("    out = np.maximum(x, 0)  # SOLUTION", "    out = ..."),
        ("total += loss.item()  # SOLUTION", "total += ..."),
        ("    print(x)  # SOLUTION", "    ..."),
    ],
)
def test_one_line_answers(line, expected):
    assert strip_solutions(line) == expected


def test_code_without_markers_is_untouched():
    src = "x = 1  # a comment\nassert x == 1\n"
    assert strip_solutions(src) == src


@pytest.mark.parametrize(
    "src, message",
    [
        ("### END SOLUTION", "cell, line 1: END SOLUTION without a BEGIN SOLUTION above it."),
        ("x = 1\n### BEGIN SOLUTION\ny = 2", "cell, line 2: BEGIN SOLUTION is never closed with ### END SOLUTION."),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION", "cell, line 2: BEGIN SOLUTION inside another solution region "
         "(opened on line 1); close it with ### END SOLUTION first."),
    ],
)
def test_unbalanced_markers_are_errors_that_name_the_line(src, message):
    with pytest.raises(ExerciseBuildError) as err:
        strip_solutions(src)
    assert str(err.value) == message


def test_exercises_are_up_to_date():
    problems = stale(ROOT / "solutions", ROOT / "exercises")
    assert not problems, "exercises/ is stale: run `nnworkshop exercises build`.\n" + "\n".join(problems)


def test_check_command_reports_a_stale_exercise(tmp_path, capsys):
    assert main(["build", "--out", str(tmp_path)]) == 0
    victim = tmp_path / "q1_activations.py"
    victim.write_text(victim.read_text(encoding="utf-8") + "\n# edited by hand\n")
    assert main(["check", "--out", str(tmp_path)]) == 1
    assert f"{victim} differs from solutions/q1_activations.ipynb" in capsys.readouterr().out


def test_a_newer_tools_stamp_is_not_a_stale_exercise(tmp_path, capsys):
    """A fresh install gets whatever jupytext and nbformat are current: their version stamps and JSON layout are
    not the course's content. What the course writes (sources, metadata) still counts."""
    assert main(["build", "--out", str(tmp_path)]) == 0
    py, ipynb = tmp_path / "q1_activations.py", tmp_path / "q1_activations.ipynb"
    text = py.read_text(encoding="utf-8")
    assert "jupytext_version:" in text
    py.write_text(re.sub(r"jupytext_version: \S+", "jupytext_version: 9.99.0", text))
    nb = json.loads(ipynb.read_text(encoding="utf-8"))
    nb["nbformat_minor"] = 4
    ipynb.write_text(json.dumps(nb, indent=2, sort_keys=True))  # another key order and indentation
    assert main(["check", "--out", str(tmp_path)]) == 0, capsys.readouterr()
    nb["metadata"]["nnworkshop"]["exercise"] = "q2"  # what the course writes: caught
    ipynb.write_text(json.dumps(nb))
    py.write_text(py.read_text(encoding="utf-8").replace("#     display_name: Python 3", "#     display_name: Python 2"))
    assert main(["check", "--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "q1_activations.ipynb differs" in out and "metadata differs (nnworkshop)" in out
    assert "q1_activations.py differs" in out and "metadata differs (kernelspec)" in out


def test_every_solution_has_an_exercise_and_the_seven_topics_exist():
    assert [p.name for p in EXERCISES] == [p.name for p in SOLUTIONS]
    assert [json.loads(p.read_text(encoding="utf-8"))["metadata"]["nnworkshop"]["exercise"] for p in SOLUTIONS] == [
        "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8"]


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_exercise_has_no_answers_and_no_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    solution = json.loads((ROOT / "solutions" / path.name).read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    assert not any("SOLUTION" in src for src in code)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb["cells"] if c["cell_type"] == "code")
    assert nb["metadata"]["nnworkshop"] == solution["metadata"]["nnworkshop"]
    answer_lines = {
        line.strip() for c in solution["cells"] if c["cell_type"] == "code"
        for line in "".join(c["source"]).split("### BEGIN SOLUTION")[-1].split("### END SOLUTION")[0].splitlines()
        if "### BEGIN SOLUTION" in "".join(c["source"]) and len(line.strip()) > 25
    }
    assert not answer_lines & {line.strip() for src in code for line in src.splitlines()}


@pytest.mark.parametrize("path", EXERCISES, ids=lambda p: p.name)
def test_exercise_ipynb_and_py_agree(path):
    a, b = jupytext.read(path), jupytext.read(path.with_suffix(".py"))
    assert [(c.cell_type, c.source.strip()) for c in a.cells] == [(c.cell_type, c.source.strip()) for c in b.cells]
