"""``nnworkshop bench --grading``: what the kernel sandbox costs, per layer and for a whole batch.

Per layer (median of ``--repeat`` tries, each in a fresh forked process): entering the namespaces (user, PID,
network, mount, IPC, UTS, cgroup; with the fresh /proc and tmpfs mounts), applying the Landlock policy, and
creating, joining and removing a cgroup. Per batch: the same honest submissions (the course's solutions,
copied to the requested count) graded with the sandbox on and off, alternately, in one process; the ratio
of the medians is the sandbox's cost. Prepared processes: a batch of honest submissions (half q1, half q4) graded
with each submission forked from a process that has already loaded numpy and torch (``zygote``) and with a cold
start of Python per submission, alternately, beside what one cold start costs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from . import isolation
from .isolation import cgroup, landlock, namespaces, policy

REPO = Path(__file__).resolve().parents[2]


def _forked_ms(step) -> float:
    """Milliseconds ``step()`` takes in a fresh forked process (which exits right after)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        t0 = time.perf_counter()
        try:
            step()
            ms = (time.perf_counter() - t0) * 1e3
        except OSError:
            ms = -1.0
        os.write(w, f"{ms}".encode())
        os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 64):
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    return float(data or b"-1")


def layer_costs(repeat: int = 5) -> dict:
    """Median milliseconds per layer, where the layer is available here."""
    folder = tempfile.mkdtemp(prefix="nnw-bench-")
    rules = policy.rules(folder, [], [])
    out = {}
    try:
        parent = os.getpid()
        read, hide = policy.mounts([], [])
        tries = {"namespaces": lambda: namespaces.enter(parent, folder, 16, read, hide),
                 "landlock": lambda: landlock.restrict(rules)}
        for name, step in tries.items():
            times = [_forked_ms(step) for _ in range(repeat)]
            out[name] = statistics.median(times) if min(times) >= 0 else None
        version, _ = cgroup.available()
        if version:
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                group = cgroup.Cgroup(version, 1 << 30, 64)
                pid = os.fork()
                if pid == 0:
                    time.sleep(0.05)
                    os._exit(0)
                group.add(pid)
                os.waitpid(pid, 0)
                group.remove()
                times.append((time.perf_counter() - t0) * 1e3 - 50.0)
            out["cgroup"] = max(statistics.median(times), 0.0)
        else:
            out["cgroup"] = None
        out["rules"] = len(rules)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return out


def honest_batch(folder: Path, count: int, exercises=("q1_activations", "q4_torch_training")) -> list[Path]:
    """``count`` copies of the course's solutions (alternating ``exercises``), in ``folder``."""
    paths = []
    for i in range(count):
        name = exercises[i % len(exercises)]
        path = folder / f"learner{i:03d}_{name}.ipynb"
        shutil.copyfile(REPO / "solutions" / f"{name}.ipynb", path)
        paths.append(path)
    return paths


def batch_costs(count: int, workers: int, rounds: int, log=print) -> dict:
    """Seconds to grade ``count`` honest submissions with the sandbox on and off (alternating, ``rounds`` each)."""
    from .grader import Options, grade

    folder = Path(tempfile.mkdtemp(prefix="nnw-bench-subs-"))
    try:
        paths = honest_batch(folder, count)
        times: dict = {"kernel": [], "guard-only": []}
        for r in range(rounds):
            for mode in ("guard-only", "kernel") if r % 2 == 0 else ("kernel", "guard-only"):
                t0 = time.perf_counter()
                results = grade(paths, Options(isolation=mode, seed=r), workers=workers)
                seconds = time.perf_counter() - t0
                bad = [x for x in results if x is None or x.total != x.max_total]
                if bad:
                    raise RuntimeError(f"an honest submission lost marks with isolation={mode}: {bad[0]}")
                times[mode].append(seconds)
                log(f"  round {r + 1}: {mode:<10} {seconds:6.1f} s")
        on, off = statistics.median(times["kernel"]), statistics.median(times["guard-only"])
        return {"submissions": count, "workers": workers, "rounds": rounds, "kernel_s": on, "guard_only_s": off,
                "ratio": on / off, "all": times}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


COLD_STEPS = {
    "import": "import numpy, torch, torch.utils.data",
    "first_step": "import numpy; from nnworkshop.grading.zygote import _warm_torch; _warm_torch()",
}


def cold_start_cost(repeat: int = 3) -> dict:
    """Median wall and CPU seconds of what forking a prepared process saves a torch submission: starting Python and
    importing numpy and torch (``import``), and that plus torch's first training step, which loads
    ``torch._dynamo`` (``first_step``, what the prepared process does). CPU: the child's user + system time."""
    import resource
    import subprocess

    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    out = {}
    for name, code in COLD_STEPS.items():
        walls, cpus = [], []
        for _ in range(repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-s", "-c", code], check=True, env=env)
            walls.append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        out[name] = {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus)}
    return out


