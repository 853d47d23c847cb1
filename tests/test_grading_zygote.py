"""Submissions forked from a prepared process (``grading/zygote.py``): same grades as a cold start, a fresh
process each time, nothing passed from one submission to the next, nothing left running."""

from __future__ import annotations

import os
import sys
import shutil
from pathlib import Path

import pytest

pytest.importorskip("jupytext")

from nnworkshop.grading.grader import Options, grade  # noqa: E402
from nnworkshop.grading.zygote import Zygote  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SIGMOID = '''
import numpy as np

def sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=float)))  # stable: no overflow warning at |x| = 1000
'''


def _write(folder: Path, name: str, *cells: str) -> Path:
    path = folder / name
    path.write_text("".join(f"# %%\n{c.strip()}\n\n" for c in cells))
    return path


def _guard_only() -> dict:
    from nnworkshop.grading import isolation

    return {} if not isolation.missing(isolation.probe()) else {"isolation": "guard-only"}


def test_the_zygote_loads_torch_with_one_thread_so_a_fork_holds_no_other_threads_locks():
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "PYTHONHASHSEED": "0"}
    z = Zygote(["numpy", "torch"], env)
    try:
        assert z.threads == 1
        assert z.import_seconds > 0
    finally:
        z.close()
    assert z.proc.poll() is not None


def test_prepared_and_cold_start_grade_the_course_solutions_alike(tmp_path):
    paths = []
    for name in ("q1_activations", "q4_torch_training"):
        paths.append(tmp_path / f"{name}.ipynb")
        shutil.copyfile(ROOT / "solutions" / f"{name}.ipynb", paths[-1])
    extra = _guard_only()
    warm = grade(paths, Options(seed=7, **extra), workers=2)
    cold = grade(paths, Options(seed=7, prepared=False, **extra), workers=2)
    for w, c in zip(warm, cold):
        assert (w.status, w.total, w.max_total) == ("ok", 10.0, 10.0), (w.detail, [x.message for x in w.checks])
        assert [(x.id, x.earned, x.message) for x in w.checks] == [(x.id, x.earned, x.message) for x in c.checks]
        assert w.isolation == c.isolation


def test_same_seeds_in_a_fork_as_in_a_cold_start(tmp_path):
    sub = _write(tmp_path, "seeds_q1.py", SIGMOID,
                 "import random, torch\nprint('draws', random.random(), np.random.rand(), float(torch.rand(1)))")
    extra = _guard_only()
    (warm,) = grade([sub], Options(seed=1, exercise="q1", **extra))
    (cold,) = grade([sub], Options(seed=1, exercise="q1", prepared=False, **extra))
    line = [ln for ln in warm.output.splitlines() if ln.startswith("draws")]
    assert line and line == [ln for ln in cold.output.splitlines() if ln.startswith("draws")]


def test_nothing_one_submission_leaves_is_seen_by_the_next(tmp_path):
    """Two submissions through the same prepared process, one after the other: the first plants state in every
    place a fork could share (modules, builtins, environment, its folder, numpy and torch globals) and then
    kills its own process; the second looks for all of it and still gets its marks."""
    plant = _write(tmp_path, "a_plant_q1.py", SIGMOID, '''
import builtins, os, sys, torch
np.LEAK = 1
builtins.LEAK = 2
os.environ["LEAK"] = "3"
sys.modules["leak_module"] = np
open("leak.txt", "w").write("4")
torch.manual_seed(12345)
np.random.seed(12345)
print("planted in", os.getpid())
''', "import os\nos._exit(3)")
    look = _write(tmp_path, "b_look_q1.py", SIGMOID, '''
import builtins, os, sys, torch
found = [hasattr(np, "LEAK"), hasattr(builtins, "LEAK"), "LEAK" in os.environ, "leak_module" in sys.modules,
         os.path.exists("leak.txt")]
print("found", found)
print("draws", np.random.rand(), float(torch.rand(1)))
''')
    first, second = grade([plant, look], Options(seed=3, exercise="q1", **_guard_only()), workers=1)
    assert first.status == "exited" and "planted in" in first.output
    assert second.status == "ok", second.detail
    assert "found [False, False, False, False, False]" in second.output, second.output
    import numpy as np
    import torch

    np.random.seed(0)
    torch.manual_seed(0)
    assert f"draws {np.random.rand()} {float(torch.rand(1))}" in second.output  # the grader's seeds, not the plant's
    assert second.scores["q1"] == 3.0  # sigmoid's checks, from a fresh process after the first one died


def test_the_zygote_and_every_submission_process_are_gone_after_the_batch(tmp_path):
    sub = _write(tmp_path, "stays_q1.py", SIGMOID, "import time\nprint('started')")

    def ours() -> set:
        found = set()
        for pid in os.listdir("/proc"):
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
                if int(Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").split(") ")[1].split()[1]) == os.getpid() or \
                        b"nnworkshop.grading.zygote" in cmd:
                    found.add((int(pid), cmd))
            except (OSError, ValueError, IndexError):
                pass
        # this interpreter's only: other checkouts on the machine may be grading at the same time
        return {p for p in found if b"nnworkshop.grading" in p[1] and p[1].startswith(os.fsencode(sys.executable))}

    before = ours()
    (r,) = grade([sub], Options(seed=0, exercise="q1", **_guard_only()))
    assert r.status == "ok" and "started" in r.output
    assert ours() - before == set()


def test_a_prepared_process_that_died_is_replaced_and_its_children_are_reported_killed():
    import signal
    import time

    from nnworkshop.grading.zygote import Zygotes

    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONHASHSEED": "0"}
    zygotes = Zygotes(env, 60)
    try:
        first = zygotes.get(["numpy"])
        r, w = os.pipe()
        child = first.spawn("/tmp", env, r, w)  # waits for a configuration that never comes
        os.close(r), os.close(w)
        assert child.poll() is None
        os.kill(first.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL  # said by the grader's side once the zygote is gone
        deadline = time.monotonic() + 10
        while not first.dead and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first.dead
        second = zygotes.get(["numpy"])
        assert second is not first and second.proc.poll() is None
        while os.path.exists(f"/proc/{child.pid}") and time.monotonic() < deadline + 10:  # gone, or a zombie
            if Path(f"/proc/{child.pid}/stat").read_text(encoding="utf-8").rsplit(") ", 1)[1].split()[0] == "Z":
                break
            time.sleep(0.05)
        else:
            assert not os.path.exists(f"/proc/{child.pid}")
    finally:
        zygotes.close()


def test_the_bench_compares_prepared_and_cold_start_on_the_same_batch(capsys):
    from nnworkshop.cli import main as nnworkshop_main
    from nnworkshop.grading import isolation

    if isolation.missing(isolation.probe()):
        pytest.skip("nnworkshop bench --grading needs the kernel sandbox")
    assert nnworkshop_main(["bench", "--grading", "--compare", "prepared", "--batch", "2", "--rounds", "1",
                            "--repeat", "1", "--workers", "1", "--json"]) == 0
    import json

    out = json.loads(capsys.readouterr().out)
    prep, cold = out["prepared"], out["cold_start"]
    assert prep["submissions"] == 2 and len(prep["all"]["prepared"]) == len(prep["all"]["cold"]) == 1
    assert prep["ratio"] == pytest.approx(prep["prepared_s"] / prep["cold_s"])
    assert cold["first_step"]["cpu_s"] > cold["import"]["cpu_s"] > 0
    assert "batch" not in out  # the sandbox comparison was not asked for
