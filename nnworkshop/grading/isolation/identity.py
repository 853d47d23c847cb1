"""A user of its own for each submission, where the grader runs as root and user namespaces are refused.

The grader (root) gives each submission's process a numeric user and group that no account and no file on the
machine has (``pick``), and makes its folder that user's (``give_folder``); the process then drops to it
(``become``) before any submitted code runs: no supplementary groups, real, effective and saved ids all
changed, so it cannot change back, and every capability is gone. What the grader writes with 0600/0700 (its
outputs, its batch folder, the test digits) and other users' files are then closed to it by the kernel's
ordinary permission checks, its signals reach no process but its own (another user's processes refuse them),
and ``RLIMIT_NPROC`` counts only its own tasks.
"""

from __future__ import annotations

import itertools
import os
import signal

from . import syscalls

BASE = 2_100_000_000  # far above any account's id (useradd stops at 60000; systemd's dynamic users below 2**31)
_slots = itertools.count()


def why_not(readable: list[str]) -> str:
    """"" where the grader can give submissions a user of their own, else why not: only root can, and only where
    every folder of ``readable`` (Python and its packages) is open to other users, or the submission could not
    import anything once it has dropped to its user."""
    if os.geteuid() != 0:
        return "the grader is not root"
    for path in readable:
        here = os.path.realpath(path)
        while True:
            try:
                mode = os.stat(here).st_mode
            except OSError:
                break
            need = 0o005 if here == os.path.realpath(path) else 0o001
            if mode & need != need:
                return f"{here} is closed to other users (mode {mode & 0o777:o}), and Python lies beneath it"
            if here == "/":
                break
            here = os.path.dirname(here)
    return ""


def pick() -> int:
    """A user id (and the same group id) for one submission: unique among this grader's submissions."""
    return BASE + (os.getpid() % 10_000) * 1000 + next(_slots) % 1000


def give_folder(folder: str, uid: int) -> None:
    """Make ``folder`` (the submission's own, just created) belong to ``uid`` alone (the folder above it is the
    grader's, traversable but not listable)."""
    os.chown(folder, uid, uid)
    os.chmod(folder, 0o700)


def become(uid: int, parent_pid: int) -> None:
    """Drop this process (no submitted code has run yet) to ``uid``/``uid`` with no groups and no capabilities,
    still dying with ``parent_pid`` (the kernel clears ``PR_SET_PDEATHSIG`` when the user changes: set again, and the
    parent checked, after the change); raises ``OSError`` when it cannot, or when the change did not hold."""
    syscalls.drop_bounding_set()
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid) or os.getresgid() != (uid, uid, uid) or os.getgroups():
        raise OSError(f"could not become user {uid}")
    try:
        os.setuid(0)
    except PermissionError:
        pass
    else:
        raise OSError("the process could become root again after dropping its user")
    # setuid made the process non-dumpable, which hands its own /proc/self files to root; make them its own again
    # (nothing can ptrace it: the seccomp filter refuses ptrace, and no other process has this user)
    syscalls.prctl(syscalls.PR_SET_DUMPABLE, 1)
    syscalls.prctl(syscalls.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died while the setting was cleared
        os._exit(70)
