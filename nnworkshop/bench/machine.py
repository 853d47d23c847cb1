"""Facts of the machine the benchmark reports: CPU, thread counts (and setting them), the import cost."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys

# Modules whose import cost is measured on top of ``import torch, torchvision``.
IMPORT_MODULES = ("nnworkshop", "nnworkshop.scratch", "nnworkshop.models", "nnworkshop.training", "nnworkshop.data")


_IMPORT_PROBE = """
import json, sys, time
t0 = time.perf_counter()
import torch, torchvision
t1 = time.perf_counter()
for name in sys.argv[1:]:
    __import__(name)
t2 = time.perf_counter()
import nnworkshop.scratch
print(json.dumps({"torch_torchvision_s": t1 - t0, "nnworkshop_s": t2 - t1}))
"""

_SCRATCH_PROBE = """
import json, sys, time
t0 = time.perf_counter()
import nnworkshop.scratch
t1 = time.perf_counter()
print(json.dumps({"scratch_s": t1 - t0, "torch_imported": "torch" in sys.modules}))
"""


def import_cost(repeats: int = 3, modules=IMPORT_MODULES) -> dict:
    """Seconds to ``import torch, torchvision`` and then, on top, ``import`` each of ``modules``, in fresh
    Python processes (median of ``repeats``); and whether ``import nnworkshop.scratch`` alone imports torch."""
    def probe(code, *args):
        out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    runs = [probe(_IMPORT_PROBE, *modules) for _ in range(repeats)]
    scratch_only = probe(_SCRATCH_PROBE)
    return {
        "torch_torchvision_s": statistics.median(r["torch_torchvision_s"] for r in runs),
        "nnworkshop_s": statistics.median(r["nnworkshop_s"] for r in runs),
        "modules": list(modules),
        "repeats": repeats,
        "scratch_alone_s": scratch_only["scratch_s"],
        "scratch_imports_torch": scratch_only["torch_imported"],
    }


def _openblas_calls(action: str) -> list:
    """NumPy's OpenBLAS ``get``/``set_num_threads`` functions, found in the libraries this process has loaded
    (Linux only; empty where none is found, e.g. NumPy built on Accelerate or MKL)."""
    import ctypes

    try:
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f if "openblas" in line.lower() and ".so" in line})
    except OSError:
        return []
    calls = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                fn = getattr(lib, f"{prefix}_{action}_num_threads{suffix}", None)
                if fn is not None:
                    calls.append(fn)
                    break
            else:
                continue
            break
    return calls


def numpy_blas_threads() -> int | None:
    """Threads NumPy's OpenBLAS uses (``None`` where it cannot be asked)."""
    calls = _openblas_calls("get")
    return int(calls[0]()) if calls else None


def set_threads(n: int) -> dict:
    """Use ``n`` threads in torch (``torch.set_num_threads``) and in NumPy's OpenBLAS; return ``_threads()``.

    At batch 64 the matrix products are small: on a 2-core machine shared with other work, threads
    that wait for each other can cost more than they save, which is what ``--threads 1`` shows.
    """
    import torch

    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"threads must be a whole number >= 1, got {n!r}.")
    torch.set_num_threads(n)
    for fn in _openblas_calls("set"):
        fn(n)
    return _threads()


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _threads() -> dict:
    import torch

    env = {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
           if k in os.environ}
    return {"cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "numpy_blas_threads": numpy_blas_threads(), "env": env}
