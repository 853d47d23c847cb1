"""Every committed notebook is a jupytext pair (.ipynb + py:percent) that agree, with outputs cleared.

The `.py` side is what reviewers read in diffs; the `.ipynb` side is what learners open. If someone
edits one and forgets `jupytext --sync`, the two drift apart silently: this test catches that, and
catches notebooks committed with outputs or execution counts (noise in git, stale results in class).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")
nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("notebooks", "exercises", "solutions")
FIX = "run `jupytext --sync {path}` (or `jupytext --to ipynb {py}`) and commit both files"


def notebooks() -> list[Path]:
    """Every committed .ipynb in the course folders, sorted."""
    return sorted(p for folder in FOLDERS for p in (ROOT / folder).glob("*.ipynb"))


def percent_scripts() -> list[Path]:
    """Every .py in the course folders that declares itself a jupytext py:percent notebook."""
    found = []
    for folder in FOLDERS:
        for py in (ROOT / folder).glob("*.py"):
            head = py.read_text(encoding="utf-8")[:600]
            if "format_name: percent" in head:
                found.append(py)
    return sorted(found)


def cells(path: Path) -> list[tuple[str, str]]:
    """(cell_type, source) for each cell of a notebook read by jupytext, from either side of the pair."""
    nb = jupytext.read(path)
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def pair_problems(ipynb: Path) -> list[str]:
    """Why ``ipynb`` and its .py twin disagree (empty list when they agree)."""
    py = ipynb.with_suffix(".py")
    if not py.exists():
        return [f"{ipynb.name} has no paired {py.name}"]
    a, b = cells(ipynb), cells(py)
    problems = []
    if len(a) != len(b):
        problems.append(f"{ipynb.name} has {len(a)} cells but {py.name} has {len(b)}")
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            problems.append(
                f"cell {i} differs: {ipynb.name} has {x[0]} {x[1][:60]!r}..., {py.name} has {y[0]} {y[1][:60]!r}..."
            )
            break
    return problems


def output_problems(ipynb: Path) -> list[str]:
    """Cells of ``ipynb`` (as stored on disk) that carry outputs or execution counts."""
    nb = nbformat.read(ipynb, as_version=4)
    problems = []
    for i, c in enumerate(nb.cells):
        if c.cell_type != "code":
            continue
        if c.get("outputs"):
            problems.append(f"{ipynb.name} cell {i} has {len(c.outputs)} output(s)")
        if c.get("execution_count") is not None:
            problems.append(f"{ipynb.name} cell {i} has execution_count {c.execution_count}")
    return problems


def _ids(paths):
    return [str(p.relative_to(ROOT)) for p in paths]


def test_course_notebooks_exist():
    """The course outline: one paired notebook per section, in order."""
    names = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    expected = {
        "00_setup", "01_numpy_from_scratch", "03_mnist", "04_pytorch_mlp",
        "05_experiments", "06_numpy_vs_pytorch", "08_distributed", "09_summary",
    }
    missing = expected - names
    assert not missing, f"notebooks/ lacks {sorted(missing)}"


@pytest.mark.parametrize("ipynb", notebooks(), ids=_ids(notebooks()))
def test_ipynb_and_py_agree(ipynb):
    problems = pair_problems(ipynb)
    assert not problems, "; ".join(problems) + ". Fix: " + FIX.format(path=ipynb, py=ipynb.with_suffix(".py"))


@pytest.mark.parametrize("py", percent_scripts(), ids=_ids(percent_scripts()))
def test_every_percent_script_has_its_ipynb(py):
    ipynb = py.with_suffix(".ipynb")
    assert ipynb.exists(), f"{py.name} has no paired {ipynb.name}. Fix: run `jupytext --to ipynb {py}`"


@pytest.mark.parametrize("ipynb", notebooks(), ids=_ids(notebooks()))
def test_committed_notebook_has_no_outputs(ipynb):
    problems = output_problems(ipynb)
    assert not problems, "; ".join(problems) + (
        f". Fix: jupyter nbconvert --clear-output --inplace {ipynb} (then jupytext --sync {ipynb})"
    )


# --- the checks themselves must be able to fail -------------------------------------------------


@pytest.fixture
def pair_copy(tmp_path):
    """A copy of the first course notebook pair in a temporary folder."""
    found = notebooks()
    if not found:
        pytest.skip("no notebooks committed yet")
    src = found[0]
    for suffix in (".ipynb", ".py"):
        shutil.copy(src.with_suffix(suffix), tmp_path / (src.stem + suffix))
    return tmp_path / (src.stem + ".ipynb")


def test_copy_agrees(pair_copy):
    assert pair_problems(pair_copy) == []
    assert output_problems(pair_copy) == []


def test_edited_py_side_is_caught(pair_copy):
    py = pair_copy.with_suffix(".py")
    py.write_text(py.read_text(encoding="utf-8") + "\n# %%\nprint('added only to the .py side')\n", encoding="utf-8")
    problems = pair_problems(pair_copy)
    assert problems and "cells" in problems[0]


def test_changed_cell_source_is_caught(pair_copy):
    nb = nbformat.read(pair_copy, as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.source += "\nx_changed_in_ipynb_only = 1"
    nbformat.write(nb, pair_copy)
    problems = pair_problems(pair_copy)
    assert problems and "differs" in problems[0]


def test_missing_twin_is_caught(pair_copy):
    pair_copy.with_suffix(".py").unlink()
    assert "has no paired" in pair_problems(pair_copy)[0]


def test_outputs_are_caught(pair_copy):
    nb = nbformat.read(pair_copy, as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.execution_count = 3
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hello\n")]
    nbformat.write(nb, pair_copy)
    problems = output_problems(pair_copy)
    assert any("output" in p for p in problems) and any("execution_count 3" in p for p in problems)
