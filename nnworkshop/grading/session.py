"""One submission, run: its cells in a confined child (``process.Child``), the hidden checks' calls answered, and
a fresh child with the earlier cells replayed after the process dies (a loop, ``os._exit``, a crash, memory).

``Ctx`` is what a hidden check sees: a generator, a way to call the learner's function, the unseen digits.
"""

from __future__ import annotations

import os
import re
import time
from typing import TYPE_CHECKING

import numpy as np

from .checking import Fail
from .process import Child, ChildGone

if TYPE_CHECKING:  # annotations only: grader imports this module
    from .grader import Batch, Result

STATUS_TEXT = {
    "ok": "ran to the end",
    "timeout": "ran out of time",
    "memory": "ran out of memory",
    "exited": "exited",
    "crashed": "crashed",
    "error": "could not be graded",
}




MAX_CELL_ERRORS = 20  # cell errors kept per submission (the feedback shows the first 10)
MAX_ERROR_CHARS = 4000  # of each


def reply_text(value, limit: int) -> str:
    """A text field of a child's reply, cut to ``limit`` characters: only a ``str`` is taken as it is. Anything
    else (a list of arrays dressed up as a traceback, say) is named by its type and never formatted, so a hostile
    reply cannot make the grader spend seconds and megabytes printing it."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return f"<{type(value).__name__} sent where text was expected>"
    return value if len(value) <= limit else value[:limit] + f" ... ({len(value) - limit:,} more characters cut)"


class Session:
    """Runs one submission's cells in a child and answers the checks' calls, restarting after a death.

    One deadline, ``opts.timeout`` seconds after the session is made, bounds everything the submission does:
    starting Python, every cell, every graded call, every restart and the cells it replays. Each step gets
    ``min(its own limit, what is left)``; once nothing is left the process is killed and nothing more is asked
    of it, so a submission holds a worker at most ``timeout`` seconds plus the time to kill it.
    """

    MAX_RESTARTS = 3

    def __init__(self, cells: list[str], batch: "Batch", tmpdir: str, result: Result, output_cap: int, where=()):
        self.deadline = time.monotonic() + batch.opts.timeout
        self.cells, self.batch, self.tmpdir, self.result = cells, batch, tmpdir, result
        self.where = list(where)  # each code cell as Jupyter shows it, for the learner's errors
        self.opts = batch.opts
        text = "\n".join(cells)
        preimport = ["numpy"]
        # Modules that load shared libraries through ctypes must be imported before the guard is on.
        if re.search(r"\btorch\b|nnworkshop\.(data|models|training|plots|widgets)\b|from nnworkshop import", text):
            preimport += ["torch", "torch.utils.data"]
        if re.search(r"torchvision|nnworkshop\.data|from nnworkshop import|nnworkshop\.(models|training)", text):
            preimport += ["torchvision", "nnworkshop.data"]
        preimport += ["nnworkshop.plots"] if "nnworkshop.plots" in text else []  # never models/training: answers
        if "matplotlib" in text or "nnworkshop.plots" in text:
            preimport += ["matplotlib", "matplotlib.pyplot"]
        self.cfg = {
            "tmpdir": tmpdir, "seed": 0, "memory_mb": self.opts.memory_mb, "file_mb": self.opts.file_mb,
            "preimport": preimport, "protected": batch.child_protected(), "protected_names": ["_hidden", ".git"],
            "parent_pid": os.getpid(), "disk_mb": self.opts.disk_mb, "max_tasks": self.opts.max_tasks,
            "cpu_seconds": int(self.opts.timeout + self.opts.startup_timeout) + 1,
            "guard": self.opts.guard, "answer_modules": batch.answer_modules,
        }
        self.cfg.update(batch.wall_config(tmpdir))
        self.env = batch.child_env(tmpdir)
        self.output_cap = output_cap
        self.child: Child | None = None
        self.ran = 0  # cells that ran (with or without an error) before any fatal event
        self.cell_seconds = 0.0
        self.restarts = 0
        self.memo: dict = {}
        self.children: list[Child] = []
        self.refused: str | None = None  # why the grader refused what the submission sent (it loses its grade)

    def left(self) -> float:
        """Seconds left of the submission's ``--timeout``."""
        return self.deadline - time.monotonic()

    def _out_of_time(self, where: str) -> str:
        return f"the submission took longer than {self.opts.timeout:g} s in all (stopped {where})"

    def _fatal(self, status: str, detail: str) -> None:
        if self.result.status == "ok":
            self.result.status, self.result.detail = status, detail

    def _gone(self, gone: ChildGone, limit: float, where: str, own_detail: str, stopped: str) -> None:
        """Record a death: refused messages and the whole submission's deadline win over the step's own limit."""
        if gone.refused:
            self.refused = gone.detail
            self.result.status, self.result.detail = "error", f"{gone.detail} ({stopped})"
            return
        if gone.status == "timeout" and limit < self.opts.cell_timeout:
            gone.detail = self._out_of_time(stopped)
        elif gone.status == "timeout":
            gone.detail = own_detail
        else:
            gone.detail = f"{where}: {gone.detail}"
        self._fatal(gone.status, gone.detail)

    def _start(self) -> None:
        self.child = None
        zygote = self.batch.zygotes.get(self.cfg["preimport"]) if self.batch.zygotes else None
        self.child = Child(self.cfg, self.env, self.opts, self.output_cap, self.batch.cgroup, self.batch.children, zygote,
                           startup_timeout=min(self.opts.startup_timeout, self.left()))
        self.children.append(self.child)

    def run_cells(self) -> None:
        try:
            self._start()
        except ChildGone as gone:
            if gone.status == "timeout" and self.left() <= 0:
                self._fatal("timeout", self._out_of_time("while Python started"))
            else:
                self._fatal("error" if gone.status in ("exited", "crashed") else gone.status,
                            f"Python could not start: {gone.detail}")
            return
        for i, src in enumerate(self.cells):
            limit = min(self.opts.cell_timeout, self.left())
            t0 = time.monotonic()
            try:
                reply = self.child.request({"op": "exec", "source": src, "cell": i + 1}, limit, f"running code cell {i + 1}")
            except ChildGone as gone:
                self._gone(gone, limit, f"code cell {i + 1}",
                           f"code cell {i + 1} took longer than {self.opts.cell_timeout:g} s", f"in code cell {i + 1}")
                self._restart()
                return
            self.cell_seconds += time.monotonic() - t0
            if not reply.get("ok"):
                kind = reply.get("kind")
                if len(self.result.cell_errors) < MAX_CELL_ERRORS:  # a cell error per cell, kept short: bounded
                    error = reply_text(reply.get("tb") or reply.get("ename"), MAX_ERROR_CHARS)
                    place = f" ({self.where[i]})" if i < len(self.where) else ""
                    self.result.cell_errors.append(f"code cell {i + 1}{place}: {error}".strip())
                elif len(self.result.cell_errors) == MAX_CELL_ERRORS:
                    self.result.cell_errors.append("... and more cell errors after these (not kept)")
                if kind == "exit":
                    self._fatal("exited", f"code cell {i + 1} called sys.exit()/exit(); the cells after it were not run")
                    return
                if kind == "memory":
                    self._fatal("memory", f"code cell {i + 1} ran out of memory (over {self.opts.memory_mb} MB); "
                                          "the cells after it were not run")
                    self.child.kill()
                    self._restart()  # a fresh process without the memory the cell grabbed
                    return
            self.ran = i + 1

    def _restart(self) -> None:
        """A fresh child with the cells that ran before the fatal one replayed (same seeds, same results), within
        what is left of the submission's time."""
        if self.child is not None:
            self.child.kill()
        self.child = None
        if self.restarts >= self.MAX_RESTARTS or self.refused or self.left() <= 0:
            return
        self.restarts += 1
        budget = time.monotonic() + min(2 * self.cell_seconds + 30, self.left())
        try:
            self._start()
            for i in range(self.ran):
                limit = min(self.opts.cell_timeout, budget - time.monotonic())
                reply = self.child.request({"op": "exec", "source": self.cells[i], "cell": i + 1}, limit, "replaying")
                if not reply.get("ok") and reply.get("kind") in ("exit", "memory"):
                    break
        except ChildGone as gone:
            if gone.refused:
                self.refused = gone.detail
                self.result.status, self.result.detail = "error", f"{gone.detail} (while replaying)"
            elif self.left() <= 0:
                self._fatal("timeout", self._out_of_time("while its cells were replayed"))
            if self.child is not None:
                self.child.kill()
            self.child = None

    def call(self, name: str, adapter: str, args, kw) -> dict:
        if self.refused:
            raise Fail(f"{name}: not graded, the grader refused what the submission sent")
        if self.child is not None and self.left() <= 0:
            self._fatal("timeout", self._out_of_time(f"before {name} was graded"))
            self.child.kill()
            self.child = None
        if self.child is None:
            if self.left() <= 0:
                raise Fail(f"{name}: not graded, the submission used up its {self.opts.timeout:g} s")
            raise Fail(f"{name}: not graded, the submission's process could not be restarted")
        limit = min(self.opts.cell_timeout, self.left())
        try:
            return self.child.request({"op": "call", "name": name, "adapter": adapter, "args": list(args), "kw": kw},
                                      limit, f"running {name}")
        except ChildGone as gone:
            self._gone(gone, limit, f"while grading {name}", f"while grading {name}: {gone.detail}",
                       f"while grading {name}")
            self._restart()
            raise Fail(f"{name}: the process {STATUS_TEXT.get(gone.status, gone.status)} while running it "
                       f"({gone.detail})") from None

    def close(self) -> None:
        if self.child is not None:
            if self.left() > 0:
                try:
                    self.child.request({"op": "quit"}, min(2, self.left()), "quitting")
                except ChildGone:
                    pass
            self.child.kill()


