"""How fast a class board is on this machine: posts per second, and seconds from a post to the page.

``nnworkshop board measure`` serves a board (``nnworkshop board serve``, in a subprocess, on a free
port, from a temporary SQLite file), posts ``--posts`` runs from ``--threads`` learners at once, then
opens the page in headless Chromium (when Playwright and Debian's chromium are installed) and times
how long each new run takes to appear. A measurement to read, not a test: nothing here passes or fails.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .client import send_run
from .server import free_port

TOKEN = "measure-class-token"


def sample_run(i: int) -> dict:
    """A plausible run (10 epochs of curves) from learner ``i``."""
    accs = [80 + 1.5 * e + (i % 7) * 0.1 for e in range(10)]
    return {
        "run_id": uuid.uuid4().hex, "name": f"learner {i % 30:02d}",
        "hyperparameters": {"hidden_layers": 2, "widths": [128, 64], "activation": "relu", "optimizer": "adam",
                            "lr": 10 ** -(2 + i % 3), "momentum": 0.0, "batch_size": 2 ** (4 + i % 6), "epochs": 10,
                            "dropout": 0.0, "weight_decay": 0.0, "train_size": 6000, "normalize": True, "seed": i},
        "curves": {"train_loss": [1 / (e + 1) for e in range(10)], "train_acc": accs,
                   "val_loss": [1.1 / (e + 1) for e in range(10)], "val_acc": accs},
        "val_acc": accs[-1], "train_acc": accs[-1], "seconds": 12.5, "device": "cpu", "status": "done",
    }


def _serve(store: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "nnworkshop", "board", "serve", "--store", str(store),
                             "--port", str(port), "--token", TOKEN], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    proc.stdout.readline()  # "Class board: ..." once it is about to listen
    url = f"http://127.0.0.1:{port}"
    import urllib.request

    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url + "/api/runs", timeout=2).close()
            return proc
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("the board did not start within 30 s")
            time.sleep(0.1)


def posts_per_second(url: str, posts: int, threads: int) -> tuple[float, list[float]]:
    """``posts`` runs sent by ``threads`` learners at once: (posts per second, each post's seconds)."""
    runs = [sample_run(i) for i in range(posts)]
    times: list[float] = []
    lock = threading.Lock()

    def one(run):
        t = time.perf_counter()
        send_run(url, TOKEN, run)
        with lock:
            times.append(time.perf_counter() - t)

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, runs))
    return posts / (time.perf_counter() - start), times


def post_to_page(url: str, samples: int) -> list[float] | str:
    """Seconds from a post to the run's appearing on the open page, ``samples`` times; or why it cannot be measured."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "Playwright is not installed (.ci/install-browser installs it)"
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        return "Debian's chromium is not installed (.ci/install-browser installs it)"
    out = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(url + "/")
            page.wait_for_function("() => document.querySelector('#count').innerText.includes('runs')")
            for i in range(samples):
                run = sample_run(10_000 + i)
                run["name"] = f"probe {i}"
                sent = time.perf_counter()
                send_run(url, TOKEN, run)
                page.wait_for_function("n => [...document.querySelectorAll('#leaderboard .name, circle.dot title')]"
                                       ".some(e => e.textContent.includes(n))", arg=run["name"], timeout=10_000)
                out.append(time.perf_counter() - sent)
                time.sleep(0.37 * (i + 1) % 1)  # posts land at different moments of the page's 1 s poll
        finally:
            browser.close()
    return out


def main(args) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = _serve(Path(tmp) / "board.sqlite", port)
        url = f"http://127.0.0.1:{port}"
        try:
            rate, times = posts_per_second(url, args.posts, args.threads)
            times.sort()
            print(f"posts: {args.posts} runs from {args.threads} learners at once: {rate:.0f} posts/s; "
                  f"one post took median {statistics.median(times) * 1000:.0f} ms, "
                  f"95th percentile {times[int(0.95 * (len(times) - 1))] * 1000:.0f} ms")
            latency = post_to_page(url, args.latency_samples)
            if isinstance(latency, str):
                print(f"post to page: not measured: {latency}")
            else:
                print(f"post to page ({len(latency)} runs, page polling every 1 s): median {statistics.median(latency):.2f} s, "
                      f"max {max(latency):.2f} s")
        finally:
            proc.terminate()
            proc.wait(30)
    return 0
