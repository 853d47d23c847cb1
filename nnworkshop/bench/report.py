"""``nnworkshop bench``: run the contenders interleaved, print the table (or JSON), the command line."""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
from dataclasses import asdict

import numpy as np

from ..speed import busy, race
from ..timing import DEFAULT_EPOCHS, time_interleaved
from .contenders import (CONTENDERS, DEFAULT_SAMPLES, gemm_flops, gemm_floor_numpy_runner, gemm_floor_torch_runner,
                         load_data, numpy_runner, original_runner, torch_runner)
from .machine import _cpu_name, _threads, import_cost, set_threads

DEFAULT_BATCH = 64


def run_bench(samples: int = DEFAULT_SAMPLES, epochs: int = DEFAULT_EPOCHS, batch_size: int = DEFAULT_BATCH,
              device=None, root=None, synthetic: bool = False, seed: int = 0, only=None,
              imports: bool = True, log=None, fit_options=None, threads: int | None = None) -> dict:
    """Run the benchmark and return its results as a JSON-ready dict (``format_report`` prints it).

    ``only``: a subset of 'a', 'b', 'c', 'd', 'd_numpy' to run (default all). ``log(text)`` is told
    what is running. ``fit_options`` pass through to ``nnworkshop.training.fit`` for (b). ``threads``:
    set torch's and NumPy's BLAS thread counts first (default: leave them as they are).
    """
    import torch

    if threads is not None:
        set_threads(threads)

    from ..device import explain_device
    from ..validate import check_batch_size, check_epochs

    log = log or (lambda text: None)
    epochs = check_epochs(epochs)
    device_name, device_reason = explain_device(device)
    device = torch.device(device_name)
    only = list(CONTENDERS) if only is None else [k for k in CONTENDERS if k in set(only)]
    bench_data = load_data(samples, root=root, synthetic=synthetic, seed=seed)
    batch_size = check_batch_size(batch_size, bench_data.samples)
    log(f"data: {bench_data.note}")

    runners = {
        "a": lambda: original_runner(bench_data, batch_size, device, seed),
        "b": lambda: torch_runner(bench_data, batch_size, device, seed, **(fit_options or {})),
        "c": lambda: numpy_runner(bench_data, batch_size, seed),
        "d": lambda: gemm_floor_torch_runner(bench_data.X, batch_size, device, seed=seed),
        "d_numpy": lambda: gemm_floor_numpy_runner(bench_data.X_np, batch_size, seed=seed),
    }
    devices = {"a": device, "b": device, "c": "cpu", "d": device, "d_numpy": "cpu"}
    # The digits each contender holds: (a) the decoded uint8 images (a Subset only holds indices);
    # the others one float32 copy, (N, 784) (the NumPy arrays share the CPU tensors' memory).
    base = getattr(bench_data.dataset, "dataset", bench_data.dataset)
    uint8_mb = (base.data.numel() * base.data.element_size() + base.targets.numel() * 8) / 2**20
    float_mb = (bench_data.X_np.nbytes + bench_data.y_np.nbytes) / 2**20
    data_mb = {"a": uint8_mb, "b": float_mb, "c": float_mb, "d": float_mb, "d_numpy": float_mb}
    run_epochs = {key: runners[key]() for key in only}
    load = busy()  # before timing: a loaded machine makes every verdict below noisier
    if load:
        log(load)
    timings = time_interleaved(run_epochs, epochs, {key: devices[key] for key in only}, log=log)
    results = {}
    for key, timing in timings.items():
        results[key] = {"name": CONTENDERS[key], "device": str(devices[key]), **asdict(timing),
                        "median_s": timing.median, "best_s": timing.best, "data_mb": data_mb[key]}
    for key, r in results.items():
        r["speedup_vs_a"] = results["a"]["median_s"] / r["median_s"] if "a" in results else None
        r["over_floor"] = r["median_s"] / results["d"]["median_s"] if "d" in results else None
        r["over_numpy_floor"] = r["median_s"] / results["d_numpy"]["median_s"] if "d_numpy" in results else None
        r["verdict_vs_a"] = (race("(a)", results["a"]["seconds"], f"({key})", r["seconds"]).sentence()
                             if "a" in results and key != "a" else None)
    flops = gemm_flops(bench_data.samples)
    for key in ("d", "d_numpy"):
        if key in results:
            results[key]["gflops_per_s"] = flops / results[key]["median_s"] / 1e9

    out = {
        "device": str(device),
        "device_reason": device_reason,
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else _cpu_name(),
        "versions": {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__},
        "threads": _threads(),
        "samples": bench_data.samples,
        "real_samples": bench_data.n_real,
        "tiled": bench_data.tiled,
        "synthetic": bench_data.synthetic,
        "data": bench_data.note,
        "batch_size": batch_size,
        "epochs_timed": epochs,
        "warmup_epochs": 1,
        "statistic": f"median of {epochs} timed epochs, after 1 warm-up epoch, contenders interleaved",
        "epoch_gemm_gflop": flops / 1e9,
        "results": results,
        "import_cost": None,
        "load_warning": load,
    }
    if imports:
        log("import cost: fresh Python processes ...")
        out["import_cost"] = import_cost()
    return out


