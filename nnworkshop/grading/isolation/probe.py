"""``python -m nnworkshop.grading.isolation.probe``: try each kernel layer once and print what works, as JSON.

Run in its own process (a fresh, single-threaded interpreter) by ``isolation.probe()``; it forks a child
that goes through the same steps as a submission's process (namespaces, Landlock, the seccomp filter) and reports
from inside; whether submissions can have a user of their own is decided here, in the grader's shoes.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import tempfile

from . import cgroup, identity, landlock, namespaces, policy, seccomp


def _inside(folder: str, w: int) -> None:
    report = {}
    try:
        read, hide = policy.mounts([], [])
        namespaces.enter(os.getppid(), folder, 1, read, hide)
        report["namespaces"] = "ok"
        try:
            socket.create_connection(("127.0.0.1", 9), timeout=1).close()
            report["namespaces"] = "network still reachable"
        except OSError:
            pass
    except OSError as err:
        report["namespaces"] = f"unavailable ({err})"
    try:
        landlock.restrict([(folder, landlock.WRITE)])
        try:
            open(sys.executable, "rb").close()
            report["landlock"] = "not enforced"
        except PermissionError:
            report["landlock"] = f"ABI {landlock.abi_version()}"
    except OSError as err:
        report["landlock"] = f"unavailable ({err})"
    try:
        seccomp.confine()
        try:
            socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
            report["seccomp"] = "not enforced"
        except PermissionError:
            report["seccomp"] = "ok"
    except (OSError, ValueError) as err:
        report["seccomp"] = f"unavailable ({err})"
    os.write(w, json.dumps(report).encode())
    os._exit(0)


def main() -> int:
    folder = tempfile.mkdtemp(prefix="nnw-probe-")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            _inside(folder, w)
        finally:
            os._exit(1)
    os.close(w)
    data = b""
    while chunk := os.read(r, 65536):
        data += chunk
    os.waitpid(pid, 0)
    os.rmdir(folder)
    report = json.loads(data or b"{}")
    version, why = cgroup.available()
    report["cgroup"] = version or f"unavailable ({why})"
    report.setdefault("namespaces", "unavailable (the probe died)")
    report.setdefault("landlock", "unavailable (the probe died)")
    report.setdefault("seccomp", "unavailable (the probe died)")
    why = identity.why_not(policy.python_roots())
    report["user"] = "own" if not why else f"not its own: {why}"
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
