"""The course site (``make site``): built in quick mode, then opened in headless Debian Chromium.

Every notebook has a page whose plots load and whose equations MathJax typesets (from the site's own copy:
the page may not reach the network); every page carries its launch links; the exercises are published and
the solutions' answers are not. Screenshots of each page are saved in the test's temporary folder
(``site_screens/``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from browser_helpers import CHROMIUM_ARGS, chromium_path, why_no_browser

pytest.importorskip("myst_nb", reason="the site needs the [site] extra: pip install -e '.[site]' (make install does)")
jupytext = pytest.importorskip("jupytext")

from nnworkshop import links  # noqa: E402
from nnworkshop.exercises import strip_solutions  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
EXERCISES = sorted(p.stem for p in (ROOT / "exercises").glob("*.ipynb"))
SECOND = 1000


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built by ``website/build.py`` in quick mode (the harness's digits: real or stand-in)."""
    tmp = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NNWORKSHOP_QUICK": "1", "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, str(ROOT / "website" / "build.py"), "--out", str(tmp / "html"),
                             "--src", str(tmp / "src")], env=env, capture_output=True, text=True, timeout=1400)
    assert result.returncode == 0, f"site build failed:\n{result.stdout[-4000:]}\n{result.stderr[-8000:]}"
    assert re.search(r"site built in \d+ s", result.stdout), result.stdout
    print(result.stdout.strip().splitlines()[-1])
    return tmp / "html"


def _site_font_px() -> float:
    """The height in pixels of a site plot's base text as drawn: font.size (points) at figure.dpi."""
    rc = dict(line.split(":", 1) for line in _text(ROOT / "website" / "matplotlibrc").splitlines()
              if ":" in line and not line.startswith("#"))
    return float(rc["font.size"]) * float(rc["figure.dpi"]) / 72


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_every_notebook_and_exercise_has_a_page_with_its_launch_links(site):
    publish = links.read_publish(ROOT / "pyproject.toml")
    for folder, names in (("notebooks", NOTEBOOKS), ("exercises", EXERCISES)):
        for name in names:
            page = site / folder / f"{name}.html"
            assert page.is_file(), f"no page for {folder}/{name}"
            html = _text(page).replace("&amp;", "&")
            for url in (publish.colab(f"{folder}/{name}.ipynb"), publish.binder(f"{folder}/{name}.ipynb")):
                assert url in html, f"{page.name} lacks its launch link {url}"
    assert publish.colab("notebooks/00_setup.ipynb") in _text(site / "index.html").replace("&amp;", "&")


def test_notebook_pages_show_executed_outputs(site):
    for name in NOTEBOOKS:
        html = _text(site / "notebooks" / f"{name}.html")
        assert "cell_output" in html, f"{name}: no outputs: was the notebook executed?"
        assert "Traceback" not in html, f"{name}: an error was published"


def test_pages_carry_no_widget_state_no_set_up_cell_and_no_path_of_the_building_machine(site):
    """A static page cannot run widgets: no widget state or view scripts are shipped (the dashboard's state was
    780 KB of one page), progress bars show their text; the dashboard is a picture; the set-up cell (for Colab)
    is not on the pages; and no page prints where this checkout or its digits live."""
    from nnworkshop.mnist_files import resolve_root

    private = {str(ROOT), str(resolve_root().resolve())}
    dashboard_pages = []
    for name in NOTEBOOKS:
        html = _text(site / "notebooks" / f"{name}.html")
        assert "widget-state+json" not in html and "widget-view+json" not in html, f"{name}: widget scripts shipped"
        assert "Set-up (the same in every notebook)" not in html, f"{name}: the set-up cell is on the page"
        leaked = [path for path in private if path in html]
        assert not leaked, f"{name}: the page prints this machine's paths {leaked}"
        if re.search(r'<img[^>]+src="[^"]*dashboard\.png"', html):
            dashboard_pages.append(name)
    assert len(dashboard_pages) == 1, f"the dashboard's picture should be on one page, found on {dashboard_pages}"
    assert (site / "_static" / "dashboard.png").stat().st_size > 10_000


