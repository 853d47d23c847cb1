"""What a fresh attacker found after the walls were built, each shown to work without its fix and to fail with it:
the compiled answer modules, a classmate's name in the child's memory, a submission that costs the grader
minutes to parse, and replies that cost the grader memory or seconds to keep and print."""

from __future__ import annotations

import json
import py_compile
import time
from pathlib import Path

from nnworkshop.grading import grader, session
from nnworkshop.grading.grader import PACKAGE_DIR, Options, grade
from nnworkshop.grading.notebook import MAX_CELLS, SubmissionError, read_submission

from test_grading_intake import Q1, notebook

READ_PYC = """import glob, os, nnworkshop
found = sorted(glob.glob(os.path.join(os.path.dirname(nnworkshop.__file__), "__pycache__", "*.pyc")))
for path in found:
    if os.path.basename(path).startswith(("models.", "training.")):
        try:
            print("READ", os.path.basename(path), len(open(path, "rb").read()))
        except OSError as err:
            print("REFUSED", os.path.basename(path), type(err).__name__)
print("LISTED", len(found))
"""


def test_the_compiled_answer_modules_cannot_be_read(tmp_path, monkeypatch):
    """pip install (Gradescope's setup.sh, the Kubernetes image) writes models.pyc and training.pyc beside the
    package; the answers' sources were walled off but their bytecode was not."""
    for name in ("models.py", "training.py"):
        py_compile.compile(str(PACKAGE_DIR / name), doraise=True)  # as an installed course has them
    steal = notebook(tmp_path / "pyc_q1.ipynb", Q1, READ_PYC)
    monkeypatch.setattr(grader, "ANSWER_PATHS", tuple(p for p in grader.ANSWER_PATHS if p.name != "__pycache__"))
    (old,) = grade([steal], Options(seed=1))
    assert "READ models." in old.output and "READ training." in old.output, old.output  # the leak, before
    monkeypatch.undo()
    (new,) = grade([steal], Options(seed=1))
    assert "READ " not in new.output and new.total == 10.0, new.output


SNOOP = """import gc, sys
needle = "_".join(["carol", "secret"])  # built here, so no string of this cell holds it
hits = []
for obj in gc.get_objects():
    values = obj.values() if isinstance(obj, dict) and obj is not globals() else obj if isinstance(obj, (list, tuple)) else ()
    hits += [len(v) for v in values if isinstance(v, str) and needle in v]
frame = sys._getframe().f_back
while frame is not None:
    hits += [k for k, v in frame.f_locals.items()
             if isinstance(v, (dict, list)) and v is not globals() and needle in repr(v)[:1000000]]
    frame = frame.f_back
print("FOUND", hits)
"""


def test_a_submission_learns_no_classmate_names_or_grader_paths(tmp_path, monkeypatch):
    """Before, every child was sent every protected path (classmates' files, the seed file, the report folders)
    and kept the whole configuration in a frame it could walk to. Now it is told only the protected paths inside
    folders it may read, and the configuration is cleared before the first cell runs. The guard is off here, as
    code that defeats it would have it: the kernel wall and the cleared memory must hold on their own."""
    class_dir = tmp_path / "class"
    class_dir.mkdir()
    notebook(class_dir / "carol_secret_q1.ipynb")
    snoop = notebook(class_dir / "snoop_q1.ipynb", Q1, SNOOP)
    seen = []
    real = grader.Batch.child_protected
    monkeypatch.setattr(grader.Batch, "child_protected", lambda self: seen.append((list(self.protected), real(self)))
                        or seen[-1][1])
    results = {Path(r.path).name: r for r in grade([snoop, class_dir / "carol_secret_q1.ipynb"],
                                                    Options(seed=1, guard=False))}
    everything, told = seen[0]
    assert any("carol_secret" in str(p) for p in everything), "the grader protects the classmate's file"
    assert not any("carol_secret" in str(p) for p in told), "but never names it to another submission"
    assert "FOUND []" in results["snoop_q1.ipynb"].output, results["snoop_q1.ipynb"].output
    assert results["snoop_q1.ipynb"].total == results["carol_secret_q1.ipynb"].total == 10.0


def test_a_submission_that_would_take_minutes_to_parse_is_refused_at_once(tmp_path):
    many = tmp_path / "many_q1.py"
    many.write_text("# %%\nx = 1\n" * (MAX_CELLS + 1), encoding="utf-8")
    start = time.monotonic()
    (r,) = grade([many], Options(seed=1, exercise="q1", timeout=30))
    assert r.status == "error" and f"more than {MAX_CELLS:,} cells" in r.detail, r.detail
    assert time.monotonic() - start < 20  # 100,000 such cells took the grader about two minutes before
    bomb = tmp_path / "bomb_q1.ipynb"
    bomb.write_text('{"cells": [' + ",".join(["[]"] * 600_000) + "]}", encoding="utf-8")
    try:
        read_submission(bomb)
    except SubmissionError as err:
        assert "over 500,000 JSON objects" in str(err)
    else:
        raise AssertionError("a JSON bomb was parsed")
    fine = tmp_path / "fine_q1.ipynb"
    nb = json.loads(notebook(tmp_path / "x.ipynb").read_text(encoding="utf-8"))
    nb["cells"] = nb["cells"] * MAX_CELLS
    fine.write_text(json.dumps(nb), encoding="utf-8")
    assert len(read_submission(fine).cells) == MAX_CELLS  # at the limit: read


def test_what_the_grader_keeps_of_replies_is_bounded():
    assert session.reply_text("short", 10) == "short"
    long = session.reply_text("x" * 10_000, 100)
    assert long.startswith("x" * 100) and "9,900 more characters cut" in long and len(long) < 200
    hostile = [[1.0] * 1000] * 2048  # a "traceback" of arrays: named by its type, never formatted
    start = time.monotonic()
    assert session.reply_text(hostile, 4000) == "<list sent where text was expected>"
    assert time.monotonic() - start < 0.1


def test_many_failing_cells_keep_a_bounded_list_of_errors(tmp_path):
    cells = [Q1] + ['raise ValueError("' + "e" * 50_000 + '")'] * 60
    (r,) = grade([notebook(tmp_path / "noisy_q1.ipynb", *cells)], Options(seed=1))
    assert r.total == 10.0
    assert len(r.cell_errors) == session.MAX_CELL_ERRORS + 1 and "not kept" in r.cell_errors[-1]
    assert max(len(e) for e in r.cell_errors) < session.MAX_ERROR_CHARS + 200
