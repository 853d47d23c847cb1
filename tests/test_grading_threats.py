"""Planted hostile submissions (tests/submissions/), graded as one batch, each with its expected score and status.

The threat model and what is out of scope: docs/grading.md. Every planted file is graded as exercise q1
(10 points: sigmoid 2+1, sigmoid_grad 2, tanh 1, tanh_grad 1, relu 1, relu_grad 2). The batch is graded twice:
as this machine allows ("namespaces" where user namespaces work), and by a grader started where user namespaces
are refused (tests/nouserns.py: the no-userns wall, as on Ubuntu 24.04 or in Docker).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("jupytext")

from nnworkshop.grading import isolation  # noqa: E402
from nnworkshop.grading.cli import main as grade_main  # noqa: E402

HERE = Path(__file__).resolve().parent
PLANTED = HERE / "submissions"

# name -> (score out of 10, status). "5" = the sigmoid and sigmoid_grad defined before the fatal cell.
EXPECTED = {
    "loop.py": (5, "timeout"),
    "memory_bomb.py": (5, "memory"),
    "memory_mmap.py": (5, "memory"),
    "os_exit.py": (5, "exited"),
    "sys_exit.py": (5, "exited"),
    "kernel_crash.py": (5, "crashed"),
    "slow_when_called.py": (8, "timeout"),
    "monkeypatch.py": (0, "ok"),
    "deleted_checks.py": (10, "ok"),
    "edited_checks.py": (0, "ok"),
    "lying_objects.py": (0, "ok"),
    "read_solutions.py": (0, "ok"),
    "fake_grades.py": (0, "ok"),
    "big_output.py": (10, "ok"),
    "detects_grading.py": (0, "ok"),
    "kill_parent.py": (10, "ok"),
    "not_a_notebook.ipynb": (0, "error"),  # written by the fixture: a committed one would trip the notebook checks
}
GENERATED = {"not_a_notebook.ipynb": "this is not a notebook {\n"}


WALLS = {"as-here": None, "no-userns": [sys.executable, str(HERE / "nouserns.py"), "-m", "nnworkshop", "grade"]}


@pytest.fixture(scope="module", params=list(WALLS))
def batch(request, tmp_path_factory):
    """Grade every planted submission once per wall: 2 workers, 4 s per cell, 300 MB, 64 KB of output kept."""
    if request.param == "no-userns" and isolation.missing(isolation.probe(), "no-userns"):
        pytest.skip(f"the no-userns wall cannot be built here: {isolation.missing(isolation.probe(), 'no-userns')}")
    tmp = tmp_path_factory.mktemp("threats")
    out = tmp / "grades.csv"
    for name, text in GENERATED.items():
        (tmp / name).write_text(text)
    paths = [str(tmp / name) if name in GENERATED else str(PLANTED / name) for name in EXPECTED]
    args = [*paths, "--out", str(out), "--results-json", str(tmp / "json"), "--feedback", str(tmp / "fb"),
            "--exercise", "q1", "--workers", "2", "--cell-timeout", "4", "--timeout", "60", "--memory", "300"]
    if WALLS[request.param] is None:
        assert grade_main(args) == 0
    else:  # a grader process of its own, started where user namespaces are refused
        proc = subprocess.run([*WALLS[request.param], *args], capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
    with open(out, newline="") as f:
        rows = {Path(r["submission"]).name: r for r in csv.DictReader(f)}
    if request.param == "no-userns":
        assert all(r["isolation"].startswith("no user namespaces: ") for r in rows.values()), rows
    return rows, tmp


def test_every_planted_submission_is_present():
    planted = sorted(p.name for p in PLANTED.iterdir() if p.suffix in (".py", ".ipynb"))
    assert sorted(set(EXPECTED) - set(GENERATED)) == planted


@pytest.mark.parametrize("name", list(EXPECTED))
def test_planted_submission_gets_its_expected_score_and_status(batch, name):
    rows, _ = batch
    score, status = EXPECTED[name]
    row = rows[name]
    assert (float(row["total"]), row["status"]) == (score, status), row["detail"]
    assert row["max"] == ("10" if status != "error" else "0")


def test_the_batch_has_one_row_per_submission_and_fake_rows_do_not_count(batch):
    rows, tmp = batch
    with open(tmp / "grades.csv", newline="") as f:
        assert len(list(csv.DictReader(f))) == len(EXPECTED)
    result = json.loads((tmp / "json" / "fake_grades" / "results.json").read_text(encoding="utf-8"))
    assert result["score"] == 0 and result["extra_data"]["status"] == "ok"
    assert "wrote grades.csv" in (tmp / "fb" / "fake_grades.md").read_text(encoding="utf-8")  # in its own temp folder only
    assert "refused /tmp/grades.csv PermissionError" in (tmp / "fb" / "fake_grades.md").read_text(encoding="utf-8")


def test_statuses_name_what_happened(batch):
    rows, _ = batch
    assert rows["loop.py"]["detail"] == "code cell 2 took longer than 4 s"
    assert rows["kernel_crash.py"]["detail"] == "code cell 2: the process crashed (SIGSEGV)"
    assert rows["os_exit.py"]["detail"] == "code cell 2: the process exited with code 0"
    assert rows["sys_exit.py"]["detail"] == "code cell 2 called sys.exit()/exit(); the cells after it were not run"
    assert rows["memory_bomb.py"]["detail"] == "code cell 3 ran out of memory (over 300 MB); the cells after it were not run"
    # shared mappings: the cgroup's limit where the grader has one, else the parent's RSS watchdog
    by_cgroup = isolation.probe().get("cgroup") in ("v1", "v2")
    assert rows["memory_mmap.py"]["detail"] == ("code cell 2: the kernel stopped it for using more than 300 MB" if by_cgroup
                                                else "code cell 2: used more than 300 MB while running code cell 2")
    assert rows["slow_when_called.py"]["detail"] == "while grading sigmoid_grad: running sigmoid_grad took longer than its time limit"
    assert rows["not_a_notebook.ipynb"]["detail"].endswith("Submit the .ipynb file saved by Jupyter.")


def test_megabytes_of_output_are_truncated(batch):
    _, tmp = batch
    text = (tmp / "fb" / "big_output.md").read_text(encoding="utf-8")
    assert "20971520 bytes of output in all; the rest is not shown." in text
    assert len(text) < 10_000


def test_feedback_names_failed_checks_but_never_shows_hidden_code(batch):
    _, tmp = batch
    text = (tmp / "fb" / "slow_when_called.md").read_text(encoding="utf-8")
    assert "FAILED `sigmoid_grad` (0/2)" in text and "ran out of time" in text
    hidden = (HERE.parent / "course" / "q1" / "checks.py").read_text(encoding="utf-8")
    for feedback in (tmp / "fb").glob("*.md"):
        body = feedback.read_text(encoding="utf-8")
        assert "ctx.rng" not in body and "ctx.call" not in body and "def _" not in body, feedback.name
    assert "ctx.rng" in hidden


def test_the_stealing_attempts_work_without_the_grader(tmp_path):
    """The read_solutions attacks are real: run as a plain script, several of them get the answers."""
    env = {k: v for k, v in os.environ.items() if k != "NNWORKSHOP_DATA"}
    proc = subprocess.run([sys.executable, str(PLANTED / "read_solutions.py")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert "solution .py: STOLEN" in proc.stdout and "hidden reference file: STOLEN" in proc.stdout, proc.stderr[-2000:]


def test_under_the_grader_every_stealing_attempt_is_refused(batch):
    _, tmp = batch
    text = (tmp / "fb" / "read_solutions.md").read_text(encoding="utf-8")
    assert "STOLEN" not in text
    for attempt in ("solution .py", "hidden reference file", "import hidden module", "dir_fd", "symlink", "shell",
                    "fork_exec", "ctypes libc", "sub-interpreter", "parent /proc"):
        assert f"{attempt}: refused" in text, attempt
