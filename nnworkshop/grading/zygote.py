"""A prepared process: Python, numpy and (when asked) torch already imported, forking a fresh child per submission.

Starting ``python -m nnworkshop.grading.child`` and importing torch costs about two seconds of CPU per
submission before any learner code runs. The zygote pays that once per batch: the grader starts
``python -m nnworkshop.grading.zygote`` (one per set of modules), which imports them with one thread each and
then only forks. Each fork is a brand-new submission process that runs ``child.main`` exactly as a cold-started
child would: it waits for the grader's configuration (the grader first puts it in its own cgroup), enters its
namespaces, limits and Landlock, installs the guard, and only then runs submitted code.

Nothing passes from one submission to the next: every submission is a fresh fork of the zygote, and the zygote
never runs submitted code, never receives the configuration, the inputs or any answer (only a folder, an
environment and three pipe ends per fork). It dies with the grader (``PR_SET_PDEATHSIG``) and its children die
with it. The zygote is the submissions' parent, so it reports each one's exit status to the grader
(``ZygoteChild.poll``/``wait`` give it in ``subprocess.Popen``'s form); the grader signals a child through a pidfd,
which cannot reach another process even after the pid is reused.

The control channel is a unix ``SOCK_SEQPACKET`` socket (message boundaries kept): one JSON line per message,
with the pipe ends passed as ``SCM_RIGHTS``.
"""

from __future__ import annotations

import gc
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time


class ZygoteError(RuntimeError):
    """The prepared process could not start or stopped answering."""


# ---------------------------------------------------------------- the grader's side


class ZygoteChild:
    """A forked submission process, with the parts of ``subprocess.Popen`` that ``process.Child`` uses."""

    def __init__(self, zygote: "Zygote", pid: int, stdout):
        self.zygote, self.pid, self.stdout = zygote, pid, stdout
        self.returncode: int | None = None
        self._done = threading.Event()
        try:
            self._pidfd = os.pidfd_open(pid)
        except OSError:  # already gone and reaped: its exit status is on its way
            self._pidfd = -1

    def _exited(self, returncode: int) -> None:
        self.returncode = returncode
        self._done.set()
        try:
            os.close(self._pidfd)
        except OSError:
            pass
        self._pidfd = -1

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._done.wait(timeout):
            raise subprocess.TimeoutExpired(f"submission process {self.pid}", timeout)
        return self.returncode

    def kill(self) -> None:
        """SIGKILL, through the pidfd: never another process, even once this pid was reaped and reused."""
        if self._pidfd >= 0:
            try:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            except OSError:
                pass

    def kill_group(self) -> None:
        """SIGKILL to its process group while it is still running (its pid, the group's id, cannot have been
        reused then), and to the process itself through the pidfd."""
        if self._pidfd >= 0 and not select.select([self._pidfd], [], [], 0)[0]:  # readable once it has exited
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except OSError:
                pass
        self.kill()


