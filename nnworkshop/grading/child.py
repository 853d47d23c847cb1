"""The submission's side of grading: a fresh Python process that runs cells and calls functions.

Started by the grader as ``python -m nnworkshop.grading.child CMD_FD RESULT_FD``. It sets its limits,
imports numpy (and torch when the notebook uses it), fixes the seeds, installs the audit hook
(``sandbox.install``) and only then runs submitted code. It holds no answers and no hidden checks: it is
sent inputs, calls the learner's functions and sends back plain numbers and arrays, which the parent
judges. Nothing here can award points.
"""

from __future__ import annotations

import os
import sys
import traceback
import types


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def to_plain(x, depth: int = 0):
    """A learner's return value as plain data: None, bool, int, float, str, lists, dicts of str, and
    float64/int64 base-class ndarrays. Anything else (custom objects, object arrays) is refused, so no
    ``__eq__``, ``__array__`` or ``__float__`` of the learner's is trusted or even called."""
    import numpy as np

    if depth > 8:
        raise TypeError("the value is nested too deeply")
    if x is None or type(x) in (bool, int, float, str):
        return x
    if type(x) in (tuple, list):
        return [to_plain(v, depth + 1) for v in x]
    if type(x) is dict:
        return {str(k): to_plain(v, depth + 1) for k, v in x.items()}
    if isinstance(x, (np.floating, np.integer, np.bool_)) and type(x).__module__ == "numpy":
        x = np.asarray(x)
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        x = torch.Tensor.numpy(torch.Tensor.cpu(torch.Tensor.detach(x)))
    if not isinstance(x, np.ndarray):
        raise TypeError(type(x).__name__)
    a = np.ndarray.view(x, np.ndarray)  # the plain data under any subclass, without calling its methods
    if a.dtype.kind in "iub":
        return np.array(a, dtype=np.int64)
    if a.dtype.kind != "f":
        raise TypeError(f"an array of {a.dtype}")
    return np.array(a, dtype=np.float64)


def _model(weights, p_drop=None):
    import torch

    w1, b1, w2, b2 = (torch.tensor(w, dtype=torch.float32) for w in weights)
    layers = [torch.nn.Linear(w1.shape[1], w1.shape[0]), torch.nn.ReLU()]
    if p_drop is not None:
        layers.append(torch.nn.Dropout(p_drop))
    layers.append(torch.nn.Linear(w2.shape[1], w2.shape[0]))
    model = torch.nn.Sequential(*layers)
    with torch.no_grad():
        for p, w in zip(model.parameters(), (w1, b1, w2, b2)):
            p.copy_(w)
    return model


def _adapter_plain(fn, args, kw):
    return fn(*args, **kw)


def _adapter_strict(fn, args, kw):
    """As ``plain``, with numpy's overflow, invalid-value and divide-by-zero warnings raised as errors (as the
    public checks do for the stability questions)."""
    import numpy as np

    with np.errstate(over="raise", invalid="raise", divide="raise"):
        return fn(*args, **kw)


def _adapter_numgrad(fn, args, kw):
    """``[the gradient, x after the call]``: the parent also checks that ``x`` was left as it was given."""
    import numpy as np

    c, x = args
    grad = fn(lambda z: float(np.sum(c * np.sin(z)) + 0.5 * np.sum(z * z)), x, **kw)
    return grad if grad is Ellipsis else [grad, x]  # ``...``: not written yet, said as for any other function


def _adapter_shape(fn, args, kw):
    """``fn(array, shape)`` with the shape as a tuple (the wire format carries it as a list), as q7's notebook gives it."""
    grad, shape = args
    return fn(grad, tuple(shape))


def _adapter_dropout(fn, args, kw):
    import numpy as np

    x, p, train, seed = args
    return fn(x, p, train=train, rng=np.random.default_rng(seed))


def _adapter_torch_step(fn, args, kw):
    import torch

    weights, x, y, lr, momentum, steps = args
    model = _model(weights)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    xt, yt = torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.int64)
    losses = [fn(model, opt, xt, yt) for _ in range(int(steps))]
    # a float (numpy's float64 too) travels as a float, anything else (a tensor) as an array: the parent can tell
    losses = [float(v) if isinstance(v, float) else v for v in losses]
    return [losses, [p.detach().numpy().copy() for p in model.parameters()]]


def _adapter_torch_eval(fn, args, kw):
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    weights, x, y, batch_size, p_drop = args
    model = _model(weights, p_drop)
    model.train()  # a learner's evaluate must switch to eval mode itself
    ds = TensorDataset(torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.int64))
    return fn(model, DataLoader(ds, batch_size=int(batch_size), shuffle=False))


ADAPTERS = {
    "plain": _adapter_plain,
    "strict": _adapter_strict,
    "numgrad": _adapter_numgrad,
    "dropout": _adapter_dropout,
    "shape": _adapter_shape,
    "torch_step": _adapter_torch_step,
    "torch_eval": _adapter_torch_eval,
}


# The course's answers (the parent's ``grader.ANSWER_MODULES``, sent in the configuration; this list where none
# came): the kernel's wall and the guard keep their files unreadable; refusing the import here as well gives a
# clear message (defence in depth only: code in this process could take the finder out again).
BLOCKED_MODULES = ("nnworkshop.scratch", "nnworkshop.models", "nnworkshop.training")


