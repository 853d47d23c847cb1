# %% [markdown]
# Threat: reaching past the submission's own folder once the in-process guard is gone: classmates' files,
# a copy of the solutions elsewhere on disk, the hidden test labels, the grader's /proc, the network (TCP,
# UDP, abstract unix sockets), files outside the folder (/tmp, /dev/shm, special files), host secrets, a
# process left behind, signals to other processes. Each attempt prints REACHED or refused.
# tests/test_grading_kernel.py fills in the @@...@@ values, runs this file as a plain script (the attacks
# work) and grades it with the kernel sandbox, with and without the guard (they all fail).

# %%
import _socket
import os
import socket
import sys
import time


def attempt(name, fn):
    try:
        fn()
    except BaseException as err:  # noqa: BLE001
        print(f"{name}: refused ({type(err).__name__})", flush=True)
    else:
        print(f"{name}: REACHED", flush=True)


def read_must(path, needle):
    with open(path, "rb") as f:
        data = f.read()
    if needle not in data:
        raise ValueError("read, but not the secret")


def connect_tcp():
    with socket.create_connection(("127.0.0.1", @@TCP_PORT@@), timeout=2) as s:
        s.sendall(b"LEAK-@@TOKEN@@")


def send_udp():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"LEAK-@@TOKEN@@", ("127.0.0.1", @@UDP_PORT@@))


def connect_abstract():
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(2)
        s.connect("\0nnw-@@TOKEN@@")
        s.sendall(b"LEAK-@@TOKEN@@")


def connect_unix_path():
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(2)
        s.connect("@@UNIX_PATH@@")
        s.sendall(b"LEAK-@@TOKEN@@")


def sendmsg_unix_datagram():
    a, b = _socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    a.sendmsg([b"LEAK-@@TOKEN@@"], [], 0, "@@UNIX_DGRAM@@")


def fchmod_interpreter():
    fd = os.open(sys.executable, os.O_RDONLY)
    os.fchmod(fd, os.fstat(fd).st_mode & 0o7777)  # the same mode: proves the right without changing anything


def write(path, text="PWNED-@@TOKEN@@"):
    with open(path, "a") as f:
        f.write(text)


def scan_proc():
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if b"pytest" in f.read():
                        return
            except OSError:
                pass
    raise LookupError("no grader process visible")


def leave_process():
    if os.fork() == 0:
        os.setsid()
        null = os.open("/dev/null", os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        time.sleep(600)
        os._exit(0)


attempt("classmate's notebook", lambda: read_must("@@CLASSMATE@@", b"CLASSMATE-SECRET"))
attempt("solutions copy", lambda: read_must("@@SOLUTIONS_COPY@@", b"def sigmoid"))
attempt("hidden test labels", lambda: read_must("@@TEST_LABELS@@", b"\x00\x00\x08\x01"))
attempt("grader /proc cmdline", lambda: read_must("/proc/@@GRADER_PID@@/cmdline", b"python"))
attempt("grader in /proc scan", scan_proc)
attempt("host secret", lambda: read_must("@@HOST_SECRET@@", b"HOST-SECRET"))
attempt("tcp to 127.0.0.1", connect_tcp)
attempt("udp to 127.0.0.1", send_udp)
attempt("abstract unix socket", connect_abstract)
attempt("write /tmp", lambda: write("@@OUTSIDE@@"))
attempt("write /dev/shm", lambda: write("/dev/shm/nnw-@@TOKEN@@"))
attempt("overwrite classmate", lambda: write("@@CLASSMATE@@"))
attempt("fifo outside", lambda: os.mkfifo("@@OUTSIDE@@.fifo"))
attempt("unix socket of the host", connect_unix_path)
attempt("unix datagram via sendmsg", sendmsg_unix_datagram)
attempt("chmod classmate", lambda: os.chmod("@@CLASSMATE@@", 0o666))
attempt("utime classmate", lambda: os.utime("@@CLASSMATE@@", (1e9, 1e9)))
attempt("setxattr classmate", lambda: os.setxattr("@@CLASSMATE@@", "user.pwned", b"1"))
attempt("fchmod the interpreter", fchmod_interpreter)
attempt("stat the solutions", lambda: os.stat("@@SOLUTIONS_COPY@@"))
attempt("signal another process", lambda: os.kill(@@VICTIM_PID@@, 9))
attempt("leave a process behind", leave_process)
