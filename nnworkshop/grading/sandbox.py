"""The guard: a Python audit hook in the submission's process, the second wall and the source of clear messages.

The first wall is the kernel's (``grading.isolation``: namespaces, Landlock, a cgroup), which nothing in the
process can switch off. This guard runs beside the submitted code, so it is not relied on alone; it makes the
obvious attacks fail early with a readable ``PermissionError`` and covers grading with ``--isolation=guard-only``:

- reading protected files (the solutions, the course folder of hidden checks, ``.git``, the hidden MNIST
  digits, another process's ``/proc/<pid>``): ``PermissionError``;
- writing, deleting or renaming anything outside the submission's temporary folder;
- starting processes, threads of other interpreters, sockets, ``ctypes`` memory/library access,
  ``gc`` walks, raising resource limits, signalling other processes.

Its lists are frozen into the hook's closure from paths the grader resolved before sending them.
"""

from __future__ import annotations

import os
import sys

BLOCKED_EVENTS = frozenset(
    {
        "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "subprocess.Popen",
        "pty.spawn", "os.killpg", "os.link", "os.symlink", "os.chroot", "os.setuid", "os.setgid",
        "socket.__new__", "socket.connect", "socket.bind", "socket.getaddrinfo", "socket.sendto", "socket.sendmsg",
        "urllib.Request", "webbrowser.open",
        "ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle", "ctypes.cdata", "ctypes.cdata/buffer",
        "ctypes.addressof", "ctypes.PyObj_FromPtr", "ctypes.string_at", "ctypes.wstring_at",
        "ctypes.call_function",
        "gc.get_objects", "gc.get_referrers", "gc.get_referents",
        "resource.setrlimit", "resource.prlimit",
        "cpython.PyInterpreterState_New", "sys._current_exceptions",
    }
)
BLOCKED_IMPORTS = frozenset(
    {
        "_posixsubprocess", "_signal", "_xxsubinterpreters", "_xxinterpchannels", "_interpreters",
        "_interpchannels", "_testcapi", "_testinternalcapi", "_testmultiphase", "_ctypes_test",
    }
)
# events whose first argument is a path that must stay inside the temporary folder
WRITE_EVENTS = frozenset(
    {
        "os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.truncate", "os.utime",
        "shutil.rmtree", "shutil.chown", "os.chflags", "os.lchflags", "os.setxattr", "os.removexattr",
    }
)
DIR_FD_EVENTS = frozenset({"os.chmod", "os.chown", "os.utime", "os.mkdir", "os.remove", "os.rmdir"})  # dir_fd last
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _stub(name):
    def refused(*args, **kwargs):
        raise PermissionError(f"{name} is not allowed while grading")

    refused.__name__ = name.rsplit(".", 1)[-1]
    return refused


def _disarm_unaudited() -> None:
    """Replace the few process/signal functions that raise no audit event."""
    import signal

    for mod_name, attr in (("_posixsubprocess", "fork_exec"), ("_socket", "socketpair"), ("socket", "socketpair"),
                           ("signal", "pidfd_send_signal"),
                           ("_signal", "pidfd_send_signal"), ("os", "pidfd_open"), ("posix", "pidfd_open")):
        mod = sys.modules.get(mod_name)
        if mod is None and mod_name == "_posixsubprocess":
            import _posixsubprocess as mod  # noqa: F811
        if mod is not None and hasattr(mod, attr):
            setattr(mod, attr, _stub(f"{mod_name}.{attr}"))
    del signal


def install(tmpdir: str, protected: list[str], protected_names: list[str], allow_write: list[str] = ()) -> None:
    """Install the audit hook. ``protected``: paths (files or folders) that may not be read;
    ``protected_names``: path components that may not appear in any path opened (e.g. ``_hidden``)."""
    _disarm_unaudited()
    realpath, fsdecode = os.path.realpath, os.fsdecode
    tmp = realpath(tmpdir)
    writable = tuple([tmp] + [realpath(p) for p in allow_write])
    roots = tuple(realpath(p) for p in protected)
    names = frozenset(protected_names)
    mypid = str(os.getpid())

    def as_text(path):
        if isinstance(path, (bytes, bytearray)):
            return fsdecode(bytes(path))
        if isinstance(path, str):
            return path
        try:
            p = os.fspath(path)
        except TypeError:
            return None
        return fsdecode(p) if isinstance(p, bytes) else p

    def under(real, bases):
        return any(real == b or real.startswith(b.rstrip("/") + "/") for b in bases)

    def denied(text):
        if any(part in names for part in text.split("/")):
            return True
        real = realpath(text)
        if any(part in names for part in real.split("/")) or under(real, roots):
            return True
        if real.startswith("/proc/"):
            first = real.split("/")[2]
            if first.isdigit() and first != mypid:
                return True
        return False

    def check_write(event, text):
        if text is not None and not under(realpath(text), writable) and text != "/dev/null":
            raise PermissionError(f"{event}: writing outside the submission's folder is not allowed while grading: {text}")

    def hook(event, args):
        if event == "open":
            text = as_text(args[0])
            if text is None:
                return
            if denied(text):
                raise PermissionError(f"reading {text} is not allowed while grading")
            mode, flags = args[1], args[2] if len(args) > 2 else 0
            if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (isinstance(flags, int) and flags & WRITE_FLAGS):
                check_write("open", text)
        elif event in BLOCKED_EVENTS:
            raise PermissionError(f"{event} is not allowed while grading")
        elif event == "import":
            if args[0] in BLOCKED_IMPORTS:
                raise ImportError(f"importing {args[0]} is not allowed while grading")
        elif event in ("os.listdir", "os.scandir", "glob.glob", "os.walk"):
            text = as_text(args[0]) if args and args[0] is not None else "."
            if text is not None and denied(text):
                raise PermissionError(f"listing {text} is not allowed while grading")
        elif event == "os.rename":
            check_write(event, as_text(args[0]))
            check_write(event, as_text(args[1]))
        elif event in WRITE_EVENTS:
            # a file descriptor or a path relative to another folder (dir_fd) cannot be resolved here: refused
            if not args or isinstance(args[0], int) or any(isinstance(a, int) and a >= 0 for a in args[-1:]
                                                            if event in DIR_FD_EVENTS):
                raise PermissionError(f"{event} on a file descriptor or through dir_fd is not allowed while grading")
            check_write(event, as_text(args[0]))
        elif event == "os.kill":
            if args[0] != os.getpid():
                raise PermissionError("signalling other processes is not allowed while grading")

    sys.addaudithook(hook)
