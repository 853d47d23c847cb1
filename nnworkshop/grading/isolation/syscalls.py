"""The few Linux system calls the sandbox needs, through ctypes.

Why not a package: Python 3.10/3.11 have no ``os.unshare``; the ``landlock`` package (1.0.0.dev5) covers
file-system rules only (no TCP rules, ABI 4, and no scopes, ABI 6); bubblewrap confines a program it
*starts*, whereas the grader confines the process it has just forked, before any submitted code runs. Each
function here is one system call; the kernel enforces everything they set up.
"""

from __future__ import annotations

import ctypes
import os
import platform

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38

MNT_DETACH = 2
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "arm64": 41}.get(platform.machine().lower())
SYS_LANDLOCK_CREATE_RULESET = 444  # the same number on every architecture (added after the unified table)
SYS_LANDLOCK_ADD_RULE = 445
SYS_LANDLOCK_RESTRICT_SELF = 446

_libc = None


def libc():
    """The C library, loaded once, with ``errno`` kept for error messages."""
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.syscall.restype = ctypes.c_long
        _libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    return _libc


def _check(result, what: str):
    if result == -1:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def unshare(flags: int) -> None:
    """Move this process into new namespaces (``unshare(2)``)."""
    _check(libc().unshare(ctypes.c_int(flags)), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    """``mount(2)``."""
    enc = lambda s: None if s is None else os.fsencode(s)  # noqa: E731
    _check(libc().mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def umount(target: str) -> None:
    """Detach the mount at ``target`` (``umount2(MNT_DETACH)``)."""
    _check(libc().umount2(os.fsencode(target), ctypes.c_int(MNT_DETACH)), f"umount {target}")


def pivot_root(new_root: str, put_old: str) -> None:
    """Make ``new_root`` this mount namespace's root (``pivot_root(2)``); the old root goes to ``put_old``."""
    if SYS_PIVOT_ROOT is None:
        raise OSError(f"pivot_root: unknown system call number on {platform.machine()}")
    syscall(SYS_PIVOT_ROOT, os.fsencode(new_root), os.fsencode(put_old))


def prctl(option: int, arg: int = 0) -> None:
    """``prctl(2)`` with one argument."""
    _check(libc().prctl(ctypes.c_int(option), ctypes.c_ulong(arg), ctypes.c_ulong(0), ctypes.c_ulong(0),
                        ctypes.c_ulong(0)), f"prctl {option}")


def drop_bounding_set() -> None:
    """Empty the capability bounding set: nothing this process or its children run can gain a capability again."""
    for cap in range(64):
        if libc().prctl(PR_CAPBSET_DROP, ctypes.c_ulong(cap), 0, 0, 0) == -1:
            break  # EINVAL: past the last capability this kernel knows (EPERM: no CAP_SETPCAP, nothing to drop)


def drop_capabilities() -> None:
    """Empty the bounding set and the permitted, effective and inheritable sets (``capset(2)``)."""
    drop_bounding_set()

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    header, data = Header(0x20080522, 0), (Data * 2)()
    _check(libc().capset(ctypes.byref(header), ctypes.byref(data)), "capset")


def syscall(number: int, *args) -> int:
    """A raw system call (for Landlock, which glibc does not wrap)."""
    return _check(libc().syscall(ctypes.c_long(number), *args), f"syscall {number}")
