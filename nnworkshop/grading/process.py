"""One submission's process, seen from the grader: start it confined, talk to it with time limits, watch its
memory, kill it and everything it started.

The process is ``python -m nnworkshop.grading.child``, started in a new session with a clean environment, or
the same ``child.main`` in a fresh fork of a prepared process that has already imported numpy and torch
(``zygote``).
Before it reads anything else, the grader puts it in its own cgroup (``isolation.cgroup``: memory and task
limits that hold for every way of taking memory and for every thread and process), then sends the
configuration; the child enters its namespaces and Landlock (``isolation.boot``) before any submitted code.
"""

from __future__ import annotations

import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import protocol
from .isolation.cgroup import Cgroup
from .isolation.namespaces import SETUP_FAILED
from .zygote import ZygoteError

MB = 2**20
REFUSED = "the submission sent the grader a message it refuses, so it is not graded"


class ChildGone(Exception):
    """The submission's process died or was killed; ``status`` names why."""

    def __init__(self, status: str, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail
        # the grader refused what the process sent (``protocol.Budget``): the submission loses its grade
        self.refused = detail.startswith(REFUSED)


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _pss_kb(pid: int) -> int:
    """Proportional set size: each shared page split among the processes sharing it (so forked copies are not
    counted many times over); the RSS where the kernel has no ``smaps_rollup``."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return _rss_kb(pid)


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it (through ``/proc/PID/task/TID/children``)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            for tid in os.listdir(f"/proc/{p}/task"):
                todo += [int(c) for c in Path(f"/proc/{p}/task/{tid}/children").read_text().split()]
        except OSError:
            pass
    return found


def anonymous_files_kb(pids: list[int]) -> int:
    """Kilobytes held in memory-backed files that ``pids`` have open (``memfd_create``, /dev/shm), each counted once:
    memory that neither RSS nor ``RLIMIT_DATA`` sees until it is mapped."""
    seen, total = set(), 0
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            continue
        for fd in fds:
            path = f"/proc/{pid}/fd/{fd}"
            try:
                target = os.readlink(path)
                if not (target.startswith("/memfd:") or target.startswith("/dev/shm/")):
                    continue
                st = os.stat(path)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks // 2
    return total


class _Output:
    """Drains the child's stdout+stderr in a thread, keeping the first ``cap`` bytes."""

    def __init__(self, stream, cap: int):
        self.cap, self.kept, self.total = cap, bytearray(), 0
        self.thread = threading.Thread(target=self._drain, args=(stream,), daemon=True)
        self.thread.start()

    def _drain(self, stream):
        while True:
            try:
                chunk = stream.read1(1 << 16)
            except (OSError, ValueError):
                break
            if not chunk:
                break
            self.total += len(chunk)
            if len(self.kept) < self.cap:
                self.kept += chunk[: self.cap - len(self.kept)]

    def text(self) -> str:
        self.thread.join(timeout=2)
        return bytes(self.kept).decode("utf-8", errors="replace")


class Child:
    """One fresh submission process: start it, send it work with a time limit, watch its memory, kill it.

    ``cfg`` is the configuration the child boots from; ``cgroup``: "v1", "v2" or None (rlimits only);
    ``registry``: a set the batch uses to kill every live child at once (Ctrl-C).
    """

    def __init__(self, cfg: dict, env: dict, opts, output_cap: int, cgroup: str | None = None, registry=None,
                 zygote=None, startup_timeout: float | None = None):
        if zygote is not None:  # forked from the prepared process (``zygote``), which is then its parent
            cfg = dict(cfg, parent_pid=zygote.pid)
        self.cfg, self.env, self.opts = cfg, env, opts
        self.registry = registry if registry is not None else set()
        cmd_r, self.cmd_w = os.pipe()
        self.res_r, res_w = os.pipe()
        args = [sys.executable, "-s"] + (["-P"] if sys.version_info >= (3, 11) else [])
        self.group = None
        self.buf = bytearray()
        self.killed_for: tuple[str, str] | None = None
        self.done = False  # killed, waited for, its cgroup removed and its pipes closed
        self.rss_limit_kb = None
        try:
            if zygote is not None:
                self.proc = zygote.spawn(cfg["tmpdir"], env, cmd_r, res_w)
            else:
                self.proc = subprocess.Popen(
                    args + ["-m", "nnworkshop.grading.child", str(cmd_r), str(res_w)],
                    pass_fds=(cmd_r, res_w), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                    cwd=cfg["tmpdir"], env=env, start_new_session=True,
                )
        except (OSError, ZygoteError) as err:
            for fd in (cmd_r, res_w, self.cmd_w, self.res_r):
                os.close(fd)
            raise ChildGone("error", f"the submission's process could not start ({err})") from None
        self.registry.add(self)
        os.close(cmd_r)
        os.close(res_w)
        os.set_blocking(self.cmd_w, False)
        self.output = _Output(self.proc.stdout, output_cap)
        try:
            if cgroup:
                # a generous cap while Python and torch load (their page cache is charged too); tightened below
                self.group = Cgroup(cgroup, (opts.memory_mb + 4096) * MB, opts.max_tasks)
                self.group.add(self.proc.pid)
            startup = opts.startup_timeout if startup_timeout is None else startup_timeout
            ready = self.request(cfg, startup, what="starting Python")
            if not ready.get("ready"):
                self.kill("error", str(ready.get("error", "the submission's process did not start")))
                raise self._gone()
        except ChildGone:
            self.kill()
            raise
        except OSError as err:
            self.kill("error", f"the submission's cgroup could not be set up ({err})")
            raise self._gone() from None
        self.applied = ready.get("applied", {})
        self.rss_limit_kb = self._rss_tree_kb() + opts.memory_mb * 1024
        if self.group is not None:  # the kernel's limit replaces the watchdog
            self.group.set_memory(self.group.usage() + opts.memory_mb * MB)

    def _rss_tree_kb(self) -> int:
        """Without a cgroup: the memory of the process and all it started (proportional set size: shared pages
        split among their sharers), plus the memory-backed files they hold open."""
        pids = descendants(self.proc.pid)
        return sum(_pss_kb(p) for p in pids) + anonymous_files_kb(pids)

    def kill(self, status: str | None = None, detail: str = "") -> None:
        """Kill the process and everything it started (its cgroup, its PID namespace, its process group)."""
        if status and self.killed_for is None:
            self.killed_for = (status, detail)
        if self.done:  # killed and cleaned up already (a restart kills the child a failed request has killed)
            return
        if self.proc.poll() is None and hasattr(self.proc, "kill_group"):  # forked from the zygote
            self.proc.kill_group()
        elif self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                self.proc.kill()
        if self.group is not None:
            self.group.kill()
        self.proc.wait()
        if self.group is not None:
            self.group.remove()
        self.registry.discard(self)
        self.done = True
        for fd in (self.cmd_w, self.res_r):
            try:
                os.close(fd)
            except OSError:
                pass

    def _gone(self) -> ChildGone:
        rc = self.proc.wait()
        if self.killed_for:
            return ChildGone(*self.killed_for)
        if self.group is not None and self.group.oom_kills():
            return ChildGone("memory", f"the kernel stopped it for using more than {self.opts.memory_mb} MB")
        if rc == SETUP_FAILED:
            return ChildGone("error", "the sandbox could not be set up: " + self.output.text()[-300:].strip())
        if rc < 0:
            sig = signal.Signals(-rc).name if -rc in signal.Signals._value2member_map_ else str(-rc)
            if -rc == signal.SIGKILL:
                return ChildGone("memory", "the process was killed (SIGKILL), most likely by the system for using too much memory")
            if -rc == signal.SIGXCPU:
                return ChildGone("timeout", "the process used up its CPU time")
            return ChildGone("crashed", f"the process crashed ({sig})")
        return ChildGone("exited", f"the process exited with code {rc}")

    def _watch(self, deadline: float, what: str) -> None:
        if self.proc.poll() is not None:
            raise self._gone()
        if self.group is None and self.rss_limit_kb and self._rss_tree_kb() > self.rss_limit_kb:
            self.kill("memory", f"used more than {self.opts.memory_mb} MB while {what}")
            raise self._gone()
        if time.monotonic() > deadline:
            self.kill("timeout", f"{what} took longer than its time limit")
            raise self._gone()

    def request(self, msg: dict, timeout: float, what: str) -> dict:
        """Send ``msg``, wait for the reply at most ``timeout`` seconds while watching memory and life."""
        deadline = time.monotonic() + max(timeout, 0.0)
        data = memoryview(protocol.pack(msg))
        try:
            while data:
                self._watch(deadline, what)
                _, w, _ = select.select([], [self.cmd_w], [], 0.05)
                if w:
                    try:
                        data = data[os.write(self.cmd_w, data[: 1 << 16]):]
                    except BlockingIOError:
                        pass
                    except BrokenPipeError:
                        raise self._gone() from None
            while True:
                if len(self.buf) >= 8:
                    (n,) = struct.unpack("!Q", self.buf[:8])
                    try:
                        protocol.check_length(n, protocol.REPLY)  # before a byte of the body is kept
                    except protocol.ProtocolError as err:
                        self.kill("error", f"{REFUSED} ({err})")
                        raise self._gone() from None
                    if len(self.buf) >= 8 + n:
                        whole, self.buf = self.buf, bytearray(self.buf[8 + n :])
                        try:
                            reply = protocol.unpack(memoryview(whole)[8 : 8 + n], protocol.REPLY)
                        except protocol.ProtocolError as err:
                            self.kill("error", f"{REFUSED} ({err})")
                            raise self._gone() from None
                        finally:
                            del whole
                        if not isinstance(reply, dict):
                            self.kill("error", f"{REFUSED} (a reply that is not a map)")
                            raise self._gone()
                        return reply
                self._watch(deadline, what)
                r, _, _ = select.select([self.res_r], [], [], 0.05)
                if r:
                    want = 1 << 20 if len(self.buf) < 8 else min(1 << 20, 8 + n - len(self.buf))
                    chunk = os.read(self.res_r, want)
                    if not chunk:
                        self.proc.wait(timeout=5)
                        raise self._gone()
                    self.buf += chunk
        except subprocess.TimeoutExpired:
            self.kill("crashed", "the process closed its channel and hung")
            raise self._gone() from None