def prepared_costs(count: int, workers: int, rounds: int, log=print) -> dict:
    """Seconds to grade ``count`` honest submissions (half q1, half q4) forked from prepared processes and with a
    cold start each (alternating, ``rounds`` each), with the kernel sandbox where it is available."""
    from .grader import Options, grade

    mode = "kernel" if not isolation.missing(isolation.probe()) else "guard-only"
    folder = Path(tempfile.mkdtemp(prefix="nnw-bench-subs-"))
    try:
        paths = honest_batch(folder, count)
        times: dict = {"prepared": [], "cold": []}
        for r in range(rounds):
            for prepared in (True, False) if r % 2 == 0 else (False, True):
                t0 = time.perf_counter()
                results = grade(paths, Options(isolation=mode, seed=r, prepared=prepared), workers=workers)
                seconds = time.perf_counter() - t0
                bad = [x for x in results if x is None or x.total != x.max_total]
                if bad:
                    raise RuntimeError(f"an honest submission lost marks with prepared={prepared}: {bad[0]}")
                times["prepared" if prepared else "cold"].append(seconds)
                log(f"  round {r + 1}: {'prepared' if prepared else 'cold start':<10} {seconds:6.1f} s")
        warm, cold = statistics.median(times["prepared"]), statistics.median(times["cold"])
        return {"submissions": count, "workers": workers, "rounds": rounds, "isolation": mode, "prepared_s": warm,
                "cold_s": cold, "ratio": warm / cold, "all": times}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="nnworkshop bench --grading", description=__doc__.split("\n\n")[0])
    p.add_argument("--grading", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--submissions", type=int, default=20, help="honest submissions in the batch (default 20)")
    p.add_argument("--workers", type=int, default=2, help="submissions graded at once (default 2)")
    p.add_argument("--rounds", type=int, default=2, help="batches graded each way, alternating (default 2)")
    p.add_argument("--repeat", type=int, default=5, help="tries per layer and per cold start (default 5)")
    p.add_argument("--compare", choices=("all", "sandbox", "prepared"), default="all",
                   help="sandbox: on vs off; prepared: forked from a prepared process vs a cold start (default all)")
    p.add_argument("--batch", type=int, default=40,
                   help="honest submissions (half q1, half q4) for the prepared vs cold comparison (default 40)")
    p.add_argument("--json", action="store_true", help="print JSON")
    args = p.parse_args(argv)
    lacking = isolation.missing(isolation.probe())
    if lacking:
        print("nnworkshop bench --grading: the kernel sandbox is not available here: " + "; ".join(lacking),
              file=sys.stderr)
        return 2
    log = (lambda text: None) if args.json else (lambda text: print(text, file=sys.stderr, flush=True))
    log(f"layers: {isolation.describe(isolation.probe())}")
    out: dict = {}
    if args.compare in ("all", "sandbox"):
        out["layers_ms"] = layer_costs(args.repeat)
        log(f"grading {args.submissions} honest submissions, sandbox on and off, {args.rounds} round(s) each")
        out["batch"] = batch_costs(args.submissions, args.workers, args.rounds, log)
    if args.compare in ("all", "prepared"):
        out["cold_start"] = cold_start_cost(args.repeat)
        log(f"grading {args.batch} honest submissions, prepared and cold, {args.rounds} round(s) each")
        out["prepared"] = prepared_costs(args.batch, args.workers, args.rounds, log)
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    fmt = lambda ms: "n/a" if ms is None else f"{ms:.1f} ms"  # noqa: E731
    if "batch" in out:
        layers, batch = out["layers_ms"], out["batch"]
        print(f"per submission: namespaces {fmt(layers['namespaces'])}, landlock {fmt(layers['landlock'])} "
              f"({layers['rules']} rules), cgroup {fmt(layers['cgroup'])}")
        print(f"{batch['submissions']} honest submissions, {batch['workers']} workers: sandbox on {batch['kernel_s']:.1f} s, "
              f"off (guard only) {batch['guard_only_s']:.1f} s: {batch['ratio']:.2f}x")
    if "prepared" in out:
        cold, prep = out["cold_start"], out["prepared"]
        print(f"cold start per submission: Python + numpy + torch {cold['import']['cpu_s']:.2f} s CPU "
              f"({cold['import']['wall_s']:.2f} s wall); with torch's first training step (torch._dynamo) "
              f"{cold['first_step']['cpu_s']:.2f} s CPU ({cold['first_step']['wall_s']:.2f} s wall)")
        print(f"{prep['submissions']} honest submissions (q1, q4), {prep['workers']} workers, {prep['isolation']}: "
              f"prepared {prep['prepared_s']:.1f} s, cold start {prep['cold_s']:.1f} s: {prep['ratio']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
