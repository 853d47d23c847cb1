"""The instructor's report for a class of 40 mixed submissions, opened in the real browser (Debian's chromium)."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")

from browser_helpers import CHROMIUM_ARGS, chromium_path, why_no_browser  # noqa: E402
from nnworkshop.grading.cli import main as grade_main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SECOND = 1000
WRONG_RELU = '''
# %%
import numpy as np

def sigmoid(x):
    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))

def relu(x):
    return np.abs(np.asarray(x, dtype=float))  # wrong for negatives
'''
LOOP = "# %%\nimport numpy as np\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n\n# %%\nwhile True:\n    pass\n"
MIX = {"honest": 16, "unanswered": 10, "honest_q2": 4, "wrong": 4, "broken": 3, "loop": 3}


def _class(folder: Path) -> list[Path]:
    paths = []
    for kind, count in MIX.items():
        for i in range(count):
            path = folder / f"{kind}{i:02d}_{'q2' if kind == 'honest_q2' else 'q1'}.ipynb"
            if kind == "honest":
                shutil.copyfile(ROOT / "solutions" / "q1_activations.ipynb", path)
            elif kind == "honest_q2":
                shutil.copyfile(ROOT / "solutions" / "q2_softmax.ipynb", path)
            elif kind == "unanswered":
                shutil.copyfile(ROOT / "exercises" / "q1_activations.ipynb", path)
            elif kind in ("wrong", "loop"):
                nb = jupytext.reads(WRONG_RELU if kind == "wrong" else LOOP, fmt="py:percent")
                nb.metadata["nnworkshop"] = {"exercise": "q1"}
                jupytext.write(nb, path)
            else:
                path.write_text('{"cells": [broken')
            paths.append(path)
    return paths


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("classreport")
    paths = _class(tmp)
    assert len(paths) == 40
    rc = grade_main([*map(str, paths), "--out", str(tmp / "grades.csv"), "--report", str(tmp / "report.html"),
                     "--workers", "2", "--cell-timeout", "2", "--seed", "777", "--memory", "400"])
    assert rc == 0
    with open(tmp / "grades.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return tmp, rows


def test_the_report_is_one_self_contained_page_with_learner_text_escaped(report):
    tmp, _ = report
    text = (tmp / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", text), "the report must not load anything from the network"
    assert "<script" not in text and text.count("<svg") == 2
    assert "<tr><td>broken00_q1.ipynb</td>" in text


def test_the_report_shows_the_class_in_the_browser(report):
    reason = why_no_browser()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    tmp, rows = report
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, timeout=60 * SECOND)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                       else route.abort())  # offline: anything else would fail to load
            page.goto((tmp / "report.html").as_uri())
            page.screenshot(path=str(tmp / "report.png"), full_page=True)
            assert page.inner_text("#count") == "40"
            assert page.inner_text("#seed") == "777"
            assert page.inner_text("#isolation") == rows[0]["isolation"]
            statuses = dict(tuple(r.split("\t")[:2]) for r in page.inner_text("#statuses").splitlines()[1:])
            assert statuses == {"ok": "34", "error": "3", "timeout": "3"}
            for figure in ("#scores svg", "#times svg"):
                box = page.locator(figure).bounding_box()
                assert box and box["width"] > 300 and box["height"] > 100
            checks = page.inner_text("#checks")
            # sigmoid: passed by the 16 honest learners, the 4 wrong ones and the 3 that looped (defined before it)
            assert re.search(r"q1\s+\S+\s+.*sigmoid.*\s+23/33", checks), checks
            failures = [r.split("\t") for r in page.inner_text("#failures").splitlines()[1:]]
            assert failures[0][:3] == ["10", "q1", "relu"] and "not written yet" in failures[0][3]  # the unanswered
            # the 4 wrong and the 3 looping learners never defined tanh: one group of 7, whatever else they did
            assert ["7", "q1", "tanh", "tanh is not defined (keep the function names of the exercise)"] in failures
            assert any(f[:3] == ["4", "q1", "relu"] and re.match(r"relu: \d+ of \d+ values wrong", f[3]) for f in failures), failures
            assert [int(f[0]) for f in failures] == sorted((int(f[0]) for f in failures), reverse=True)
            assert page.locator("#submissions tr").count() == 41
        finally:
            browser.close()
