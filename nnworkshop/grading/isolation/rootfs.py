"""A root file system built for one submission: only what it may read exists, and all of it is read-only.

Inside its mount namespace the runner mounts a small tmpfs as the new root, bind-mounts each allowed path
into it at the same place, read-only (the system libraries, the Python installation, the ``nnworkshop``
package with its answers covered by an empty folder, a few files of /etc, the staged digits), adds a
fresh /proc of its own PID namespace, a /dev with null, zero, full, random and urandom only, a 1 MB /dev/shm and
its working folder (a tmpfs of ``disk_mb``), then ``pivot_root``s into it and detaches the old root.

What this adds to Landlock: paths outside the policy do not exist at all (no ``stat``, no file sizes, no
unix sockets of the host to connect to), and nothing the submission can reach can have its mode, owner,
times or extended attributes changed (read-only mounts refuse with EROFS; Landlock has no right for those).
The same construction as bubblewrap's ``--ro-bind``/``--proc``/``--dev``/``--tmpfs``, done in-process for the
reason ``syscalls`` gives.
"""

from __future__ import annotations

import os

from . import syscalls as sc

DEVICES = ("null", "zero", "full", "random", "urandom")
# statvfs flags a read-only remount must keep (the kernel refuses to drop them inside a user namespace)
_KEEP = ((1 << 1, sc.MS_NOSUID), (1 << 2, sc.MS_NODEV), (1 << 3, sc.MS_NOEXEC), (1 << 10, 1 << 10),
         (1 << 11, 1 << 11), (1 << 12, 1 << 21))  # ST_NOATIME, ST_NODIRATIME, ST_RELATIME -> MS_*


def _bind(src: str, dst: str, readonly: bool = True) -> None:
    if os.path.isdir(src):
        os.makedirs(dst, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if not os.path.exists(dst):
            os.close(os.open(dst, os.O_WRONLY | os.O_CREAT, 0o644))
    sc.mount(src, dst, None, sc.MS_BIND | sc.MS_REC)
    if readonly:
        flags = os.statvfs(dst).f_flag
        keep = 0
        for st, ms in _KEEP:
            if flags & st:
                keep |= ms
        sc.mount(None, dst, None, sc.MS_BIND | sc.MS_REMOUNT | sc.MS_RDONLY | sc.MS_NOSUID | sc.MS_NODEV | keep)


def _mirror(path: str, root: str) -> None:
    """Put ``path`` into the new root: a symbolic link as the same link (/lib -> usr/lib), else a read-only bind."""
    if os.path.islink(path):
        os.makedirs(root + os.path.dirname(path), exist_ok=True)
        if not os.path.lexists(root + path):
            os.symlink(os.readlink(path), root + path)
    elif os.path.exists(path):
        _bind(path, root + path)


def build(folder: str, disk_mb: int, read: list[str], hide: list[str], shm_mb: int = 1) -> None:
    """Build the new root on ``folder`` (an empty folder the grader made), enter it, and ``chdir`` to ``folder``,
    which inside is a fresh tmpfs of ``disk_mb`` MB. ``read``: paths to mirror read-only; ``hide``: paths under
    them to cover with nothing."""
    root = folder
    sc.mount("tmpfs", root, "tmpfs", sc.MS_NOSUID | sc.MS_NODEV, "size=1m,mode=0755")
    for path in read:
        _mirror(path, root)
    for path in hide:
        target = root + path
        if os.path.isdir(target):
            sc.mount("tmpfs", target, "tmpfs", sc.MS_RDONLY | sc.MS_NOSUID | sc.MS_NODEV | sc.MS_NOEXEC, "size=4k,mode=0555")
        elif os.path.exists(target):
            _bind("/dev/null", target)
    dev = root + "/dev"
    os.makedirs(dev, exist_ok=True)
    sc.mount("tmpfs", dev, "tmpfs", sc.MS_NOSUID | sc.MS_NOEXEC, "size=64k,mode=0755")
    for name in DEVICES:
        if os.path.exists(f"/dev/{name}"):
            _bind(f"/dev/{name}", f"{dev}/{name}", readonly=False)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{dev}/{name}")
    os.mkdir(f"{dev}/shm")
    sc.mount("tmpfs", f"{dev}/shm", "tmpfs", sc.MS_NOSUID | sc.MS_NODEV | sc.MS_NOEXEC, f"size={int(shm_mb)}m")
    os.makedirs(root + "/proc", exist_ok=True)
    sc.mount("proc", root + "/proc", "proc", sc.MS_NOSUID | sc.MS_NODEV | sc.MS_NOEXEC)
    os.makedirs(root + folder, exist_ok=True)
    sc.mount("tmpfs", root + folder, "tmpfs", sc.MS_NOSUID | sc.MS_NODEV, f"size={int(disk_mb)}m,mode=0700")
    os.mkdir(root + "/.old")
    sc.pivot_root(root, root + "/.old")
    os.chdir("/")
    sc.umount("/.old")
    os.rmdir("/.old")
    sc.mount(None, "/", None, sc.MS_BIND | sc.MS_REMOUNT | sc.MS_RDONLY | sc.MS_NOSUID | sc.MS_NODEV)
    os.chdir(folder)
