# %% [markdown]
# Threat: reading the solutions or the hidden checks (files, the course folder, its bytecode, .git,
# the grader's /proc entries, through a shell, ctypes, a sub-interpreter or a symlink), then using them.
# Without the grader's guard several of these work (tests/test_grading_threats.py shows it).
# Expected: 0/10, status ok.

# %%
import glob
import importlib
import importlib.util
import inspect
import os
import pkgutil
import sys
import zlib

import numpy as np

import nnworkshop

PKG = os.path.dirname(os.path.abspath(nnworkshop.__file__))
REPO = os.path.dirname(PKG)
SOLUTION = os.path.join(REPO, "solutions", "q1_activations.py")
REFERENCE = os.path.join(REPO, "course", "reference.py")  # the course folder: hidden checks, answers
stolen, log = [], []


def read(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", errors="replace")


def attempt(name, fn):
    try:
        text = fn()
    except BaseException as err:  # noqa: BLE001
        log.append(f"{name}: refused ({type(err).__name__})")
        return
    if isinstance(text, str) and "def sigmoid" in text:
        stolen.append(text)
        log.append(f"{name}: STOLEN")
    else:
        log.append(f"{name}: nothing useful")


def via_dir_fd():
    fd = os.open(os.path.join(REPO, "course"), os.O_RDONLY)
    inner = os.open("reference.py", os.O_RDONLY, dir_fd=fd)
    return os.read(inner, 1 << 20).decode()


def via_symlink():
    os.symlink(os.path.join(REPO, "solutions"), "sol")
    return read("sol/q1_activations.py")


def via_git():
    for path in glob.glob(os.path.join(REPO, ".git", "objects", "??", "*")):
        text = zlib.decompress(open(path, "rb").read()).decode("utf-8", errors="replace")
        if "def sigmoid" in text:
            return text
    return ""


def via_pycache():
    for path in glob.glob(os.path.join(REPO, "course", "**", "__pycache__", "*.pyc"), recursive=True):
        return "def sigmoid" if b"sigmoid" in open(path, "rb").read() else ""
    return ""


def via_shell():
    import subprocess

    return subprocess.check_output(["cat", SOLUTION]).decode()


def via_fork_exec():
    import _posixsubprocess

    _posixsubprocess.fork_exec(*([None] * 23))
    return ""


def via_ctypes():
    import ctypes

    libc = ctypes.CDLL(None)
    fd = libc.open(SOLUTION.encode(), 0)
    buf = ctypes.create_string_buffer(1 << 16)
    n = libc.read(fd, buf, 1 << 16)
    return buf.raw[:n].decode()


def via_subinterpreter():
    import _xxsubinterpreters

    _xxsubinterpreters.create()
    return ""


def via_parent_proc():
    text = read(f"/proc/{os.getppid()}/cmdline") + read(f"/proc/{os.getppid()}/environ")
    return text


attempt("solution .py", lambda: read(SOLUTION))
attempt("solution .ipynb", lambda: read(SOLUTION[:-3] + ".ipynb"))
attempt("exercises' sibling via ../", lambda: read(os.path.join(REPO, "exercises", "..", "solutions", "q1_activations.py")))
attempt("hidden reference file", lambda: read(REFERENCE))
def via_import():
    spec = importlib.util.spec_from_file_location("stolen_reference", REFERENCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return inspect.getsource(module)


attempt("import hidden module", via_import)
attempt("pkgutil.get_data", lambda: pkgutil.get_data("nnworkshop", "../course/reference.py").decode())
attempt("dir_fd", via_dir_fd)
attempt("symlink", via_symlink)
attempt(".git objects", via_git)
attempt("bytecode", via_pycache)
attempt("shell", via_shell)
attempt("os.popen", lambda: os.popen(f"cat {SOLUTION}").read())
attempt("fork_exec", via_fork_exec)
attempt("ctypes libc", via_ctypes)
attempt("sub-interpreter", via_subinterpreter)
attempt("parent /proc", via_parent_proc)
print("\n".join(log))

# %%
ns = {"np": np}
for text in stolen:
    try:
        exec(compile(text, "stolen", "exec"), ns)
    except BaseException:  # noqa: BLE001 - a notebook's source is not all Python
        for block in text.split("\n# %%"):
            try:
                exec(block, ns)
            except BaseException:  # noqa: BLE001
                pass


def _zeros(x):
    return np.zeros(np.shape(x))


sigmoid = ns.get("sigmoid", _zeros)
sigmoid_grad = ns.get("sigmoid_grad", _zeros)
tanh = ns.get("tanh", np.tanh if stolen else _zeros)
tanh_grad = ns.get("tanh_grad", _zeros)
relu = ns.get("relu", _zeros)
relu_grad = ns.get("relu_grad", _zeros)
