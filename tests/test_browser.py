"""The dashboard in a real browser: JupyterLab on localhost, notebook 05 in headless Debian Chromium.

Runs the notebook's dashboard cell (found by its content), moves the epochs slider, trains
twice and checks that the run table and the live curves appear. The screenshot after the
second run is saved as ``dashboard_after_two_runs.png`` in the test's temporary folder.
The kernel reads small synthetic digits (``write_synthetic_mnist``), so this runs anywhere.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from browser_helpers import (
    CHROMIUM_ARGS, chromium_path, jupyter_lab, notebook_with_cell, run_cell, start_kernel, why_no_browser,
)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "05_experiments.ipynb"
MARKER = "dashboard = ExperimentDashboard()"  # the dashboard cell, the one code cell that builds it plainly
SECOND = 1000  # Playwright counts milliseconds


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    reason = why_no_browser()
    if reason:
        pytest.skip(reason)
    if not NOTEBOOK.exists():
        pytest.skip(f"{NOTEBOOK} is not there yet")
    from nnworkshop.data import write_synthetic_mnist

    root = tmp_path_factory.mktemp("lab")
    cell = notebook_with_cell(NOTEBOOK, MARKER, root / NOTEBOOK.name)
    data = write_synthetic_mnist(root / "data", n_train=600, n_test=200, seed=0)
    env = {"NNWORKSHOP_DATA": str(data), "NNWORKSHOP_QUICK": "1"}
    with jupyter_lab(root, env) as (base, token):
        yield base, token, cell


@pytest.fixture
def page(lab, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, timeout=60 * SECOND)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1200})
            page.set_default_timeout(60 * SECOND)
            yield page
        finally:
            try:
                page.screenshot(path=str(tmp_path / "last_state.png"), full_page=True, timeout=10 * SECOND)
            except Exception:  # the screenshot is for diagnosis only
                pass
            browser.close()


def wait_until_enabled(page, button, timeout: float = 30) -> None:
    page.wait_for_function("el => !el.disabled", arg=button.element_handle(), timeout=timeout * SECOND)


def test_dashboard_trains_in_jupyterlab(lab, page, tmp_path):
    base, token, _ = lab
    start = time.monotonic()
    start_kernel(base, token, NOTEBOOK.name)
    page.goto(f"{base}/lab/tree/{NOTEBOOK.name}?token={token}", wait_until="domcontentloaded")

    # the dashboard cell, found by its content, run with Shift+Enter
    cell = page.locator(".jp-Notebook .jp-CodeCell").filter(has_text=MARKER)
    run_cell(page, cell)
    dash = cell.locator(".nnw-dashboard")
    dash.wait_for(state="visible", timeout=120 * SECOND)  # kernel start + torch import
    assert "Traceback" not in cell.inner_text()

    # move the epochs slider one step right with the keyboard: 2 -> 3 (quick mode starts at 2)
    epochs = dash.locator(".nnw-epochs")
    assert epochs.locator(".widget-readout").inner_text().strip() == "2"
    epochs.locator(".noUi-handle").focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "el => el.innerText.trim() === '3'", arg=epochs.locator(".widget-readout").element_handle(), timeout=10 * SECOND
    )

    # type a learning rate: exactly 0.05 trains (a log slider used to snap it to 0.056)
    lr = dash.locator(".nnw-lr input")
    lr.fill("0.05")
    lr.press("Enter")

    table = dash.locator(".nnw-run-table")
    curves = dash.locator("img.nnw-acc-curves")
    train = dash.locator("button.nnw-train")
    first_picture = curves.get_attribute("src")

    train.click()
    table.locator(".nnw-run-id", has_text="#1").wait_for(timeout=90 * SECOND)
    wait_until_enabled(page, train)  # unlocked after the run
    assert "3/3" in table.inner_text()  # the slider's value reached the kernel: 3 epochs were trained
    assert "0.05" in table.locator(".widget-html-content").all_inner_texts()  # the lr column, as typed
    assert "done" in table.inner_text()
    assert curves.get_attribute("src") != first_picture  # the curves were redrawn
    assert curves.evaluate("img => img.complete && img.naturalWidth > 300")

    # a second run with another optimizer: both rows, both sets of curves
    dash.locator(".nnw-optimizer select").select_option(label="SGD + momentum")
    train.click()
    table.locator(".nnw-run-id", has_text="#2").wait_for(timeout=90 * SECOND)
    wait_until_enabled(page, train)
    text = table.inner_text()
    assert "SGD + momentum" in text and "Adam" in text
    assert curves.evaluate("img => img.complete && img.naturalWidth > 300")
    shot = tmp_path / "dashboard_after_two_runs.png"
    dash.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    print(f"\nbrowser test: {time.monotonic() - start:.1f} s in the page; screenshot {shot}")


# What must be on screen, or reachable by scrolling, at every size: each control, the buttons, the curves.
CONTROLS = ("hidden_layers", "widths", "activation", "optimizer", "lr", "batch_size", "epochs", "dropout",
            "weight_decay", "train_size", "normalize", "seed", "repeats", "parameters", "train", "stop", "presenter")

# For each element: scroll it into view (its own scrolling box included), then say what is wrong with it, if anything.
PLACEMENT = """([sels, area]) => {
  const out = [], box = document.querySelector(area).getBoundingClientRect();
  for (const sel of sels) {
    const els = [...document.querySelectorAll(sel)];
    if (!els.length) { out.push(sel + ': missing'); continue; }
    for (const el of els) {
      el.scrollIntoView({block: 'center', inline: 'center'});
      const r = el.getBoundingClientRect();
      if (r.width < 4 || r.height < 4) out.push(`${sel}: collapsed to ${r.width}x${r.height}`);
      else if (r.left < box.left - 1 || r.right > box.right + 1) out.push(`${sel}: x ${r.left}-${r.right} outside ${box.left}-${box.right}`);
      else if (r.top < 0 || r.bottom > window.innerHeight + 1) out.push(`${sel}: y ${r.top}-${r.bottom} outside the window`);
    }
  }
  return out;
}"""

# Text cut short (an ellipsis) or broken one word per line.
CLIPPED = """root => [...root.querySelectorAll('.widget-label, .widget-readout, button, .nnw-run-table .widget-html-content')]
  .filter(el => el.offsetParent !== null && el.textContent.trim())
  .filter(el => el.scrollWidth > el.clientWidth + 1
          || el.getBoundingClientRect().height > 2.2 * parseFloat(getComputedStyle(el).fontSize) * 1.3)
  .map(el => el.textContent.trim().slice(0, 40))"""


# Presenter mode's layout is in place (the curves right under the dashboard) and its accuracy picture is not
# ``old`` (a src): presenter mode redraws the pictures, then moves them (new picture elements).
REDRAWN = """old => [...document.querySelectorAll('.nnw-dashboard.nnw-big > .nnw-curves-row img.nnw-acc-curves')]
  .some(img => img.src !== old && img.complete && img.naturalWidth > 0)"""


def open_sidebar(page) -> None:
    """The file browser open in JupyterLab's left sidebar, as an instructor usually has it."""
    browser = page.locator("#filebrowser")
    if not browser.is_visible():
        page.locator(".jp-SideBar.jp-mod-left [data-id='filebrowser']").click()
    browser.wait_for(state="visible", timeout=10 * SECOND)


