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


def test_the_report_sorts_checks_weakest_first_and_groups_the_same_code(report):
    """The checks table: the lowest pass rate first, each bar coloured by its rate, failures split into unfinished
    (not written, or never defined) and wrong; the copies: the 16 honest learners handed in the same file, and so
    did the 10 who answered nothing (the exercise as handed out)."""
    from html.parser import HTMLParser

    tmp, _ = report
    text = (tmp / "report.html").read_text(encoding="utf-8")

    class Tables(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tables, self.current, self.cell = {}, None, None

        def handle_starttag(self, tag, attrs):
            if tag == "table":
                self.current = self.tables.setdefault(dict(attrs).get("id"), [])
            elif tag == "tr" and self.current is not None:
                self.current.append([])
            elif tag in ("td", "th") and self.current is not None:
                self.cell = []

        def handle_endtag(self, tag):
            if tag in ("td", "th") and self.cell is not None:
                self.current[-1].append("".join(self.cell).strip())
                self.cell = None
            elif tag == "table":
                self.current = None

        def handle_data(self, data):
            if self.cell is not None:
                self.cell.append(data)

    tables = Tables()
    tables.feed(text)
    checks = tables.tables["checks"][1:]
    rates = [int(row[4].rstrip("%")) for row in checks]
    assert rates == sorted(rates) and rates[0] < rates[-1], checks
    relu = next(row for row in checks if row[1] == "relu")
    # wrong: the 4 whose relu is abs(x); unfinished: the 10 unanswered and the 3 whose loop came before relu
    assert relu[3] == "16/33" and (relu[5], relu[6]) == ("4", "13"), relu
    tanh = next(row for row in checks if row[1] == "tanh")
    assert (tanh[5], tanh[6]) == ("0", "17"), tanh  # never defined by 7, not written by 10: all unfinished
    assert "background:#" in text.split("id='checks'")[1].split("</table>")[0]
    copies = {(row[0], row[1].split(":")[0]) for row in tables.tables["copies"][1:]}
    assert ("identical", "16") in copies and ("identical", "10") in copies, copies
    unanswered = next(row for row in tables.tables["copies"][1:] if row[1].startswith("10"))
    assert unanswered[2] == "0/10 (nothing written: the exercise as handed out)"
    flags = {row[0]: row[1] for row in tables.tables["flags"][1:]}
    assert flags["replayed"] == "3" and flags["another exercise"] == "0", flags  # the 3 loops were restarted
