"""``make lab`` opens the course where the course is: notebooks/ and exercises/ one click apart, each notebook
listed once. Checked through JupyterLab's contents API on the very command ``nnworkshop lab`` runs, and seen
in headless Chromium (the screenshot is kept under NNWORKSHOP_SCREENSHOTS when that is set)."""

from __future__ import annotations

import json
import os
import re
import urllib.request
from pathlib import Path

import pytest

from browser_helpers import CHROMIUM_ARGS, chromium_path, jupyter_lab, why_no_browser
from nnworkshop.lab import FIRST, lab_command

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module")
def course_lab(tmp_path_factory):
    state = tmp_path_factory.mktemp("labstate")
    with jupyter_lab(ROOT, {}, command=lab_command(ROOT), state=state) as (base, token):
        yield base, token


def _contents(base, token, path=""):
    with urllib.request.urlopen(f"{base}/api/contents/{path}?token={token}", timeout=30) as r:
        return json.load(r)


def test_make_lab_runs_nnworkshop_lab():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^lab:.*\n\t(.+)$", makefile, re.M).group(1)
    assert recipe.startswith("$(BIN)/nnworkshop lab"), recipe


def test_the_course_root_shows_notebooks_and_exercises(course_lab):
    base, token = course_lab
    names = {c["name"] for c in _contents(base, token)["content"]}
    assert {"notebooks", "exercises"} <= names, names
    for path in (FIRST, "exercises/q1_activations.ipynb"):
        opened = _contents(base, token, path)
        assert opened["type"] == "notebook" and opened["content"]["cells"], path


@pytest.mark.parametrize("folder", ["notebooks", "exercises"])
def test_each_notebook_is_listed_once(course_lab, folder):
    base, token = course_lab
    listed = sorted(c["name"] for c in _contents(base, token, folder)["content"])
    on_disk = sorted(p.name for p in (ROOT / folder).glob("*.ipynb"))
    assert on_disk and [n for n in listed if n.endswith((".ipynb", ".py"))] == on_disk, listed
    assert all((ROOT / folder / n).with_suffix(".py").is_file() for n in on_disk), "the twins exist, only hidden"


def test_a_plain_jupyter_lab_would_list_the_twins(tmp_path):
    """Without nnworkshop lab's settings the twins show: the hiding above is the command's doing."""
    for suffix in (".ipynb", ".py"):
        (tmp_path / f"01_numpy_from_scratch{suffix}").write_text(
            (ROOT / "notebooks" / f"01_numpy_from_scratch{suffix}").read_text(encoding="utf-8"))
    with jupyter_lab(tmp_path, {}) as (base, token):
        names = sorted(c["name"] for c in _contents(base, token)["content"])
    assert names == ["01_numpy_from_scratch.ipynb", "01_numpy_from_scratch.py"]


def test_outside_a_checkout_it_says_what_to_do(tmp_path, monkeypatch, capsys):
    from nnworkshop import lab

    monkeypatch.setattr(lab, "REPO", tmp_path)
    assert lab.main([]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path} is not one (no {lab.FIRST})" in err and "run `make lab` there" in err


@pytest.mark.browser
def test_the_file_browser_shows_both_folders(course_lab, tmp_path):
    reason = why_no_browser()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    base, token = course_lab
    shots = Path(os.environ.get("NNWORKSHOP_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, timeout=60_000)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.set_default_timeout(60_000)
            page.goto(f"{base}/?token={token}", wait_until="domcontentloaded")  # "/" goes to default_url: 00_setup
            page.locator(".jp-Notebook").first.wait_for()
            assert "00_setup.ipynb" in page.locator(".lm-TabBar-tabLabel").all_inner_texts()
            items = page.locator(".jp-FileBrowser .jp-DirListing-item .jp-DirListing-itemText")
            items.filter(has_text="03_mnist.ipynb").first.wait_for()  # the browser shows notebooks/ first
            listed = items.all_inner_texts()
            page.screenshot(path=str(shots / "lab_notebooks.png"))
            assert not [n for n in listed if n.endswith(".py")], listed
            assert len(listed) == len(set(listed)) == len(list((ROOT / "notebooks").glob("*.ipynb"))), listed
            page.locator(".jp-FileBrowser .jp-BreadCrumbs-home").click()  # one click up: the course root
            items.filter(has_text="exercises").first.wait_for()
            shown = items.all_inner_texts()
            page.screenshot(path=str(shots / "lab_root.png"))
            assert {"notebooks", "exercises"} <= set(shown), shown
            items.filter(has_text="exercises").first.dblclick()
            items.filter(has_text="q1_activations.ipynb").first.wait_for()
            listed = items.all_inner_texts()
            page.screenshot(path=str(shots / "lab_exercises.png"))
            assert sorted(listed) == sorted(p.name for p in (ROOT / "exercises").glob("*.ipynb")), listed
        finally:
            browser.close()

