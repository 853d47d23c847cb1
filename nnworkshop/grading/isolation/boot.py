"""The child's side of confinement, in the order it happens before any submitted code runs.

1. ``read_config``: the grader's instructions, read without numpy (the process must still be single-threaded
   to enter a user namespace).
2. ``enter``: new namespaces (``namespaces.enter``); returns in the runner process. In the no-userns wall: only
   "die with the grader".
3. The caller imports numpy/torch and what the notebook uses.
4. ``lock_down``: resource limits, no capabilities (in the no-userns wall: a user of its own, ``identity``),
   Landlock, then (no-userns wall) the seccomp filter. From here the kernel refuses everything the policy did
   not allow, whatever the submission does to the Python-level guard installed after it.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import struct

from . import identity, landlock, namespaces, seccomp, syscalls


def read_config(fd: int) -> dict:
    """One ``protocol`` message that holds only JSON (no arrays), decoded without importing numpy."""

    def exact(n):
        buf = b""
        while len(buf) < n:
            chunk = os.read(fd, n - len(buf))
            if not chunk:
                raise EOFError("the grader closed the pipe before sending the configuration")
            buf += chunk
        return buf

    (n,) = struct.unpack("!Q", exact(8))
    body = exact(n)
    (n_head,) = struct.unpack("!I", body[:4])

    def plain(x):
        if isinstance(x, dict) and set(x) == {"__map__"}:
            return {k: plain(v) for k, v in x["__map__"]}
        if isinstance(x, list):
            return [plain(v) for v in x]
        return x

    return plain(json.loads(body[4 : 4 + n_head])["obj"])


def enter(cfg: dict) -> dict:
    """Enter the namespaces the configuration asks for; returns what applied (for the report)."""
    if cfg["isolation"].get("wall") == "no-userns":
        syscalls.prctl(syscalls.PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != cfg["parent_pid"]:  # the grader (or the prepared process) died before we could ask
            os._exit(70)
        return {}
    if not cfg["isolation"].get("namespaces"):
        return {}
    namespaces.enter(cfg["parent_pid"], cfg["tmpdir"], cfg["disk_mb"], cfg["rootfs"]["read"], cfg["rootfs"]["hide"])
    return {"namespaces": "user,pid,net,mount,ipc,uts,cgroup", "root": "own, read-only"}


def limits(cfg: dict, data_bytes: int | None = None) -> None:
    """rlimits: core dumps off, file size, open files, tasks (in the new user namespace: this submission's
    only), CPU seconds as a backstop to the grader's wall-clock limits, and (once imports are done) the heap."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an over-large write fails with EFBIG instead of killing
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (cfg["file_mb"] << 20,) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    if cfg["isolation"].get("namespaces") or cfg["isolation"].get("uid") is not None:  # its own user: its own tasks
        resource.setrlimit(resource.RLIMIT_NPROC, (cfg["max_tasks"],) * 2)
    cpu = int(cfg["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    if data_bytes is not None:
        resource.setrlimit(resource.RLIMIT_DATA, (data_bytes, data_bytes))


def lock_down(cfg: dict) -> dict:
    """Drop every capability (or, in the no-userns wall, become the submission's own user), apply Landlock and
    (no-userns wall) the seccomp filter, each when asked; returns what applied."""
    applied = {}
    uid = cfg["isolation"].get("uid")
    if uid is None and (cfg["isolation"].get("namespaces") or cfg["isolation"].get("wall") == "no-userns"):
        syscalls.drop_capabilities()
        applied["capabilities"] = "none"
    if cfg["isolation"].get("landlock"):  # before the user changes: the rules' paths are opened with the grader's rights
        got = landlock.restrict([(p, int(r)) for p, r in cfg["landlock_rules"]])
        applied["landlock"] = f"ABI {got['abi']}: files" + (", tcp" if got["net"] else "") + (
            ", signals, abstract sockets" if got["scope"] else "")
    if uid is not None:
        identity.become(int(uid), cfg["parent_pid"])
        applied["user"] = f"{uid}, no groups, no capabilities"
    if cfg["isolation"].get("seccomp"):
        applied["seccomp"] = seccomp.confine()
    return applied
