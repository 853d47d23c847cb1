"""The no-userns wall: what a grader gets where user namespaces are refused (Ubuntu 24.04, Docker's default profile).

Each attack here works with no wall and the guard off (``--isolation=guard-only`` once submitted code has switched
the guard off) and fails behind the no-userns wall with the guard off too: reading the solutions and the real test
labels, and a process left behind that rewrites the grades after grading. The layers are checked one by one: the
seccomp filter, a user of its own (where the grader is root), and that a grader started where user namespaces are
refused picks this wall by itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nnworkshop.grading import isolation
from nnworkshop.grading.grader import Options, grade

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ANSWERS = (HERE / "submissions" / "kernel" / "_answers.py").read_text(encoding="utf-8")
LACKS = isolation.missing(isolation.probe(), "no-userns")
pytestmark = pytest.mark.skipif(bool(LACKS), reason=f"the no-userns wall cannot be built here: {LACKS}")

ATTACK = ANSWERS + '''
# %%
import os, time


def attempt(name, fn):
    try:
        fn()
    except BaseException as err:  # noqa: BLE001
        print(f"{name}: refused ({type(err).__name__})", flush=True)
    else:
        print(f"{name}: REACHED", flush=True)


def read_must(path, needle):
    with open(path, "rb") as f:
        if needle not in f.read():
            raise ValueError("read, but not the secret")


def linger():
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            null = os.open("/dev/null", os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            for _ in range(400):  # until the grader has written its grades, then rewrite them
                time.sleep(0.05)
                if os.path.exists("@@GRADES@@"):
                    time.sleep(0.3)
                    with open("@@GRADES@@", "w") as f:
                        f.write("submission,total\\nme,100\\n")
                    break
        finally:
            os._exit(0)


attempt("solutions", lambda: read_must("@@SOLUTIONS@@", b"def sigmoid"))
attempt("real test labels", lambda: read_must("@@TEST_LABELS@@", b"\\x00\\x00\\x08\\x01"))
attempt("leave a process behind", linger)
'''


def _graded(tmp_path: Path, data: Path, isolation_mode: str) -> tuple[str, str]:
    grades = tmp_path / "grades.csv"
    sub = tmp_path / "attack.py"
    sub.write_text(ATTACK.replace("@@GRADES@@", str(grades))
                   .replace("@@SOLUTIONS@@", str(REPO / "solutions" / "q1_activations.py"))
                   .replace("@@TEST_LABELS@@", str(data / "MNIST" / "raw" / "t10k-labels-idx1-ubyte")))
    (r,) = grade([sub], Options(exercise="q1", cell_timeout=20, timeout=60, memory_mb=300, guard=False,
                                isolation=isolation_mode, data_root=str(data)))
    grades.write_text(f"submission,total\n{sub},{r.total}\n")  # what the grader writes once the batch is done
    time.sleep(2)
    return r.output, grades.read_text(encoding="utf-8")


def test_with_no_wall_and_the_guard_off_every_attack_works(tmp_path, synthetic_mnist_root):
    out, grades = _graded(tmp_path, synthetic_mnist_root, "guard-only")
    for name in ("solutions", "real test labels", "leave a process behind"):
        assert f"{name}: REACHED" in out, out
    assert grades == "submission,total\nme,100\n", "the process left behind did not rewrite the grades"


def test_behind_the_no_userns_wall_every_attack_fails(tmp_path, synthetic_mnist_root):
    out, grades = _graded(tmp_path, synthetic_mnist_root, "no-userns")
    for name in ("solutions", "real test labels", "leave a process behind"):
        assert f"{name}: refused" in out, out
    assert grades.endswith(",10.0\n"), grades


def test_guard_only_is_reported_as_no_wall():
    text = isolation.describe({}, None)
    assert "NOT a wall" in text and "switch" in text


SECCOMP_PROBE = textwrap.dedent('''
    import errno, os, socket, sys
    from nnworkshop.grading.isolation import seccomp, syscalls
    seccomp.confine()
    def tries(name, fn):
        try:
            fn()
        except OSError as err:
            print(name, errno.errorcode.get(err.errno, err.errno))
        else:
            print(name, "ALLOWED")
    tries("tcp", lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))
    tries("unix", lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    tries("netlink", lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0))
    tries("datagram pair", lambda: socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM))
    tries("stream pair", lambda: socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM))
    tries("fork", os.fork)
    tries("setsid", os.setsid)
    tries("user namespace", lambda: syscalls.unshare(syscalls.CLONE_NEWUSER))
    tries("mount namespace", lambda: syscalls.unshare(syscalls.CLONE_NEWNS))
    tries("chmod", lambda: os.chmod(sys.argv[1], 0o600))
    tries("utime", lambda: os.utime(sys.argv[1], (1, 1)))
    import threading
    t = threading.Thread(target=lambda: print("thread ran"))
    t.start(); t.join()
''')


def test_the_seccomp_filter_refuses_what_it_says_and_allows_threads(tmp_path):
    target = tmp_path / "f"
    target.write_text("x")
    before = subprocess.run([sys.executable, "-c", SECCOMP_PROBE.replace("seccomp.confine()", "pass"), str(target)],
                            capture_output=True, text=True, timeout=60)
    assert "tcp ALLOWED" in before.stdout and "chmod ALLOWED" in before.stdout, before.stdout + before.stderr
    after = subprocess.run([sys.executable, "-c", SECCOMP_PROBE, str(target)], capture_output=True, text=True,
                           timeout=60)
    lines = after.stdout.splitlines()
    for name in ("tcp", "unix", "netlink", "datagram pair", "fork", "setsid", "user namespace", "mount namespace",
                 "chmod", "utime"):
        assert f"{name} EPERM" in lines, (name, after.stdout, after.stderr)
    assert "stream pair ALLOWED" in lines and "thread ran" in lines, after.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a process a user of its own")
def test_a_user_of_its_own_closes_the_graders_files_and_processes(tmp_path):
    """``identity.become``: a 0600 file of the grader's, a signal to the grader's process and becoming root again
    all fail; before the drop the same process could do all three."""
    secret = tmp_path / "secret"
    secret.write_text("GRADER-ONLY")
    secret.chmod(0o600)
    os.chmod(tmp_path, 0o711)
    victim = subprocess.Popen(["sleep", "60"])
    code = textwrap.dedent(f'''
        import os, signal
        from nnworkshop.grading.isolation import identity
        def tries(name, fn):
            try:
                fn()
            except OSError as err:
                print(name, "refused", type(err).__name__)
            else:
                print(name, "REACHED")
        tries("read before", lambda: open({str(secret)!r}).read())
        tries("signal before", lambda: os.kill({victim.pid}, 0))
        identity.become(identity.pick(), os.getppid())
        tries("read", lambda: open({str(secret)!r}).read())
        tries("signal", lambda: os.kill({victim.pid}, 0))
        tries("root again", lambda: os.setuid(0))
        print("uid", os.getuid(), os.getgid(), os.getgroups())
    ''')
    try:
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    finally:
        victim.kill()
        victim.wait()
    out = proc.stdout
    assert "read before REACHED" in out and "signal before REACHED" in out, out + proc.stderr
    for name in ("read", "signal", "root again"):
        assert f"{name} refused PermissionError" in out, out + proc.stderr
    uid = int(out.split("uid ")[1].split()[0])
    assert uid >= 2_000_000_000 and f"uid {uid} {uid} []" in out


def test_a_grader_where_user_namespaces_are_refused_picks_the_no_userns_wall():
    code = ("import json; from nnworkshop.grading import isolation; r = isolation.probe(); "
            "print(json.dumps([r['namespaces'], isolation.choose(r), isolation.describe(r), r['user']]))")
    proc = subprocess.run([sys.executable, str(HERE / "nouserns.py"), "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    namespaces, wall, text, user = __import__("json").loads(proc.stdout.splitlines()[-1])
    assert namespaces.startswith("unavailable") and "not permitted" in namespaces
    assert wall == "no-userns"
    assert text.startswith("no user namespaces: ") and "seccomp" in text and "landlock ABI" in text
    assert ("a user of its own" in text) == (user == "own"), (text, user)


def _python_under_root() -> str | None:
    """The folder right under /root that holds Python, when /root is what keeps submissions from a user of their own."""
    why = isolation.probe().get("user", "")
    prefix = os.path.realpath(sys.base_prefix)
    if "/root is closed" in why and prefix.startswith("/root/"):
        return "/root/" + prefix.split("/")[2]
    return None


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a process a user of its own")
def test_behind_the_wall_with_a_user_of_its_own(tmp_path, synthetic_mnist_root):
    """The whole no-userns wall with its own-user layer, graded end to end: where this machine's Python lies in
    /root (closed to other users), in a mount namespace of the test's own where /root is open (tests/openroot.sh)."""
    keep = _python_under_root()
    if isolation.probe().get("user") != "own" and (keep is None or shutil.which("unshare") is None):
        pytest.skip(f"no user of its own here: {isolation.probe().get('user')}")
    grades = tmp_path / "grades.csv"
    sub = tmp_path / "attack.py"
    sub.write_text(ATTACK.replace("@@GRADES@@", str(grades))
                   .replace("@@SOLUTIONS@@", str(REPO / "solutions" / "q1_activations.py"))
                   .replace("@@TEST_LABELS@@", str(synthetic_mnist_root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte")))
    code = textwrap.dedent(f'''
        import json, os
        from nnworkshop.grading import isolation
        from nnworkshop.grading.grader import Options, grade
        assert isolation.probe()["user"] == "own", isolation.probe()
        rs = grade([{str(sub)!r}, {str(REPO / "solutions" / "q1_activations.ipynb")!r}],
                   Options(exercise="q1", cell_timeout=20, timeout=60, memory_mb=300, guard=False,
                           isolation="no-userns", data_root={str(synthetic_mnist_root)!r}))
        print(json.dumps([[r.status, r.total, r.isolation, r.output] for r in rs]))
    ''')
    wrap = ["unshare", "-m", "--propagation", "private", str(HERE / "openroot.sh")] if keep else []
    hold = tmp_path / "hold"
    hold.mkdir()
    proc = subprocess.run([*wrap, sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OPENROOT_KEEP": keep or "", "OPENROOT_HOLD": str(hold)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    (attack, honest) = __import__("json").loads(proc.stdout.splitlines()[-1])
    assert "a user of its own" in attack[2], attack[2]
    for name in ("solutions", "real test labels", "leave a process behind"):
        assert f"{name}: refused" in attack[3], attack[3]
    assert honest[:2] == ["ok", 10.0] and attack[:2] == ["ok", 10.0]
