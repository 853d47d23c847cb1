"""The kernel's wall around each submission: namespaces, Landlock and a cgroup (or rlimits).

- ``probe()``: which layers this machine offers (``nnworkshop doctor`` prints it; ``nnworkshop grade`` refuses to
  start in its default mode when one is missing, naming it and what to do).
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
    "namespaces": "unprivileged user namespaces (Linux; on Debian/Ubuntu: sysctl kernel.unprivileged_userns_clone=1 "
                  "and kernel.apparmor_restrict_unprivileged_userns=0; in Docker: --security-opt seccomp=unconfined "
                  "or run the grader outside the container)",
    "landlock": "Landlock (Linux >= 5.13 booted with landlock in lsm=...; most distributions since 2022)",
}


@functools.lru_cache(maxsize=1)
def probe() -> dict:
    """``{"namespaces": "ok" | why not, "landlock": "ABI N" | why not, "cgroup": "v1" | "v2" | why not}``."""
    if not sys.platform.startswith("linux"):
        why = f"unavailable (this is {sys.platform}; the kernel sandbox needs Linux)"
        return {"namespaces": why, "landlock": why, "cgroup": why}
    try:
        proc = subprocess.run([sys.executable, "-m", "nnworkshop.grading.isolation.probe"], capture_output=True,
                              text=True, timeout=60)
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (OSError, ValueError, IndexError, subprocess.SubprocessError) as err:
        why = f"unavailable (the probe failed: {err})"
        return {"namespaces": why, "landlock": why, "cgroup": why}


def missing(report: dict) -> list[str]:
    """The required layers ``report`` lacks, each with what it needs."""
    bad = []
    if report.get("namespaces") != "ok":
        bad.append(f"namespaces: {report.get('namespaces')}; needs {REQUIRED['namespaces']}")
    if not str(report.get("landlock", "")).startswith("ABI"):
        bad.append(f"landlock: {report.get('landlock')}; needs {REQUIRED['landlock']}")
    return bad


def describe(report: dict) -> str:
    """One line naming the layers that apply, as written into the CSV and results.json."""
    parts = []
    if report.get("namespaces") == "ok":
        parts.append("namespaces (user, pid, net, mount, ipc)")
    if str(report.get("landlock", "")).startswith("ABI"):
        parts.append(f"landlock {report['landlock']}")
    cg = report.get("cgroup", "")
    parts.append(f"cgroup {cg} (memory, tasks)" if cg in ("v1", "v2") else "rlimits (no cgroup)")
    parts.append("guard")
    return "; ".join(parts)
