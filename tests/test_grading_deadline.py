"""``--timeout`` bounds a submission's whole wall time: cells, graded calls, restarts and replays draw from one
deadline.

Each submission here would hold a worker far longer under per-step budgets (seven graded calls of almost a cell
timeout each; a cell that times out, then a replay that sleeps again, then slow calls). Graded with
``timeout=T`` each takes at most ``T + SLACK`` seconds and ends with status ``timeout``; an honest submission in
the same batch keeps full marks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nnworkshop.grading.grader import Options, grade

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ANSWERS = (HERE / "submissions" / "kernel" / "_answers.py").read_text(encoding="utf-8")
CELL, TOTAL, SLACK = 4.0, 8.0, 2.5

SLOW_CALLS = ANSWERS + '''
# %%
import time

_honest = dict(globals())


def _slow(name):
    slept = []

    def f(*args, **kw):
        if not slept:  # the first call of each function: under the cell timeout, each one within its own limit
            slept.append(time.sleep(3.5))
        return _honest[name](*args, **kw)
    return f


for _name in ("sigmoid", "sigmoid_grad", "tanh", "tanh_grad", "relu", "relu_grad"):
    globals()[_name] = _slow(_name)
'''

REPLAY_SLEEPS = '''
# %%
import time
time.sleep(3)  # replayed after the next cell's timeout: sleeps again
''' + ANSWERS + '''
# %%
while True:
    pass
'''


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("deadline")
    subs = []
    for name, text in (("slow_calls", SLOW_CALLS), ("replay_sleeps", REPLAY_SLEEPS)):
        (tmp / f"{name}.py").write_text(text)
        subs.append(tmp / f"{name}.py")
    subs.append(REPO / "solutions" / "q1_activations.ipynb")
    opts = Options(exercise="q1", cell_timeout=CELL, timeout=TOTAL, memory_mb=300)
    return {Path(r.path).stem: r for r in grade(subs, opts, workers=2)}


DETAIL = {"slow_calls": f"longer than {TOTAL:g} s in all", "replay_sleeps": f"took longer than {CELL:g} s"}


@pytest.mark.parametrize("name", list(DETAIL))
def test_a_submission_stops_at_its_whole_timeout(graded, name):
    r = graded[name]
    assert r.status == "timeout", r.detail
    assert r.seconds <= TOTAL + SLACK, f"{name} held a worker {r.seconds:.1f} s under timeout={TOTAL:g}"
    assert DETAIL[name] in r.detail, r.detail
    print(f"{name}: {r.seconds:.2f} s under timeout={TOTAL:g}: {r.detail}")


def test_slow_calls_would_take_far_longer_one_by_one():
    """The attack is real: the first calls of its six functions alone take 6 × 3.5 s, over twice the whole timeout."""
    assert 6 * 3.5 > 2 * TOTAL


def test_the_graded_calls_made_in_time_still_count(graded):
    r = graded["slow_calls"]
    assert 0 < sum(c.passed for c in r.checks) < len(r.checks), [(c.id, c.message) for c in r.checks]
    assert any("used up its 8 s" in (c.message or "") for c in r.checks), [c.message for c in r.checks]


def test_an_honest_submission_in_the_batch_keeps_full_marks(graded):
    r = graded["q1_activations"]
    assert (r.status, r.total) == ("ok", 10.0), r.detail
