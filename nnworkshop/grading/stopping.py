"""Stopping a batch cleanly: Ctrl-C / SIGTERM set an event instead of killing the grader, and progress
lines survive a reader that went away (``nnworkshop grade ... | head``)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import threading


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event, signals=(signal.SIGINT, signal.SIGTERM)):
    """While inside, the first SIGINT/SIGTERM sets ``stop`` (and is appended to the yielded list); a second one
    raises ``KeyboardInterrupt``. Outside the main thread (where handlers cannot be set) nothing is installed."""
    caught: list = []

    def handler(signum, frame):
        caught.append(signal.Signals(signum))
        if len(caught) > 1:
            raise KeyboardInterrupt
        stop.set()
        # os.write, not print: a handler may run in the middle of another write to stderr
        os.write(2, f"\nnnworkshop grade: {signal.Signals(signum).name}: no new submission starts; stopping the "
                    "running ones and writing what was graded (press Ctrl-C again to quit at once)\n".encode())

    if threading.current_thread() is not threading.main_thread():
        yield caught
        return
    before = {s: signal.signal(s, handler) for s in signals}
    try:
        yield caught
    finally:
        for s, h in before.items():
            signal.signal(s, h)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` safe for a terminal: control characters (escape sequences) and unencodable ones as backslash escapes."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class Lines:
    """Prints progress lines (``printable``) to stdout from any thread; once the reader has gone (``BrokenPipeError``) it stops
    printing, points stdout at /dev/null so nothing fails at exit, and sets ``closed``; the grading goes on."""

    def __init__(self):
        self.closed = False
        self._lock = threading.Lock()

    def __call__(self, text: str) -> None:
        with self._lock:
            if self.closed:
                return
            try:
                print(printable(text), flush=True)
            except BrokenPipeError:
                self.closed = True
                try:
                    devnull = os.open(os.devnull, os.O_WRONLY)
                    os.dup2(devnull, sys.stdout.fileno())
                    os.close(devnull)
                except (OSError, ValueError, AttributeError):  # stdout without a file descriptor (tests)
                    pass