class Zygote:
    """One prepared process for a batch: ``spawn()`` forks a fresh submission process from it.

    ``modules``: what it imports before forking (numpy always; torch for exercises that use it). ``env``: its
    environment (the children's, with the thread counts set to 1 before torch loads).
    """

    def __init__(self, modules: list[str], env: dict, startup_timeout: float = 180.0):
        self.modules = list(modules)
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        args = [sys.executable, "-s"] + (["-P"] if sys.version_info >= (3, 11) else [])
        self.proc = subprocess.Popen(
            args + ["-m", "nnworkshop.grading.zygote", str(theirs.fileno()), str(os.getpid()), ",".join(self.modules)],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, env=env, start_new_session=True,
        )
        theirs.close()
        self.pid = self.proc.pid
        self.sock = mine
        self._reader = self.sock.makefile("rb")
        self._lock = threading.Lock()  # one fork request at a time
        self._children: dict[int, ZygoteChild] = {}
        self._early: dict[int, int] = {}  # exit statuses that came before spawn() registered the child
        self._forked: list = []
        self._cv = threading.Condition()
        self._dead = False
        self.sock.settimeout(startup_timeout)
        try:
            ready = json.loads(self._reader.readline() or b"null")
        except (OSError, ValueError):
            ready = None
        if not isinstance(ready, dict) or not ready.get("ready"):
            if self.proc.poll() is None:
                self.proc.kill()
            err = self.proc.stderr.read().decode(errors="replace")[-400:].strip()
            self.close()
            raise ZygoteError(f"the prepared process did not start ({err or 'no answer'})")
        self.threads = int(ready.get("threads", 0))
        self.import_seconds = float(ready.get("seconds", 0.0))
        self.sock.settimeout(None)
        threading.Thread(target=self._listen, daemon=True).start()

    def _listen(self) -> None:
        """Dispatch the zygote's messages: fork replies to ``spawn``, exit statuses to their children."""
        while True:
            try:
                line = self._reader.readline()
            except (OSError, ValueError):
                line = b""
            if not line:
                break
            msg = json.loads(line)
            with self._cv:
                if "forked" in msg:
                    self._forked.append(msg)
                    self._cv.notify_all()
                elif "exit" in msg:
                    child = self._children.pop(int(msg["exit"]), None)
                    if child is not None:
                        child._exited(int(msg["returncode"]))
                    else:
                        self._early[int(msg["exit"])] = int(msg["returncode"])
        with self._cv:  # the zygote is gone: so are its children (they die with it)
            self._dead = True
            for child in self._children.values():
                child._exited(-signal.SIGKILL)
            self._children.clear()
            self._cv.notify_all()

    def spawn(self, cwd: str, env: dict, cmd_fd: int, res_fd: int, timeout: float = 30.0) -> ZygoteChild:
        """Fork a fresh submission process in ``cwd`` with ``env``, running ``child.main(cmd_fd, res_fd)`` in a
        new session; its stdout and stderr go to a new pipe (``.stdout`` of the returned child)."""
        out_r, out_w = os.pipe()
        try:
            with self._lock:
                request = json.dumps({"cwd": cwd, "env": env}).encode() + b"\n"
                with self._cv:
                    if self._dead:
                        raise ZygoteError("the prepared process has stopped")
                try:
                    socket.send_fds(self.sock, [request], [cmd_fd, res_fd, out_w])
                except OSError as err:
                    raise ZygoteError(f"the prepared process stopped answering ({err})") from None
                deadline = time.monotonic() + timeout
                with self._cv:
                    while not self._forked and not self._dead:
                        if not self._cv.wait(max(deadline - time.monotonic(), 0)) and time.monotonic() > deadline:
                            break
                    if not self._forked:
                        raise ZygoteError("the prepared process did not fork")
                    reply = self._forked.pop(0)
                    if reply.get("error"):
                        raise ZygoteError(f"the prepared process could not fork: {reply['error']}")
                    child = ZygoteChild(self, int(reply["forked"]), open(out_r, "rb", closefd=True))
                    out_r = -1
                    if child.pid in self._early:
                        child._exited(self._early.pop(child.pid))
                    else:
                        self._children[child.pid] = child
                    return child
        finally:
            os.close(out_w)
            if out_r >= 0:
                os.close(out_r)

    @property
    def dead(self) -> bool:
        with self._cv:
            return self._dead

    def close(self) -> None:
        """Stop the zygote (its children die with it)."""
        try:
            self.sock.close()
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.proc.stderr:
            self.proc.stderr.close()


class Zygotes:
    """The batch's prepared processes, started on first use, one per set of modules."""

    def __init__(self, env: dict, startup_timeout: float):
        self.env, self.startup_timeout = env, startup_timeout
        self._by_modules: dict[tuple, Zygote] = {}
        self._lock = threading.Lock()

    @staticmethod
    def modules_for(preimport: list[str]) -> list[str]:
        """What a zygote for a submission needing ``preimport`` loads: numpy, and torch when the submission uses it
        (the rest, e.g. matplotlib, reads its environment at import and is imported by the child)."""
        return ["numpy"] + (["torch", "torch.utils.data"] if "torch" in preimport else [])

    def get(self, preimport: list[str]) -> Zygote:
        key = tuple(self.modules_for(preimport))
        with self._lock:
            old = self._by_modules.get(key)
            if old is not None and old.dead:  # killed (by the system, say): the next submissions get a new one
                old.close()
                old = None
            if old is None:
                self._by_modules[key] = Zygote(list(key), self.env, self.startup_timeout)
            return self._by_modules[key]

    def close(self) -> None:
        with self._lock:
            for z in self._by_modules.values():
                z.close()
            self._by_modules.clear()


# ---------------------------------------------------------------- the zygote's side


def _returncode(info) -> int:
    """``os.waitid``'s result as ``Popen.returncode``: the exit code, or minus the signal."""
    return info.si_status if info.si_code == os.CLD_EXITED else -info.si_status