@pytest.mark.parametrize("width,height,zoom", [(1280, 720, 1.0), (1280, 720, 1.5), (1920, 1080, 1.0), (1920, 1080, 1.5)],
                         ids=["1280x720", "1280x720@150%", "1920x1080", "1920x1080@150%"])
def test_dashboard_fits_the_screen_with_the_sidebar_open(lab, tmp_path, width, height, zoom):
    """Browser zoom at 150 % is a CSS viewport 1/1.5 the size, drawn at 1.5 device pixels per CSS pixel."""
    from playwright.sync_api import sync_playwright

    base, token, _ = lab
    start_kernel(base, token, NOTEBOOK.name)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, timeout=60 * SECOND)
        try:
            page = browser.new_page(viewport={"width": round(width / zoom), "height": round(height / zoom)},
                                    device_scale_factor=zoom)
            page.set_default_timeout(60 * SECOND)
            page.goto(f"{base}/lab/tree/{NOTEBOOK.name}?token={token}", wait_until="domcontentloaded")
            page.locator(".jp-Notebook").wait_for()
            open_sidebar(page)
            cell = page.locator(".jp-Notebook .jp-CodeCell").filter(has_text=MARKER)
            run_cell(page, cell)
            dash = cell.locator(".nnw-dashboard")
            dash.wait_for(state="visible", timeout=120 * SECOND)
            train = dash.locator("button.nnw-train")
            wait_until_enabled(page, train)
            train.click()
            dash.locator(".nnw-run-id", has_text="#1").last.wait_for(timeout=90 * SECOND)
            wait_until_enabled(page, train)
            assert page.locator("#filebrowser").is_visible()

            shot = f"dashboard_{width}x{height}_{round(zoom * 100)}"
            dash.locator("img.nnw-acc-curves").scroll_into_view_if_needed()
            page.screenshot(path=str(tmp_path / f"{shot}.png"))
            area = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
            sels = [f".nnw-dashboard .nnw-{name}" for name in CONTROLS] + [
                ".nnw-dashboard img.nnw-curves", ".nnw-dashboard .nnw-run-table > *"]
            assert page.evaluate(PLACEMENT, [sels, area]) == []
            cells = dash.locator(".nnw-run-table > *")
            assert cells.count() == 2 * 21  # the header and one run: every column is there
            assert dash.evaluate(CLIPPED) == []
            notebook_width = page.locator(area).evaluate("el => el.getBoundingClientRect().width")
            curves_width = min(dash.locator("img.nnw-curves").evaluate_all("els => els.map(e => e.getBoundingClientRect().width)"))
            assert curves_width >= min(340, notebook_width - 130), (curves_width, notebook_width)  # never squeezed
            assert dash.evaluate("el => el.scrollWidth <= el.clientWidth + 1")  # only the table box scrolls sideways

            acc = dash.locator("img.nnw-acc-curves")
            before = acc.get_attribute("src")
            dash.locator("button.nnw-presenter").click()  # presenter mode: larger text, still fits
            page.wait_for_function("el => el.classList.contains('nnw-big')", arg=dash.element_handle())
            page.wait_for_function(REDRAWN, arg=before)  # redrawn large (and laid out anew: a new picture element)
            dash.locator("img.nnw-acc-curves").scroll_into_view_if_needed()
            page.screenshot(path=str(tmp_path / f"{shot}_presenter.png"))
            assert page.evaluate(PLACEMENT, [sels, area]) == []
            assert dash.evaluate(CLIPPED) == []
            size = dash.locator(".nnw-epochs .widget-label").evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
            assert size >= 19
            print(f"\n{shot}: notebook {notebook_width:.0f} px wide, each panel {curves_width:.0f} px; screenshots in {tmp_path}")
        finally:
            browser.close()