def _fmt(x, spec):
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def format_report(out: dict) -> str:
    """The benchmark's results as a printable table."""
    lines = [
        f"nnworkshop bench on {out['device']}: {out['device_name']} ({out['device_reason']})",
        f"  data: {out['data']}",
        f"  batch {out['batch_size']}, {out['statistic']}; threads: torch {out['threads']['torch_threads']}, "
        f"NumPy BLAS {out['threads']['numpy_blas_threads'] or '?'}, {out['threads']['cpu_count']} CPUs; torch {out['versions']['torch']}, numpy {out['versions']['numpy']}",
        "",
        f"  {'':<10}{'what':<55}{'s/epoch':>9}{'best':>8}{'vs (a)':>9}{'/ (d)':>8}{'peak mem':>18}{'data':>9}",
    ]
    for key, r in out["results"].items():
        mem = (f"{r['cuda_peak_mb']:.0f} MB cuda" if r.get("cuda_peak_mb") is not None
               else f"+{_fmt(r['rss_growth_mb'], '.0f')} rss/{_fmt(r['traced_peak_mb'], '.1f')} py")
        lines.append(
            f"  {'(' + key + ')':<10}{r['name'][:55]:<55}{_fmt(r['median_s'], '.4f'):>9}{_fmt(r.get('best_s'), '.4f'):>8}"
            f"{_fmt(r['speedup_vs_a'], '.1f'):>8}x{_fmt(r['over_floor'], '.2f'):>7}x{mem:>18}"
            f"{_fmt(r.get('data_mb'), '.1f'):>6} MB"
        )
    d = out["results"].get("d")
    verdicts = [f"  ({key}) against (a): {r['verdict_vs_a']}" for key, r in out["results"].items() if r.get("verdict_vs_a")]
    if verdicts:
        lines += ["", "  Who is faster, round by round (the rule notebooks 06 and 08 use; 'too close to call' when the "
                      "rounds' spread includes no difference):", *verdicts]
    if out.get("load_warning"):
        lines += ["", f"  Note: {out['load_warning']}."]
    lines.append("")
    lines.append("  s/epoch: median; best: the fastest epoch (the least disturbed by other work); ratios use the medians.")
    lines.append(f"  vs (a): how many times faster than the original's loop; / (d): how many times the GEMM floor "
                 f"({out['epoch_gemm_gflop']:.1f} GFLOP per epoch"
                 + (f", {d['gflops_per_s']:.1f} GFLOP/s in torch" if d else "")
                 + (f", {out['results']['d_numpy']['gflops_per_s']:.1f} in NumPy" if "d_numpy" in out["results"]
                    else "") + ").")
    lines.append("  peak mem: growth of the process's peak RSS during the warm-up epoch (MB) / peak of "
                 "Python+NumPy allocations traced by tracemalloc (MB; torch tensors are not traced).")
    lines.append("  data: the digits each one holds: (a) decoded uint8 images, converted per digit as fetched; "
                 "the others one float32 copy, converted once.")
    cost = out.get("import_cost")
    if cost:
        lines.append(f"  import: torch+torchvision {cost['torch_torchvision_s']:.2f} s, then "
                     f"{', '.join(cost['modules'])} +{cost['nnworkshop_s']:.3f} s "
                     f"(median of {cost['repeats']} fresh processes); nnworkshop.scratch alone "
                     f"{cost['scratch_alone_s']:.3f} s, imports torch: {cost['scratch_imports_torch']}")
    if out["synthetic"]:
        lines.append("")
        lines.append("  NOTE: synthetic stand-in digits (--synthetic), not MNIST.")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The ``nnworkshop bench`` command line."""
    p = argparse.ArgumentParser(
        prog="nnworkshop bench",
        description="Time one training epoch four ways on the same digits: (a) the original workshop's "
        "DataLoader loop, (b) nnworkshop.training.fit, (c) the NumPy net (nnworkshop.scratch), (d) the "
        "epoch's matrix products alone. Prints seconds per epoch (median), ratios, peak memory, the device.",
    )
    p.add_argument("--json", action="store_true", help="print the results as JSON only")
    p.add_argument("--device", default=None, help="cuda, mps or cpu (default: the best available)")
    p.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS,
                   help=f"timed epochs per contender, after 1 warm-up; the median is reported (default {DEFAULT_EPOCHS})")
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH, help=f"default {DEFAULT_BATCH}")
    p.add_argument("--samples", type=int, default=DEFAULT_SAMPLES,
                   help=f"digits per epoch (default {DEFAULT_SAMPLES:,}); the available digits are tiled "
                   "to this many when there are fewer, and the output says so")
    p.add_argument("--root", default=None, help="folder holding MNIST/raw (default: $NNWORKSHOP_DATA, then the cache)")
    p.add_argument("--synthetic", action="store_true",
                   help="use synthetic stand-in digits written to a temporary folder (for machines without MNIST)")
    p.add_argument("--only", default=None, help="comma-separated subset of a,b,c,d,d_numpy to run")
    p.add_argument("--no-imports", action="store_true", help="skip measuring the import cost")
    p.add_argument("--threads", type=int, default=None,
                   help="threads for torch and NumPy's BLAS (default: as they are, usually one per core)")
    p.add_argument("--seed", type=int, default=0)
    return p


def main(argv=None) -> int:
    """``nnworkshop bench [--json] [--device D] [--epochs N] [--batch-size B] [--samples N] [--synthetic]``."""
    args = build_parser().parse_args(argv)
    from ..data import MNISTNotFoundError

    log = (lambda text: None) if args.json else (lambda text: print(text, file=sys.stderr, flush=True))
    only = None if args.only is None else [s.strip() for s in args.only.split(",") if s.strip()]
    if only is not None:
        unknown = [s for s in only if s not in CONTENDERS]
        if unknown:
            print(f"nnworkshop bench: unknown --only {','.join(unknown)}; valid: {','.join(CONTENDERS)}",
                  file=sys.stderr)
            return 2
    try:
        out = run_bench(samples=args.samples, epochs=args.epochs, batch_size=args.batch_size, device=args.device,
                        root=args.root, synthetic=args.synthetic, seed=args.seed, only=only,
                        imports=not args.no_imports, log=log, threads=args.threads)
    except MNISTNotFoundError as err:
        print(f"nnworkshop bench: {err}\nOn a machine without MNIST, 'nnworkshop bench --synthetic' "
              "times the same loops on synthetic stand-in digits.", file=sys.stderr)
        return 1
    except (ValueError, RuntimeError) as err:
        print(f"nnworkshop bench: {err}", file=sys.stderr)
        return 2
    print(json.dumps(out, indent=2) if args.json else format_report(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
