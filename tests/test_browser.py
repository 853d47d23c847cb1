"""The dashboard in a real browser: JupyterLab on localhost, notebook 04 in headless Debian Chromium.

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

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "04_experiments.ipynb"
MARKER = "ExperimentDashboard("  # the dashboard cell is the one code cell that builds it
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

    table = dash.locator(".nnw-run-table")
    curves = dash.locator("img.nnw-curves")
    train = dash.locator("button.nnw-train")
    first_picture = curves.get_attribute("src")

    train.click()
    table.locator(".nnw-run-id", has_text="#1").wait_for(timeout=90 * SECOND)
    wait_until_enabled(page, train)  # unlocked after the run
    assert "3/3" in table.inner_text()  # the slider's value reached the kernel: 3 epochs were trained
    assert "done" in table.inner_text()
    assert curves.get_attribute("src") != first_picture  # the curves were redrawn
    assert curves.evaluate("img => img.complete && img.naturalWidth > 400")

    # a second run with another optimizer: both rows, both sets of curves
    dash.locator(".nnw-optimizer select").select_option(label="SGD + momentum")
    train.click()
    table.locator(".nnw-run-id", has_text="#2").wait_for(timeout=90 * SECOND)
    wait_until_enabled(page, train)
    text = table.inner_text()
    assert "SGD + momentum" in text and "Adam" in text
    assert curves.evaluate("img => img.complete && img.naturalWidth > 400")
    shot = tmp_path / "dashboard_after_two_runs.png"
    dash.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    print(f"\nbrowser test: {time.monotonic() - start:.1f} s in the page; screenshot {shot}")