# In presenter mode, with the dashboard's top at the top of the notebook: the rectangles of the curves and of the
# run table's accuracy cells that are NOT fully visible (in the notebook area, inside the window, not scrolled away
# inside the table's own box), and each curve picture's tick text in screen pixels.
IN_VIEW = """([sels, area]) => {
  const box = document.querySelector(area).getBoundingClientRect(), out = [];
  const table = document.querySelector('.nnw-dashboard .nnw-run-table-box').getBoundingClientRect();
  for (const sel of sels) {
    const els = [...document.querySelectorAll(sel)];
    if (!els.length) out.push(sel + ': missing');
    for (const el of els) {
      const r = el.getBoundingClientRect(), inTable = el.closest('.nnw-run-table-box') !== null;
      const top = Math.max(box.top, inTable ? table.top : -1e9), bottom = Math.min(box.bottom, window.innerHeight, inTable ? table.bottom : 1e9);
      const left = Math.max(box.left, inTable ? table.left : -1e9), right = Math.min(box.right, inTable ? table.right : 1e9);
      if (r.top < top - 1 || r.bottom > bottom + 1 || r.left < left - 1 || r.right > right + 1)
        out.push(`${sel}: ${Math.round(r.left)},${Math.round(r.top)}-${Math.round(r.right)},${Math.round(r.bottom)} outside ${Math.round(left)},${Math.round(top)}-${Math.round(right)},${Math.round(bottom)}`);
    }
  }
  return out;
}"""
TICK_PX = """imgs => imgs.map(img => 12 * 100 / 72 * img.getBoundingClientRect().width / img.naturalWidth)"""