class _RefuseAnswers:
    """A ``sys.meta_path`` finder that refuses the course's answer modules."""

    def __init__(self, modules):
        self.modules = tuple(modules)

    def blocked(self, name: str) -> bool:
        return any(name == m or name.startswith(m + ".") for m in self.modules)

    def find_spec(self, name, path=None, target=None):
        if self.blocked(name):
            raise ImportError(f"importing {name} is not allowed while grading: write the exercise's code yourself",
                              name=name)
        return None


def refuse_answers(modules=BLOCKED_MODULES) -> None:
    """Forget any of ``modules`` already loaded and refuse to import them from now on."""
    finder = _RefuseAnswers(modules)
    for name in [n for n in sys.modules if finder.blocked(n)]:
        del sys.modules[name]
        parent, _, child = name.rpartition(".")
        if parent in sys.modules and hasattr(sys.modules[parent], child):
            delattr(sys.modules[parent], child)
    sys.meta_path.insert(0, finder)


def _error(exc: BaseException) -> dict:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("<cell")]
    tb = "".join(traceback.format_list(frames[-5:])) + "".join(traceback.format_exception_only(type(exc), exc))
    kind = "exit" if isinstance(exc, SystemExit) else "memory" if isinstance(exc, MemoryError) else "error"
    return {"ok": False, "kind": kind, "ename": type(exc).__name__, "evalue": str(exc)[:500], "tb": tb[-3000:]}


def _display(*objs, **kwargs):
    """Stand-in for IPython's ``display``: prints the repr."""
    for obj in objs:
        print(repr(obj))


GRADING = False  # True in a submission's process (``check()`` then skips a course's own public checks)


def main(argv=None) -> int:
    global GRADING
    GRADING = True
    argv = sys.argv[1:] if argv is None else argv
    cmd_fd, res_fd = int(argv[0]), int(argv[1])
    from .isolation import boot

    cfg = boot.read_config(cmd_fd)
    try:
        applied = boot.enter(cfg)  # from here on: the runner, in its own namespaces
        boot.limits(cfg)
    except OSError as err:
        os.write(2, f"sandbox: {err}\n".encode())
        return 71
    from . import protocol, sandbox

    sys.dont_write_bytecode = True
    os.chdir(cfg["tmpdir"])
    sys.path[:] = [p for p in sys.path if p not in ("", ".", cfg["tmpdir"]) and "solutions" not in p.split(os.sep)]
    import random

    import numpy as np

    for name in cfg.get("preimport", []):
        try:
            __import__(name)
        except Exception:  # a missing optional module is the submission's problem, reported when it runs
            pass
    random.seed(cfg["seed"])
    np.random.seed(cfg["seed"])
    if "torch" in sys.modules:
        import torch

        torch.manual_seed(cfg["seed"])
        torch.set_num_threads(1)
    base_data = _status_kb("VmData") * 1024
    boot.limits(cfg, base_data + int(cfg["memory_mb"]) * 2**20)
    try:
        applied.update(boot.lock_down(cfg))
    except OSError as err:
        protocol.write_message(res_fd, {"ready": False, "error": f"the sandbox could not be locked: {err}"})
        return 71
    refuse_answers(cfg.get("answer_modules", BLOCKED_MODULES))
    if cfg.get("guard", True):
        sandbox.install(cfg["tmpdir"], cfg["protected"], cfg["protected_names"])
    cfg.clear()  # what the grader configured (paths, limits, its pid) stays out of reach of the cells' frames
    main_mod = types.ModuleType("__main__")
    main_mod.__dict__["display"] = _display
    sys.modules["__main__"] = main_mod
    ns = main_mod.__dict__
    protocol.write_message(res_fd, {"ready": True, "rss_kb": _status_kb("VmRSS"), "applied": applied})
    while True:
        try:
            msg = protocol.read_message(cmd_fd)
        except EOFError:
            return 0
        op = msg.get("op")
        if op == "quit":
            return 0
        try:
            if op == "exec":
                try:
                    code = compile(msg["source"], f"<cell {msg['cell']}>", "exec")
                    exec(code, ns)
                    reply = {"ok": True}
                except BaseException as exc:  # noqa: BLE001 - a cell may raise anything, even SystemExit
                    reply = _error(exc)
            elif op == "call":
                fn = ns.get(msg["name"])
                if fn is None:
                    reply = {"ok": False, "kind": "missing", "ename": "NameError", "evalue": f"{msg['name']} is not defined"}
                elif not callable(fn):
                    reply = {"ok": False, "kind": "missing", "ename": "TypeError", "evalue": f"{msg['name']} is not a function"}
                else:
                    try:
                        value = ADAPTERS[msg["adapter"]](fn, msg.get("args", []), msg.get("kw", {}))
                    except BaseException as exc:  # noqa: BLE001
                        reply = _error(exc)
                    else:
                        try:
                            reply = {"ok": True, "value": to_plain(value)}
                        except Exception:  # noqa: BLE001 - the value is the learner's object
                            what = "... (not written yet?)" if value is Ellipsis else f"a {type(value).__name__}"
                            reply = {"ok": False, "kind": "badvalue", "ename": "TypeError",
                                     "evalue": f"returned {what}, not numbers or arrays of numbers"}
            else:
                reply = {"ok": False, "kind": "error", "ename": "ProtocolError", "evalue": f"unknown op {op!r}"}
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:  # noqa: BLE001
                    pass
            protocol.write_message(res_fd, reply)
        except protocol.ProtocolError as exc:
            protocol.write_message(res_fd, {"ok": False, "kind": "error", "ename": "ProtocolError", "evalue": str(exc)})


if __name__ == "__main__":
    sys.exit(main())
