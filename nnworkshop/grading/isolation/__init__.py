"""The kernel's wall around each submission, in one of two forms, and how to tell which this machine allows.

- "namespaces": user, PID, network, mount and IPC namespaces, Landlock, a cgroup (or rlimits): where
  unprivileged user namespaces work.
- "no-userns": where they are refused (Ubuntu 24.04's AppArmor restriction, Docker's default seccomp profile as on
  Gradescope): a user of its own when the grader is root (``identity``), Landlock, a seccomp filter (``seccomp``:
  no sockets, no new processes, no namespaces, mounts or ptrace), a cgroup or rlimits, its own process group.

``probe()`` tries each layer once (``nnworkshop doctor`` prints it); ``choose()`` picks the wall for an
``--isolation`` setting ("kernel": the namespace wall where it can be built, else the no-userns wall); ``missing()``
says what stops both (``nnworkshop grade`` then refuses to start, naming it). ``--isolation=guard-only`` is no wall:
an audit hook inside the submission's own process, which the submission can switch off.

- ``policy``: what a submission may read and write (the grader computes it).
- ``boot``: what the submission's process does to itself before any submitted code runs.
- ``cgroup``: the per-submission memory and task limits the grader sets from outside.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys

REQUIRED = {
    "namespaces": "unprivileged user namespaces (Linux; on Debian: sysctl kernel.unprivileged_userns_clone=1; on Ubuntu "
                  ">= 23.10 the AppArmor profile in nnworkshop/grading/isolation/apparmor/ (docs/grading.md); in Docker: "
                  "--security-opt seccomp=unconfined or run the grader outside the container)",
    "landlock": "Landlock (Linux >= 5.13 booted with landlock in lsm=...; most distributions since 2022)",
    "seccomp": "seccomp filters (Linux with CONFIG_SECCOMP_FILTER, x86-64; allowed in Docker's default profile)",
}
WALLS = ("namespaces", "no-userns")
GUARD_ONLY = ("guard only: NOT a wall (an audit hook inside the submission's own process, which submitted code can "
              "switch off; --isolation=guard-only)")


@functools.lru_cache(maxsize=1)
def probe() -> dict:
    """``{"namespaces": "ok" | why not, "landlock": "ABI N" | why not, "seccomp": "ok" | why not, "user": "own" | why
    not, "cgroup": "v1" | "v2" | why not}``."""
    if not sys.platform.startswith("linux"):
        why = f"unavailable (this is {sys.platform}; the kernel sandbox needs Linux)"
        return {"namespaces": why, "landlock": why, "seccomp": why, "user": why, "cgroup": why}
    try:
        proc = subprocess.run([sys.executable, "-m", "nnworkshop.grading.isolation.probe"], capture_output=True,
                              text=True, timeout=60)
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (OSError, ValueError, IndexError, subprocess.SubprocessError) as err:
        why = f"unavailable (the probe failed: {err})"
        return {"namespaces": why, "landlock": why, "seccomp": why, "user": why, "cgroup": why}


def _lacks(report: dict, wall: str) -> list[str]:
    need = ("namespaces", "landlock") if wall == "namespaces" else ("landlock", "seccomp")
    bad = []
    for layer in need:
        ok = str(report.get(layer, "")).startswith("ABI") if layer == "landlock" else report.get(layer) == "ok"
        if not ok:
            bad.append(f"{layer}: {report.get(layer)}; needs {REQUIRED[layer]}")
    return bad


def choose(report: dict, isolation: str = "kernel") -> str | None:
    """The wall for ``isolation``: "kernel" picks "namespaces" where it can be built, else "no-userns"; a wall named
    outright is taken as it is; "guard-only" gives None. Raises ``ValueError`` (naming what is missing and what to
    do) when the wall asked for cannot be built here."""
    if isolation == "guard-only":
        return None
    if isolation not in ("kernel", *WALLS):
        raise ValueError(f"unknown isolation {isolation!r}: use 'kernel' (the default: the best wall this machine "
                         "allows), 'namespaces', 'no-userns' or 'guard-only' (no wall)")
    for wall in (WALLS if isolation == "kernel" else (isolation,)):
        if not _lacks(report, wall):
            return wall
    raise ValueError("; ".join(missing(report, isolation)))


def missing(report: dict, isolation: str = "kernel") -> list[str]:
    """What stops the wall ``isolation`` asks for ("kernel": either wall), each with what it needs; [] when it can
    be built."""
    if isolation == "guard-only":
        return []
    walls = WALLS if isolation == "kernel" else (isolation,)
    if any(not _lacks(report, w) for w in walls):
        return []
    return list(dict.fromkeys(line for w in walls for line in _lacks(report, w)))


def describe(report: dict, wall: str | None = "") -> str:
    """One line naming the wall and the layers that apply, as written into the CSV and results.json. ``wall``:
    as ``choose`` gives it ("" picks it from ``report``; None: guard only)."""
    if wall == "":
        try:
            wall = choose(report)
        except ValueError:
            wall = None
    if wall is None:
        return GUARD_ONLY
    cg = report.get("cgroup", "")
    limits = f"cgroup {cg} (memory, tasks)" if cg in ("v1", "v2") else "rlimits (no cgroup)"
    landlock = f"landlock {report.get('landlock')}"
    if wall == "namespaces":
        return "; ".join(["namespaces (user, pid, net, mount, ipc)", landlock, limits, "guard"])
    user = report.get("user", "")
    why = user.removeprefix("not its own: ")
    parts = ["no user namespaces: " + ("a user of its own (no groups, no capabilities)" if user == "own"
                                       else f"the grader's user without capabilities (no user of its own: {why})"),
             landlock + " (files" + (", tcp" if _abi(report) >= 4 else "") +
             (", signals, abstract sockets)" if _abi(report) >= 6 else ")"),
             "seccomp (no sockets, no new processes, no namespaces/mount/ptrace/bpf)",
             "own process group", limits, "guard"]
    return "; ".join(parts)


def _abi(report: dict) -> int:
    try:
        return int(str(report.get("landlock", "")).split()[1])
    except (IndexError, ValueError):
        return 0
