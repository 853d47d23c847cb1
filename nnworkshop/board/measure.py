"""A room flat out, measured on this machine: ``nnworkshop board measure``.

It serves a board (``nnworkshop board serve``, in a subprocess, on a free port of 127.0.0.1 only, from a
temporary SQLite file, rate limits off), opens the board page in headless Chromium *before* the load (when
Playwright and Debian's chromium are installed), then:

1. ``--learners`` learners post as fast as the board answers until ``--runs`` runs are stored (posts per second);
2. half-way through, one new run is timed from its post to the open page; at the end, the page must catch up,
   then ``--probes`` new runs are timed the same way (the goal: within 1 s at 20,000 runs);
3. the server's memory (resident now, and its peak) is read from ``/proc``;
4. the learners post again, the server is killed with SIGKILL in the middle of it, started again on the same
   file, and every run it had acknowledged (answered 201) must still be there.

A measurement to read: it exits 1 only when an acknowledged run was lost.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

from .client import BoardError, send_run
from .server import free_port

TOKEN = "measure-class-token"


def sample_run(i: int, name: str | None = None) -> dict:
    """A plausible run (10 epochs of curves) from learner ``i % 100``."""
    accs = [80 + 1.5 * e + (i % 7) * 0.1 for e in range(10)]
    return {
        "run_id": uuid.uuid4().hex, "name": name or f"learner {i % 100:02d}",
        "hyperparameters": {"hidden_layers": 2, "widths": [128, 64], "activation": "relu", "optimizer": "adam",
                            "lr": 10 ** -(2 + i % 3), "momentum": 0.0, "batch_size": 2 ** (4 + i % 6), "epochs": 10,
                            "dropout": 0.0, "weight_decay": 0.0, "train_size": 6000, "normalize": True, "seed": i},
        "curves": {"train_loss": [1 / (e + 1) for e in range(10)], "train_acc": accs,
                   "val_loss": [1.1 / (e + 1) for e in range(10)], "val_acc": accs},
        "val_acc": accs[-1], "train_acc": accs[-1], "seconds": 12.5, "device": "cpu", "status": "done",
    }


def _serve(store: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "nnworkshop", "board", "serve", "--store", str(store), "--host", "127.0.0.1",
                             "--port", str(port), "--token", TOKEN, "--rate-limit", "off", "--check-digits", "off"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/api/runs?since=0&limit=1", timeout=2).close()
            return proc
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("the board did not start within 60 s")
            time.sleep(0.1)


def memory_mb(pid: int) -> tuple[float, float] | None:
    """(resident MB now, peak resident MB) of process ``pid``, from /proc (None where there is no /proc)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    kb = {line.split(":")[0]: int(line.split()[1]) for line in text.splitlines() if line.startswith(("VmRSS", "VmHWM"))}
    return kb["VmRSS"] / 1024, kb["VmHWM"] / 1024


