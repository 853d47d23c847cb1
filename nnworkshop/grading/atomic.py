"""The grader's output files, written whole or not at all, never through a link or into a FIFO.

Each file is written to a temporary file in its own folder and renamed over the target (``os.replace``),
so a reader, a crash or a second run never sees half a file. Written by hand because the standard library
has no atomic write and the rename is three lines; the checks on the target are what matter here.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class OutputError(OSError):
    """An output path the grader refuses to write; the message names the fix."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once, at import: setting it later would race with children started by other threads


def check_target(path, flag: str = "--out") -> Path:
    """Refuse ``path`` when it exists as anything but a regular file (a symbolic link, a FIFO, a folder, a device)."""
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return path
    if stat.S_ISLNK(st.st_mode):
        raise OutputError(f"{path} is a symbolic link; the grader never writes through a link. "
                          f"Remove it, or pass {flag} a path that is not a link.")
    if not stat.S_ISREG(st.st_mode):
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode) else "not a regular file"
        raise OutputError(f"{path} is {kind}; the grader writes only regular files. "
                          f"Remove it, or pass {flag} another path.")
    return path


def check_folder(path, flag: str) -> Path:
    """Refuse ``path`` when it exists and is not a folder (a file, a FIFO)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path} exists and is not a folder. Remove it, or pass {flag} another folder.")
    return path


def check_subfolder(path, flag: str) -> Path:
    """A folder the grader names itself (one per submission): refuse it as a link or a non-folder."""
    path = Path(path)
    if os.path.islink(path):
        raise OutputError(f"{path} is a symbolic link; the grader never writes through a link. "
                          f"Remove it, or pass {flag} another folder.")
    return check_folder(path, flag)


def partial_path(path) -> Path:
    """Where ``write_atomic`` writes ``path`` before renaming it: a fixed name, so the grader can protect it too."""
    path = Path(path)
    return path.parent / f".{path.name}.partial"


def write_atomic(path, text: str, flag: str = "--out") -> Path:
    """Write ``text`` (UTF-8; characters it cannot encode, such as lone surrogates, as backslash escapes) to ``path``.

    The file appears whole, with the permissions of the file it replaces (or the umask's for a new one).
    The temporary file (``partial_path``) is created exclusively, without following links; writes to one
    path must not run at the same time (``outputs.Outputs`` holds a lock).
    """
    path = check_target(path, flag)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(os.lstat(path).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_UMASK
    tmp = partial_path(path)
    try:
        os.unlink(tmp)  # left by a crash; unlinking a link removes the link, never its target
    except FileNotFoundError:
        pass
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        check_target(path, flag)  # a link planted while writing is replaced, never followed; say so instead
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def read_regular(path, flag: str = "--out") -> str:
    """The text of ``path``, opened without following a link and refused unless it is a regular file."""
    path = check_target(path, flag)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "r", encoding="utf-8", errors="backslashreplace", newline="") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise OutputError(f"{path} is not a regular file. Pass {flag} the CSV the grader wrote.")
        return f.read()
