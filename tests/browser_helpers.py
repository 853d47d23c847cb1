"""JupyterLab on localhost and headless Debian Chromium, for ``tests/test_browser.py``.

Every wait is bounded; the server and its kernels are always ended (by their process ids).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]
INSTALL_HINT = "run .ci/install-browser (apt-get install chromium; pip install playwright; never `playwright install`)"

# JupyterLab user settings for the test: every cell in the DOM (no windowing), no news/update pop-ups.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}


def chromium_path() -> str | None:
    """Debian's chromium binary, or None."""
    for candidate in ("/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def why_no_browser() -> str | None:
    """Why the browser test cannot run here (a skip reason), or None when it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as err:
        return f"Playwright for Python is not installed ({err}); {INSTALL_HINT}"
    if chromium_path() is None:
        return f"Debian's chromium is not installed (no /usr/bin/chromium); {INSTALL_HINT}"
    return None


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def notebook_with_cell(source: Path, marker: str, dest: Path) -> str:
    """Copy notebook ``source`` to ``dest`` with outputs cleared; return the source of its cell containing ``marker``."""
    nb = json.loads(source.read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if c["cell_type"] == "code" and marker in "".join(c["source"])]
    if len(cells) != 1:
        raise AssertionError(f"{source} must have exactly one code cell containing {marker!r}, found {len(cells)}")
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    dest.write_text(json.dumps(nb, indent=1))
    return "".join(cells[0]["source"])


@contextmanager
def jupyter_lab(root: Path, env: dict, timeout: float = 60, command: list[str] | None = None, state: Path | None = None):
    """Run ``jupyter lab`` on a free localhost port with a random token, serving ``root``;
    yield ``(base_url, token)``. Its settings, config and runtime files live under ``state`` (``root/.lab``).
    ``command``: the JupyterLab command line to start (``nnworkshop.lab.lab_command``'s), instead of a plain one
    on ``root``; the port, token and address are added to it."""
    port, token = free_port(), secrets.token_hex(16)
    lab = state or root / ".lab"
    for name, settings in LAB_SETTINGS.items():
        path = lab / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    env = {
        **os.environ, **env,
        "JUPYTERLAB_SETTINGS_DIR": str(lab / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(lab / "workspaces"),
        "JUPYTER_CONFIG_DIR": str(lab / "config"), "JUPYTER_RUNTIME_DIR": str(lab / "runtime"),
        "IPYTHONDIR": str(lab / "ipython"), "JUPYTER_PLATFORM_DIRS": "1",
    }
    lab.mkdir(parents=True, exist_ok=True)
    log = (lab / "server.log").open("w")
    start = command or [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={root}",
                        *(["--allow-root"] if os.geteuid() == 0 else [])]
    server = subprocess.Popen(
        [*start, "--no-browser", f"--port={port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
         f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {server.returncode}:\n{_tail(lab)}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"jupyter lab did not answer within {timeout:.0f} s:\n{_tail(lab)}")
            time.sleep(0.25)
        yield base, token
    finally:
        _stop_server(server, base, token)
        log.close()


def _tail(lab: Path, n: int = 3000) -> str:
    return (lab / "server.log").read_text(encoding="utf-8")[-n:]


def _stop_server(server: subprocess.Popen, base: str, token: str) -> None:
    """Ask the server to shut down (it ends its kernels); then end whatever is left, by process id."""
    import psutil

    try:
        me = psutil.Process(server.pid)
        family = [me] + me.children(recursive=True)  # psutil checks identity, so a reused pid is never hit
    except psutil.Error:
        family = []
    if server.poll() is None:
        try:
            req = urllib.request.Request(f"{base}/api/shutdown?token={token}", method="POST")
            urllib.request.urlopen(req, timeout=5).close()
        except (urllib.error.URLError, OSError):
            pass
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            pass
    for proc in reversed(family):  # kernels first, then the server
        try:
            proc.kill()
        except psutil.Error:
            pass
    try:
        server.wait(5)
    except subprocess.TimeoutExpired:
        pass


def start_kernel(base: str, token: str, notebook: str, kernel: str = "python3") -> str:
    """Start ``notebook``'s kernel through the REST API (so the page attaches to it and never asks
    which kernel to use); return the kernel id."""
    body = json.dumps({"path": notebook, "name": notebook, "type": "notebook", "kernel": {"name": kernel}}).encode()
    req = urllib.request.Request(f"{base}/api/sessions?token={token}", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())["kernel"]["id"]


def run_cell(page, cell, timeout: float = 90) -> None:
    """Run notebook ``cell`` (a Playwright locator) with Shift+Enter once the kernel takes it.

    A run asked for before the page has attached to its kernel is dropped (the prompt stays
    ``[ ]``, sometimes with a "Select Kernel" dialog), so: accept such a dialog, press again,
    until the prompt shows ``[*]`` or a number.
    """
    prompt = cell.locator(".jp-InputPrompt")
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    deadline = time.monotonic() + timeout
    while True:
        if dialog.is_visible():
            dialog.locator("button.jp-mod-accept").click()
        else:
            cell.locator(".cm-content").click()
            page.keyboard.press("Shift+Enter")
        for _ in range(20):  # up to 2 s for the prompt to change
            if any(ch in prompt.inner_text() for ch in "*0123456789"):
                return
            time.sleep(0.1)
        if time.monotonic() > deadline:
            raise AssertionError(f"the notebook's kernel did not run the cell within {timeout:.0f} s")