def _become_child(sock: socket.socket, wake_fds, cwd: str, env: dict, fds: list[int], zygote_pid: int) -> None:
    """In the fresh fork: a new session, its own output pipe, the submission's environment; then ``child.main``."""
    code = 1
    try:
        cmd_fd, res_fd, out_w = fds
        from .isolation import syscalls

        syscalls.prctl(syscalls.PR_SET_PDEATHSIG, signal.SIGKILL)  # dies with the zygote, which dies with the grader
        if os.getppid() != zygote_pid:  # the zygote died before we could ask to die with it
            os._exit(70)
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        sock.close()
        for fd in wake_fds:
            os.close(fd)
        os.setsid()
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out_w, 1)
        os.dup2(out_w, 2)
        os.close(null)
        os.close(out_w)
        os.closerange(3, min(cmd_fd, res_fd))
        os.closerange(max(cmd_fd, res_fd) + 1, 1 << 16)
        for fd in range(min(cmd_fd, res_fd) + 1, max(cmd_fd, res_fd)):
            try:
                os.close(fd)
            except OSError:
                pass
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        from . import child

        code = child.main([str(cmd_fd), str(res_fd)])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - the fork must never return into the zygote's loop
        import traceback

        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code if isinstance(code, int) else 1)


def _warm_torch() -> None:
    """One thread, then one tiny training step: torch loads much of itself on first use (building an optimizer
    imports ``torch._dynamo``, several seconds of CPU), which every fork then finds done. Nothing random of this
    reaches a submission: the child seeds every generator before the first cell."""
    import torch
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Dropout(0.1), torch.nn.Linear(4, 2))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    data = DataLoader(TensorDataset(torch.zeros(4, 2), torch.zeros(4, dtype=torch.int64)), batch_size=2)
    for x, y in data:
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    with torch.no_grad():
        model.eval()(torch.zeros(1, 2)).argmax(dim=1)


def serve(sock_fd: int, grader_pid: int, modules: list[str]) -> int:
    """Import ``modules``, say ready, then fork a child per request and report how each one ended."""
    from .isolation import syscalls

    syscalls.prctl(syscalls.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != grader_pid:  # the grader died before we could ask to die with it
        return 70
    t0 = time.process_time()
    for name in modules:
        __import__(name)
    from . import child, protocol, sandbox  # noqa: F401 - what every fork runs, loaded once (none of it acts on import)
    from .isolation import boot  # noqa: F401
    if "torch" in sys.modules:
        _warm_torch()
    seconds = time.process_time() - t0
    gc.freeze()  # what is loaded now stays out of every fork's garbage collections: they do not copy its pages
    sock = socket.socket(fileno=sock_fd)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    threads = len(os.listdir("/proc/self/task"))
    sock.sendall(json.dumps({"ready": True, "threads": threads, "seconds": seconds}).encode() + b"\n")
    live: set[int] = set()
    while True:
        try:
            ready, _, _ = select.select([sock, wake_r], [], [])
        except InterruptedError:
            continue
        if wake_r in ready:
            try:
                while os.read(wake_r, 512):
                    pass
            except BlockingIOError:
                pass
            for pid in list(live):
                info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG)
                if info is not None:
                    live.discard(pid)
                    sock.sendall(json.dumps({"exit": pid, "returncode": _returncode(info)}).encode() + b"\n")
        if sock in ready:
            data, fds, _, _ = socket.recv_fds(sock, 1 << 20, 8)
            if not data:
                return 0  # the grader closed the channel: its children die with us (PR_SET_PDEATHSIG)
            if len(fds) != 3:
                for fd in fds:
                    os.close(fd)
                sock.sendall(json.dumps({"forked": 0, "error": "a malformed request"}).encode() + b"\n")
                continue
            req = json.loads(data)
            me = os.getpid()
            try:
                pid = os.fork()
            except OSError as err:
                for fd in fds:
                    os.close(fd)
                sock.sendall(json.dumps({"forked": 0, "error": str(err)}).encode() + b"\n")
                continue
            if pid == 0:
                _become_child(sock, (wake_r, wake_w), req["cwd"], req["env"], fds, me)
            for fd in fds:
                os.close(fd)
            live.add(pid)
            sock.sendall(json.dumps({"forked": pid}).encode() + b"\n")


if __name__ == "__main__":
    sys.exit(serve(int(sys.argv[1]), int(sys.argv[2]), [m for m in sys.argv[3].split(",") if m]))
