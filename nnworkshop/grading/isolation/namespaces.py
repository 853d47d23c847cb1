"""New namespaces for one submission: its own users, processes, network, mounts, IPC and host name.

``enter()`` runs first thing in the child, while it is still single-threaded and before any submitted code.
It ends up three processes deep, each waiting for the next::

    grader --- holder (host PID namespace: what the grader sees and kills)
                 `-- init (PID 1 of a new PID namespace: reaps; when it exits the kernel kills the rest)
                       `-- runner (PID 2: imports numpy/torch and runs the submission)

- user namespace: the runner's root is the grader's own user, with no capabilities left once set up;
- PID namespace with a fresh /proc: the grader and every other process are invisible and cannot be signalled;
  anything the submission forks dies with init, and init dies with the holder (``PR_SET_PDEATHSIG``),
  which dies with the grader;
- network namespace: only a loopback that is down, so no TCP, UDP or DNS at all;
- mount namespace: a root file system of its own (``rootfs``): only allowed paths exist, all read-only; the
  working folder is a fresh tmpfs of ``disk_mb`` (a disk quota), /dev/shm a tiny tmpfs;
- IPC and UTS namespaces: no System V shared memory or semaphores shared with anyone.

Why not bubblewrap: it confines a program it starts with ``exec``; here the process confines itself right
after it was started (or forked from a prepared interpreter) and before it runs submitted code, which needs
these calls in-process (see ``syscalls``).
"""

from __future__ import annotations

import os
import signal
import struct

from . import rootfs
from . import syscalls as sc

SETUP_FAILED = 71  # the exit code of a holder whose namespaces could not be set up
FLAGS = (sc.CLONE_NEWUSER | sc.CLONE_NEWNS | sc.CLONE_NEWNET | sc.CLONE_NEWIPC | sc.CLONE_NEWUTS
         | sc.CLONE_NEWPID | sc.CLONE_NEWCGROUP)


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _quiet(keep: int) -> None:
    """A waiting process holds nothing of the grader's: only ``keep`` stays open, the std streams go to /dev/null."""
    null = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.closerange(3, keep)
    os.closerange(keep + 1, 1 << 16)


def _mirror(status: int) -> None:
    """Exit the way ``status`` (a raw wait status) says the runner did: same code, or same signal."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def enter(parent_pid: int, folder: str, disk_mb: int, read: list[str], hide: list[str]) -> None:
    """Put this process in new namespaces and a root file system of its own (``rootfs.build``: ``read`` mirrored
    read-only, ``hide`` covered); return only in the runner (PID 2). Raises ``OSError`` when the kernel refuses
    (no user namespaces here): the caller reports the missing layer."""
    sc.prctl(sc.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the grader died before we could ask to die with it
        os._exit(70)
    uid, gid = os.getuid(), os.getgid()
    sc.unshare(FLAGS)
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"0 {uid} 1")
    _write("/proc/self/gid_map", f"0 {gid} 1")
    sc.mount(None, "/", None, sc.MS_REC | sc.MS_PRIVATE)
    status_r, status_w = os.pipe()
    init = os.fork()
    if init:  # the holder
        os.close(status_w)
        _quiet(keep=status_r)
        _, st = os.waitpid(init, 0)
        data = os.read(status_r, 4)
        _mirror(struct.unpack("i", data)[0] if len(data) == 4 else st)
    try:
        sc.prctl(sc.PR_SET_PDEATHSIG, signal.SIGKILL)
        os.close(status_r)
        runner = os.fork()
    except OSError as err:  # init must never fall through into the caller's code
        os.write(2, f"sandbox: {err}\n".encode())
        os._exit(SETUP_FAILED)
    if runner:  # init: reap everything until the runner ends, then report how it ended and take the rest down
        _quiet(keep=status_w)
        while True:
            try:
                pid, st = os.waitpid(-1, 0)
            except ChildProcessError:
                os._exit(1)
            if pid == runner:
                os.write(status_w, struct.pack("i", st))
                os._exit(0)
    os.close(status_w)
    sc.prctl(sc.PR_SET_PDEATHSIG, signal.SIGKILL)
    rootfs.build(folder, disk_mb, read, hide)
