"""The Gradescope autograder zip, and its run_autograder run locally on a copy of Gradescope's /autograder layout."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("jupytext")

from nnworkshop.cli import main as nnworkshop_main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _autograder(tmp: Path, zip_path: Path, *submitted: Path) -> Path:
    """``tmp/autograder`` laid out as Gradescope does: the zip in source/, the learner's files in submission/."""
    root = tmp / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "results").mkdir()
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(root / "source")
    for info in zipfile.ZipFile(zip_path).infolist():  # extractall drops the mode bits
        os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777)
    for path in submitted:
        shutil.copyfile(path, root / "submission" / path.name)
    return root


def _run(root: Path) -> tuple[subprocess.CompletedProcess, dict]:
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), NNWORKSHOP_PYTHON=sys.executable)
    proc = subprocess.run([str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=600)
    return proc, json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("gradescope")
    assert nnworkshop_main(["autograder", "build", "--out", str(tmp / "autograder.zip"), "--exercise", "q1"]) == 0
    return tmp, tmp / "autograder.zip"


def test_the_zip_holds_executable_setup_and_run_scripts_and_the_installable_course(built):
    _, zip_path = built
    with zipfile.ZipFile(zip_path) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        for name in ("setup.sh", "run_autograder"):
            assert stat.S_IMODE(infos[name].external_attr >> 16) == 0o755
        assert {"course/pyproject.toml", "course/README.md", "course/nnworkshop/grading/grader.py",
                "grading-course/course.toml", "grading-course/q1/checks.py", "grading-course/reference.py"} <= set(infos)
        assert not any("_hidden" in n for n in infos), "the hidden checks live in the course folder, not the package"
        assert '--course "$ROOT/source/grading-course"' in zf.read("run_autograder").decode()
        assert not any("__pycache__" in n for n in infos)
        assert "--exercise q1" in zf.read("run_autograder").decode()
        setup = zf.read("setup.sh").decode()
        assert "pip install" in setup and "$ROOT/source/course" in setup
        # torch from PyTorch's CPU index alone, never as an extra index beside PyPI (dependency confusion)
        assert "extra-index-url" not in setup and "course/nnworkshop/torch_install.py" in setup
        assert "data.mnist(" not in setup, "a q1 assignment needs no MNIST"


@pytest.mark.parametrize("exercise", [None, "q6"])
def test_an_autograder_that_may_grade_q6_fetches_mnist_at_build_time(tmp_path, exercise):
    out = tmp_path / "autograder.zip"
    assert nnworkshop_main(["autograder", "build", "--out", str(out), *(["--exercise", exercise] if exercise else [])]) == 0
    with zipfile.ZipFile(out) as zf:
        setup, run = zf.read("setup.sh").decode(), zf.read("run_autograder").decode()
    assert setup.index("set -euo pipefail") < setup.index('NNWORKSHOP_DATA="$ROOT/data"') < setup.index("doctor")
    assert "data.mnist(train=True)" in setup and "data.mnist(train=False)" in setup
    assert 'export NNWORKSHOP_DATA="${NNWORKSHOP_DATA:-$ROOT/data}"' in run
    result = subprocess.run(["bash", "-n", "-c", setup], capture_output=True, text=True)  # the script parses
    assert result.returncode == 0, result.stderr


def test_run_autograder_grades_the_submission_into_results_json(built):
    tmp, zip_path = built
    root = _autograder(tmp / "honest", zip_path, ROOT / "solutions" / "q1_activations.ipynb")
    proc, result = _run(root)
    assert proc.returncode == 0, proc.stderr
    assert result["score"] == 10.0 and sum(t["max_score"] for t in result["tests"]) == 10
    assert {t["status"] for t in result["tests"]} == {"passed"} and len(result["tests"]) == 7
    assert result["output"].startswith("Status: ok")
    from nnworkshop.grading import isolation

    layers = isolation.probe()
    assert result["extra_data"]["exercise"] == "q1" and result["extra_data"]["status"] == "ok"
    if isolation.missing(layers):  # e.g. inside a container without user namespaces: said, not hidden
        assert "NOT a wall" in result["extra_data"]["isolation"] and "the only wall left" in result["extra_data"]["isolation"]
    else:
        assert result["extra_data"]["isolation"] == isolation.describe(layers)


def test_run_autograder_reports_failed_checks_and_an_empty_submission(built):
    tmp, zip_path = built
    root = _autograder(tmp / "unanswered", zip_path, ROOT / "exercises" / "q1_activations.ipynb")
    proc, result = _run(root)
    assert proc.returncode == 0 and result["score"] == 0
    assert all(t["status"] == "failed" and t["output"] for t in result["tests"])
    (tmp / "nothing").mkdir()
    (tmp / "nothing" / "notes.txt").write_text("forgot the notebook")
    root = _autograder(tmp / "empty", zip_path, tmp / "nothing" / "notes.txt")
    proc, result = _run(root)
    assert proc.returncode == 0 and result["score"] == 0
    assert "No notebook (.ipynb) was submitted (found: notes.txt)" in result["output"]


def test_build_refuses_an_unknown_exercise_and_never_overwrites(built, capsys):
    tmp, zip_path = built
    assert nnworkshop_main(["autograder", "build", "--out", str(tmp / "x.zip"), "--exercise", "q9"]) == 2
    assert "unknown exercise 'q9'" in capsys.readouterr().err and not (tmp / "x.zip").exists()
    before = zip_path.read_bytes()
    assert nnworkshop_main(["autograder", "build", "--out", str(zip_path)]) == 2
    assert "already exists" in capsys.readouterr().err and zip_path.read_bytes() == before


def test_where_no_wall_can_be_built_results_json_says_so(built, monkeypatch):
    """Gradescope's container without Landlock or seccomp: graded with the guard alone, and called no wall."""
    from nnworkshop.grading import gradescope, isolation

    tmp, zip_path = built
    root = _autograder(tmp / "nowall", zip_path, ROOT / "solutions" / "q1_activations.ipynb")
    monkeypatch.setattr(isolation, "missing", lambda report, isolation="kernel": ["landlock: refused (test)"])
    result = gradescope.run(root, exercise="q1", seed_file=root / "source" / gradescope.SEED_FILE)
    assert result["score"] == 10.0
    text = result["extra_data"]["isolation"]
    assert text.startswith(isolation.GUARD_ONLY) and "NOT a wall" in text
    assert "Gradescope's container (one learner per container) is the only wall left: landlock: refused (test)" in text