def _answer_lines(name: str) -> list[str]:
    """Lines only solution ``name`` contains: what its exercise replaces with ``...`` or NotImplementedError
    (lines the exercise shows anyway, e.g. ``model.train()`` in another function, are left out)."""
    exercise = "\n".join(c.source for c in jupytext.read(ROOT / "exercises" / f"{name}.ipynb", fmt="ipynb").cells)
    found = []
    for cell in jupytext.read(ROOT / "solutions" / f"{name}.ipynb", fmt="ipynb").cells:
        if cell.cell_type != "code":
            continue
        kept = set(strip_solutions(cell.source).split("\n"))
        found += [line.strip() for line in cell.source.split("\n")
                  if line not in kept and len(line.strip()) > 12 and "SOLUTION" not in line
                  and line.strip() not in exercise]
    return found


def test_no_solution_is_published(site):
    """No solution page; no exercise page shows its answers. (The notebooks may teach the same lines:
    notebook 04 writes the training step that exercise q4 asks for.)"""
    import html as html_lib

    assert not (site / "solutions").exists() and not list(site.rglob("*solution*.html"))
    answers = {name: _answer_lines(name) for name in EXERCISES}
    assert sum(map(len, answers.values())) > 20, "the solutions' answer lines were not found: the check would prove nothing"
    for name, lines in answers.items():
        leaked = _leaks(_text(site / "exercises" / f"{name}.html"), lines)
        assert not leaked, f"exercises/{name}.html publishes solution lines: {leaked[:3]}"
    # the check itself can fail: a page showing one answer line is caught
    some = next(lines for lines in answers.values() if lines)
    assert _leaks(f"<pre><span>{html_lib.escape(some[0])}</span></pre>", some) == [some[0]]


def _leaks(html: str, answers: list[str]) -> list[str]:
    """The answer lines that a page's text contains."""
    import html as html_lib

    text = html_lib.unescape(re.sub(r"<[^>]+>", "", html))
    return [a for a in answers if a in text]


def test_pages_render_plots_and_equations_offline_in_chromium(site, tmp_path_factory):
    reason = why_no_browser()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    screens = tmp_path_factory.mktemp("site_screens")
    remote = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, timeout=60 * SECOND)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("request", lambda r: remote.append(r.url) if not r.url.startswith(("file:", "data:", "blob:")) else None)
            for name in NOTEBOOKS:
                # math outside code blocks (a shell line's "$(...)" / "$VAR" is no equation)
                source = re.sub(r"# ```.*?# ```", "", _text(ROOT / "notebooks" / f"{name}.py"), flags=re.S)
                page.goto((site / "notebooks" / f"{name}.html").as_uri())
                page.wait_for_load_state("load")
                if re.search(r"\$[^$\n]+\$", source):  # the notebook has math: MathJax must typeset it
                    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                           timeout=30 * SECOND)
                    page.evaluate("() => MathJax.startup.promise")
                    typeset = page.locator("mjx-container").count()
                    assert typeset > 0, f"{name}: no equation was typeset"
                    assert page.locator("mjx-merror").count() == 0, f"{name}: MathJax reports an error"
                images = page.locator(".cell_output img")
                if re.search(r"plots\.|plt\.|\.plot\(", source):
                    assert images.count() > 0, f"{name}: no plot on the page"
                broken = page.evaluate(
                    "() => [...document.querySelectorAll('.cell_output img')]"
                    ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
                assert broken == [], f"{name}: plots that do not load: {broken}"
                # readable: a plot's base text (website/matplotlibrc's font.size at its dpi) is at least 11 px
                # on the screen once the page has shrunk the plot to its column; and no display equation is
                # wider than its column without a way to scroll to the rest
                text_px = _site_font_px()
                small = page.evaluate(
                    "px => [...document.querySelectorAll('.cell_output img')]"
                    ".map(i => [i.naturalWidth, i.getBoundingClientRect().width])"
                    ".filter(([n, w]) => px * w / n < 11).map(([n, w]) => `${n} px drawn at ${Math.round(w)}`)",
                    text_px)
                assert small == [], f"{name}: plots whose labels shrink below 11 px on a 1400 px screen: {small}"
                cut = page.evaluate(
                    "() => [...document.querySelectorAll('mjx-container[display=\"true\"]')]"
                    ".filter(m => m.getBoundingClientRect().width > m.parentElement.clientWidth + 1"
                    " || (m.scrollWidth > m.clientWidth + 1 && getComputedStyle(m).overflowX !== 'auto'))"
                    ".map(m => m.textContent.slice(0, 40))")
                assert cut == [], f"{name}: equations cut off by the column: {cut}"
                page.screenshot(path=str(screens / f"{name}.png"), full_page=False)
        finally:
            browser.close()
    assert remote == [], f"the site reached for the network: {remote[:5]}"
    print(f"screenshots in {screens}")