def flat_out(url: str, learners: int, target: int | None, stop: threading.Event | None = None,
             acked: list | None = None) -> tuple[list[str], float, int]:
    """``learners`` threads posting back to back until ``target`` runs are acknowledged (or ``stop`` is set, or
    the board stops answering); (acknowledged run ids, seconds, refusals and failures). ``acked``: the list to
    add acknowledged ids to as they come (another thread may watch it grow)."""
    acked = [] if acked is None else acked
    failed = [0]
    lock = threading.Lock()
    counter = iter(range(10**9))
    done = stop or threading.Event()

    def learner():
        while not done.is_set():
            with lock:
                if target is not None and len(acked) >= target:
                    done.set()
                    return
                i = next(counter)
            run = sample_run(i)
            try:
                answer = send_run(url, TOKEN, run, timeout=30)
            except BoardError:
                with lock:
                    failed[0] += 1
                if stop is not None:
                    return  # the server was killed: this learner's post was not acknowledged
                continue
            if answer.get("stored"):
                with lock:
                    acked.append(run["run_id"])

    start = time.perf_counter()
    threads = [threading.Thread(target=learner, daemon=True) for _ in range(learners)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return acked, time.perf_counter() - start, failed[0]


def stored_ids(url: str) -> set[str]:
    """Every run id the board holds, read through the cursor a page uses."""
    ids, cursor = set(), 0
    while True:
        with urllib.request.urlopen(f"{url}/api/runs?since={cursor}", timeout=60) as r:
            answer = json.loads(r.read())
        ids.update(run["run_id"] for run in answer["runs"])
        cursor = answer["cursor"]
        if not answer["more"]:
            return ids


class OpenPage:
    """The board page in headless Chromium, opened before the load; ``None`` from ``open`` with the reason."""

    @staticmethod
    def open(url: str):
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            return "Playwright is not installed (.ci/install-browser installs it)"
        chromium = Path("/usr/bin/chromium")
        if not chromium.exists():
            return "Debian's chromium is not installed (.ci/install-browser installs it)"
        page = OpenPage()
        page.pw = sync_playwright().start()
        page.browser = page.pw.chromium.launch(executable_path=str(chromium), args=["--headless", "--no-sandbox", "--disable-gpu"])
        page.page = page.browser.new_page(viewport={"width": 1920, "height": 1080})
        page.page.goto(url + "/")
        page.page.wait_for_function("() => document.querySelector('#count').innerText.includes('run')")
        return page

    def shows_count(self, n: int, timeout_s: float) -> float:
        """Seconds until the page counts at least ``n`` runs."""
        start = time.perf_counter()
        self.page.wait_for_function("n => parseInt(document.querySelector('#count').innerText) >= n",
                                    arg=n, timeout=timeout_s * 1000)
        return time.perf_counter() - start

    def probe(self, url: str, i: int) -> float:
        """Seconds from posting a new run (a new learner's) to its being drawn on the page."""
        run = sample_run(10**6 + i, name=f"probe {i} {uuid.uuid4().hex[:6]}")
        sent = time.perf_counter()
        send_run(url, TOKEN, run)
        self.page.wait_for_function(  # drawn: as the newest run, or (others came after it) as its learner's best dot
            "n => document.querySelector('#latest').innerText.includes(n)"
            " || [...document.querySelectorAll('circle.dot title')].some(t => t.textContent.startsWith(n + ':'))",
            arg=run["name"], timeout=30_000)
        return time.perf_counter() - sent

    def close(self) -> None:
        self.browser.close()
        self.pw.stop()


def _load(url: str, page, learners: int, target: int, probes: int, pid: int) -> list[str]:
    """Steps 1 to 3 (see the module's docstring), printed as they are measured; the acknowledged run ids."""
    acked: list[str] = []
    load: dict = {}
    posting = threading.Thread(target=lambda: load.update(result=flat_out(url, learners, target, acked=acked)), daemon=True)
    posting.start()
    while posting.is_alive() and len(acked) < target // 2:
        time.sleep(0.05)
    if page is not None and posting.is_alive():  # a new run in the middle of the load
        at = len(acked)
        during = page.probe(url, -1)
        print(f"during the load (at {at} runs stored, {learners} learners posting): a new run showed on the "
              f"open page {during:.2f} s after its post", flush=True)
    posting.join()
    acked, seconds, failed = load["result"]
    print(f"stored: {len(acked)} runs from {learners} learners posting flat out in {seconds:.1f} s: "
          f"{len(acked) / seconds:.0f} posts/s ({failed} posts failed)", flush=True)
    if page is not None:
        catch_up = page.shows_count(len(acked), timeout_s=600)
        print(f"the page open during the load showed all {len(acked)} runs {catch_up:.2f} s after the last post", flush=True)
        times = [page.probe(url, i) for i in range(probes)]
        print(f"new run on the open page at {len(acked)} runs ({len(times)} probes): median {statistics.median(times):.2f} s, "
              f"max {max(times):.2f} s (goal: within 1 s)", flush=True)
    mem = memory_mb(pid)
    if mem:
        print(f"server memory: {mem[0]:.0f} MB resident, peak {mem[1]:.0f} MB", flush=True)
    return acked


def _kill_and_restart(url: str, store: Path, port: int, proc, learners: int, kill_after: float, acked: list[str]):
    """Step 4: SIGKILL in the middle of a second burst, a restart on the same file; (lost ids, all acked, the new server)."""
    stop = threading.Event()
    burst: dict = {}
    poster = threading.Thread(target=lambda: burst.update(result=flat_out(url, learners, None, stop)), daemon=True)
    poster.start()
    time.sleep(kill_after)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    stop.set()
    poster.join(60)
    acked_burst = burst.get("result", ([], 0, 0))[0]
    proc = _serve(store, port)
    everything = set(acked) | set(acked_burst)
    lost = everything - stored_ids(url)
    print(f"SIGKILL during a burst, then a restart: {len(lost)} of {len(everything)} acknowledged runs lost "
          f"({len(acked_burst)} acknowledged in the burst)", flush=True)
    return lost, proc


def main(args) -> int:
    # a SIGTERM (a timeout, a Ctrl-C from a script) ends the run through the finally blocks: no server left behind
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory() as tmp:
        store, port = Path(tmp) / "board.sqlite", free_port()
        url = f"http://127.0.0.1:{port}"
        proc = _serve(store, port)
        page = None
        try:
            page = OpenPage.open(url)
            if isinstance(page, str):
                print(f"new run on the open page: not measured: {page}", flush=True)
                page = None
            try:
                acked = _load(url, page, args.learners, args.runs, args.probes, proc.pid)
            finally:
                if page is not None:
                    page.close()
            lost, proc = _kill_and_restart(url, store, port, proc, args.learners, args.kill_after, acked)
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(30)
    return 1 if lost else 0