@pytest.mark.parametrize("width,height,sidebar", [(1280, 720, True), (1280, 720, False), (1920, 1080, True)],
                         ids=["1280x720-sidebar", "1280x720", "1920x1080-sidebar"])
def test_presenter_mode_shows_curves_and_accuracies_without_scrolling(lab, tmp_path, width, height, sidebar):
    """A projector (1280x720 is the commonest): in presenter mode the curves and the run table's accuracy columns
    are on screen at once, the sidebar open or not; in normal mode the curves' tick text is still readable."""
    from playwright.sync_api import sync_playwright

    base, token, _ = lab
    start_kernel(base, token, NOTEBOOK.name)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, timeout=60 * SECOND)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(60 * SECOND)
            page.goto(f"{base}/lab/tree/{NOTEBOOK.name}?token={token}", wait_until="domcontentloaded")
            page.locator(".jp-Notebook").wait_for()
            if sidebar:
                open_sidebar(page)
            elif page.locator("#filebrowser").is_visible():
                page.locator(".jp-SideBar.jp-mod-left [data-id='filebrowser']").click()
                page.locator("#filebrowser").wait_for(state="hidden", timeout=10 * SECOND)
            cell = page.locator(".jp-Notebook .jp-CodeCell").filter(has_text=MARKER)
            run_cell(page, cell)
            dash = cell.locator(".nnw-dashboard")
            dash.wait_for(state="visible", timeout=120 * SECOND)
            train = dash.locator("button.nnw-train")
            wait_until_enabled(page, train)
            train.click()
            dash.locator(".nnw-run-id", has_text="#1").last.wait_for(timeout=90 * SECOND)
            wait_until_enabled(page, train)
            shot = f"dashboard_{width}x{height}_{'sidebar' if sidebar else 'no_sidebar'}"
            dash.evaluate("el => el.scrollIntoView({block: 'start'})")
            page.screenshot(path=str(tmp_path / f"{shot}_normal.png"))
            imgs = dash.locator("img.nnw-curves")
            assert min(imgs.evaluate_all(TICK_PX)) >= 11  # normal mode: tick text at least 11 px on screen

            acc = dash.locator("img.nnw-acc-curves")
            before = acc.get_attribute("src")
            dash.locator("button.nnw-presenter").click()
            page.wait_for_function("el => el.classList.contains('nnw-big')", arg=dash.element_handle())
            page.wait_for_function(REDRAWN, arg=before)
            page.wait_for_timeout(500)  # the new pictures laid out
            dash.evaluate("el => el.scrollIntoView({block: 'start'})")
            page.screenshot(path=str(tmp_path / f"{shot}_presenter.png"))
            area = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer, .jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
            sels = [".nnw-dashboard img.nnw-curves", ".nnw-dashboard .nnw-run-val-acc", ".nnw-dashboard .nnw-run-train-acc",
                    ".nnw-dashboard .nnw-run-table > :nth-child(4)", ".nnw-dashboard .nnw-run-table > :nth-child(5)"]
            assert page.evaluate(IN_VIEW, [sels, area]) == []
            assert dash.locator(".nnw-run-table > :nth-child(4)").inner_text() == "val acc"
            print(f"\n{shot}: curves and accuracies on screen in presenter mode; screenshots in {tmp_path}")
        finally:
            browser.close()