class Ctx:
    """What a hidden check sees: a generator, a way to call the learner's function, the unseen digits."""

    def __init__(self, session: Session, rng: np.random.Generator, batch: "Batch"):
        self.session, self.rng, self.batch = session, rng, batch
        self.notes: list[str] = []
        self.asked = False  # whether the check asked the submission (a call, or a memo a call filled); see judge

    @property
    def memo(self) -> dict:
        """A dict the checks of one submission share (an answer computed once, from the submission's calls)."""
        self.asked = True
        return self.session.memo

    def call(self, name: str, *args, adapter: str = "plain", **kw):
        """The submission's ``name(*args, **kw)``, computed in its process (``grading.checking`` says more)."""
        self.asked = True
        reply = self.session.call(name, adapter, args, kw)
        if not reply.get("ok"):
            kind = reply.get("kind")
            if kind == "missing":
                raise Fail(f"{name} is not defined (keep the function names of the exercise)")
            if kind == "badvalue":
                raise Fail(f"{name} {reply_text(reply.get('evalue'), 300)}")
            if kind == "exit":
                raise Fail(f"{name} called sys.exit()")
            raise Fail(f"{name} raised {reply_text(reply.get('ename', 'an error'), 100)}: "
                       f"{reply_text(reply.get('evalue', ''), 200)}")
        return reply.get("value")

    def hidden_digits(self):
        """The unseen digits ``(images, labels)`` (an exercise with ``needs = ["mnist"]``)."""
        return self.batch.hidden_digits()
