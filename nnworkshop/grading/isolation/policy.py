"""What a submission's process may read and write: computed in the grader, resolved before it is sent.

Deny by default. Readable: the Python installation (the interpreter's prefix, the virtual environment, the
``nnworkshop`` package), the system libraries, a few named files in /etc and /dev, the process's own /proc
(a fresh one, in its own PID namespace), the CPU description in /sys, and the staged training digits.
Writable: only the submission's own folder (and /dev/null). Any protected path that lies beneath a readable
folder (the hidden checks inside the package, say) is carved out: its parent folders are granted listing
only, its siblings in full, itself nothing.
"""

from __future__ import annotations

import os
import sys
import sysconfig

from . import landlock as ll

SYSTEM_FILES = ("/usr", "/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin", "/sys/devices/system/cpu",
                "/sys/devices/system/node", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
                "/etc/localtime", "/etc/matplotlibrc")
SYSTEM_READ = (*SYSTEM_FILES, "/proc", "/dev/urandom", "/dev/random", "/dev/zero", "/dev/full")
# Without a PID namespace /proc shows every process: the child may read only its own (``/proc/self`` is opened, and
# so resolved, in the child) and what describes the machine.
OWN_PROC = ("/proc/self", "/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/filesystems")
DEVICES_RW = ("/dev/null",)


def python_roots() -> list[str]:
    """Folders holding the interpreter, its standard library and the installed packages."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    for scheme_path in sysconfig.get_paths().values():
        roots.add(scheme_path)
    import nnworkshop

    roots.add(os.path.dirname(os.path.abspath(nnworkshop.__file__)))
    real = sorted({os.path.realpath(r) for r in roots if os.path.exists(r)})
    return [r for r in real if not any(r != o and r.startswith(o.rstrip("/") + "/") for o in real)]


def _under(path: str, base: str) -> bool:
    return path == base or path.startswith(base.rstrip("/") + "/")


def carve(root: str, rights: int, excluded: list[str]) -> list[tuple[str, int]]:
    """Rules granting ``rights`` beneath ``root`` except beneath any of ``excluded`` (resolved paths)."""
    if any(_under(root, e) for e in excluded):
        return []
    inside = [e for e in excluded if _under(e, root) and e != root]
    if not inside or not os.path.isdir(root):
        return [(root, rights)]
    rules = [(root, ll.READ_DIR)]
    try:
        entries = sorted(os.listdir(root))
    except OSError:
        return rules
    for name in entries:
        rules += carve(os.path.join(root, name), rights, inside)
    return rules


def mounts(read: list[str], protected: list[str]) -> tuple[list[str], list[str]]:
    """What the submission's own root file system holds (``rootfs``): the paths to mirror read-only, and the
    protected paths beneath them to cover with nothing."""
    paths = []
    for p in [*python_roots(), *read]:
        real = os.path.realpath(p)
        if os.path.exists(real) and real not in paths:
            paths.append(real)
    paths += [p for p in SYSTEM_FILES if os.path.lexists(p) and p not in paths]
    hide = sorted({os.path.realpath(p) for p in protected
                   if any(_under(os.path.realpath(p), r) and os.path.realpath(p) != r for r in paths)})
    return paths, hide


def rules(folder: str, read: list[str], protected: list[str], own_proc: bool = False) -> list[tuple[str, int]]:
    """Landlock rules for one submission: ``folder`` read-write, ``read`` plus Python and the system read-only,
    nothing of ``protected``. ``own_proc`` (no PID namespace): of /proc only the process's own and ``OWN_PROC``."""
    excluded = sorted({os.path.realpath(p) for p in protected})
    out: list[tuple[str, int]] = []
    system = [p for p in SYSTEM_READ if p != "/proc"] + list(OWN_PROC) if own_proc else list(SYSTEM_READ)
    for root in [*python_roots(), *read, *system]:
        if os.path.exists(root):
            out += carve(os.path.realpath(root) if not root.startswith("/proc") else root, ll.READ, excluded)
    out += [(d, ll.READ_FILE | ll.WRITE_FILE) for d in DEVICES_RW if os.path.exists(d)]
    out.append((folder, ll.WRITE))
    return out


def within_reach(protected: list[str], read: list[str]) -> list[str]:
    """The ``protected`` paths inside folders a child may read (Python, ``read``, the system's): the only ones a
    child behind a kernel wall is told of, for its guard. The rest it cannot reach anyway, and their names
    (classmates' files, the seed file, the report folders) are none of its business."""
    roots = [os.path.realpath(r) for r in (*python_roots(), *read, *SYSTEM_READ) if os.path.exists(r)]
    inside = lambda p, r: p == r or p.startswith(r.rstrip(os.sep) + os.sep)  # noqa: E731
    return [p for p in protected if any(inside(os.path.realpath(p), r) for r in roots)]
