"""A cgroup per submission: a memory cap that counts every way of taking memory, and a cap on tasks.

The kernel charges a cgroup for heap, ``mmap``, shared memory, ``memfd``/anonymous files and tmpfs pages, for
every process and thread in it, so one limit holds for all of them; ``pids.max`` caps processes *and*
threads (fork and thread bombs). The grader (the parent) creates the group, puts the child in it before the
child runs anything, and removes it afterwards, killing whatever is left inside.

Works with cgroup v2 where this process may create a child group with the memory and pids controllers (a
delegated subtree: systemd's ``Delegate=yes``, a container started with its own cgroup namespace), and with
cgroup v1's memory and pids hierarchies (older hosts and some containers, as root). Where neither is writable,
``available()`` says why, and the grader falls back to rlimits, saying so.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from pathlib import Path

_counter = itertools.count()


def _mounts() -> list[tuple[str, str, str, set]]:
    """``(mount point, root, fstype, options)`` of every cgroup file system."""
    found = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        head, _, tail = line.partition(" - ")
        fields, rest = head.split(), tail.split()
        if len(fields) >= 5 and rest and rest[0] in ("cgroup", "cgroup2"):
            opts = set(rest[2].split(",")) if len(rest) > 2 else set()
            found.append((fields[4], fields[3], rest[0], opts))
    return found


def _own_paths() -> dict:
    """This process's cgroup path per controller (``"0"`` for v2)."""
    paths = {}
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            num, ctrls, path = line.split(":", 2)
            for c in (ctrls.split(",") if ctrls else ["0"]):
                paths[c] = path
    except OSError:
        pass
    return paths


def _join(mount: str, root: str, path: str) -> Path:
    rel = path[len(root):] if root != "/" and path.startswith(root) else path
    return Path(mount) / rel.lstrip("/")


def _v2_base() -> tuple[Path | None, str]:
    own = _own_paths().get("0")
    for mount, root, fstype, _ in _mounts():
        if fstype != "cgroup2" or own is None:
            continue
        base = _join(mount, root, own)
        try:
            controllers = set((base / "cgroup.controllers").read_text().split())
        except OSError:
            continue
        if not {"memory", "pids"} <= controllers:
            return None, f"cgroup v2 at {base} does not offer the memory and pids controllers"
        try:
            enabled = set((base / "cgroup.subtree_control").read_text().split())
            if not {"memory", "pids"} <= enabled:
                (base / "cgroup.subtree_control").write_text("+memory +pids")
            return base, ""
        except OSError as err:
            return None, (f"cannot enable memory and pids for child groups of {base} ({err.strerror}); "
                          "run the grader in a delegated cgroup (e.g. systemd-run --user --scope -p Delegate=yes)")
    return None, "no cgroup v2 hierarchy"


def _v1_bases() -> tuple[dict | None, str]:
    own = _own_paths()
    bases = {}
    for ctrl in ("memory", "pids"):
        for mount, root, fstype, opts in _mounts():
            if fstype == "cgroup" and ctrl in opts and ctrl in own:
                bases[ctrl] = _join(mount, root, own[ctrl])
    if set(bases) != {"memory", "pids"}:
        return None, "no cgroup v1 memory and pids hierarchies"
    for ctrl, base in bases.items():
        if not os.access(base, os.W_OK):
            return None, f"cgroup v1 {ctrl} group {base} is not writable by this user"
    return bases, ""


def available() -> tuple[str | None, str]:
    """``("v2" | "v1" | None, why not)``: which cgroup version the grader can use here."""
    base, why2 = _v2_base()
    if base is not None and os.access(base, os.W_OK):
        return "v2", ""
    bases, why1 = _v1_bases()
    if bases is not None:
        return "v1", ""
    return None, f"{why2}; {why1}"


def _sweep(base: Path) -> None:
    """Remove the empty groups a grader that was killed (SIGKILL, power cut) could not remove itself."""
    try:
        stale = [d for d in base.iterdir() if d.name.startswith("nnworkshop-") and d.is_dir()]
    except OSError:
        return
    for d in stale:
        pid = d.name.split("-")[1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            try:
                d.rmdir()  # refused while any process is still inside
            except OSError:
                pass


class Cgroup:
    """One child's group (``version`` "v2" or "v1"): limits, usage, OOM kills, kill-all, removal."""

    def __init__(self, version: str, memory_bytes: int, max_tasks: int):
        name = f"nnworkshop-{os.getpid()}-{next(_counter)}"
        self.version = version
        if version == "v2":
            base, why = _v2_base()
            if base is None:
                raise OSError(why)
            self.dirs = {"memory": base / name, "pids": base / name}
        else:
            bases, why = _v1_bases()
            if bases is None:
                raise OSError(why)
            self.dirs = {c: b / name for c, b in bases.items()}
        for d in set(self.dirs.values()):
            _sweep(d.parent)
            d.mkdir()
        self.set_memory(memory_bytes)
        self._write("pids", "pids.max", str(max_tasks))
        if version == "v2":
            self._write("memory", "memory.swap.max", "0", optional=True)

    def _write(self, ctrl: str, file: str, value: str, optional: bool = False) -> None:
        try:
            (self.dirs[ctrl] / file).write_text(value)
        except OSError:
            if not optional:
                raise

    def _read(self, ctrl: str, file: str) -> str:
        try:
            return (self.dirs[ctrl] / file).read_text()
        except OSError:
            return ""

    def add(self, pid: int) -> None:
        """Move process ``pid`` (and so everything it starts later) into the group."""
        for d in set(self.dirs.values()):
            (d / "cgroup.procs").write_text(str(pid))

    def set_memory(self, nbytes: int) -> None:
        """Cap the group's memory (page cache is reclaimed first; then the kernel's OOM killer acts)."""
        if self.version == "v2":
            self._write("memory", "memory.max", str(int(nbytes)))
        else:
            self._write("memory", "memory.limit_in_bytes", str(int(nbytes)))
            self._write("memory", "memory.memsw.limit_in_bytes", str(int(nbytes)), optional=True)

    def usage(self) -> int:
        """Bytes charged to the group now."""
        text = self._read("memory", "memory.current" if self.version == "v2" else "memory.usage_in_bytes")
        return int(text) if text.strip().isdigit() else 0

    def oom_kills(self) -> int:
        """How many processes the kernel killed in this group for memory."""
        text = self._read("memory", "memory.events" if self.version == "v2" else "memory.oom_control")
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit():
                return int(value)
        return 0

    def pids(self) -> list[int]:
        text = self._read("pids", "cgroup.procs")
        return [int(p) for p in text.split() if p.isdigit()]

    def kill(self) -> None:
        """SIGKILL every process in the group, whatever it forked or however it detached."""
        if self.version == "v2" and (self.dirs["pids"] / "cgroup.kill").exists():
            self._write("pids", "cgroup.kill", "1", optional=True)
        for _ in range(200):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.005)

    def remove(self) -> None:
        """Kill what is left and delete the group."""
        self.kill()
        for d in set(self.dirs.values()):
            for _ in range(100):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
