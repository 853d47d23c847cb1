"""``nnworkshop doctor``: is this machine ready for the course, and if not, what to do."""

from __future__ import annotations

import importlib
import platform
import sys

from . import torch_install


def _version(name: str) -> str | None:
    try:
        module = importlib.import_module(name)
    except Exception:  # noqa: BLE001 - a broken install is exactly what doctor reports
        return None
    return getattr(module, "__version__", "installed")


def run_doctor(out=None) -> int:
    """Print versions, the device and why, where MNIST is read from; return 0 when all is ready, 1 otherwise."""
    out = out or sys.stdout
    say = lambda text="": print(text, file=out)  # noqa: E731
    problems: list[str] = []

    say("nnworkshop doctor")
    say(f"  Python       {platform.python_version()} ({sys.executable})")
    if sys.version_info < (3, 10):
        problems.append("Python >= 3.10 is needed: install a newer Python and run 'make lab' again.")
    for name in ("numpy", "torch", "torchvision", "matplotlib", "ipywidgets", "tqdm", "jupyterlab"):
        version = _version(name)
        say(f"  {name:<12} {version or 'MISSING'}")
        if version is None:
            problems.append(f"{name} is missing or broken: run 'make install' (or pip install -e '.[dev]').")

    build = torch_install.installed()
    if build:
        say(f"  torch build  {build['build']}, {build['megabytes'] / 1000:.1f} GB with what it brings")
    if _version("torch"):
        from .device import explain_device

        try:
            name, reason = explain_device()
            say(f"  device       {name}: {reason}")
        except (RuntimeError, ValueError) as err:
            say(f"  device       ERROR: {err}")
            problems.append(str(err))
        if build and build["cuda"] and not torch_install.shutil.which("nvidia-smi"):
            # advice, not a problem: the CUDA build runs the course on the CPU too
            say(f"               a CUDA build on a machine without an NVIDIA driver: the CPU build needs about 0.2 GB.")
            say(f"               To swap it: {torch_install.replace_command()}")

    if _version("torchvision"):
        from .mnist_files import describe_source, tilde

        info = describe_source()
        say(f"  MNIST root   {tilde(info['root'])} (from {info['source']})")
        for split in ("train", "test"):
            present = info.get(f"{split}_present")
            count = info.get(f"{split}_count")
            state = f"present, {count} digits" if present and count else ("present" if present else "not there yet")
            say(f"  MNIST {split:<6} {state}")
        if info.get("problem"):
            problems.append(info["problem"])
        elif not (info.get("train_present") and info.get("test_present")):
            problems.append(
                "MNIST is not in the data folder yet. With internet it downloads on first use "
                "(about 12 MB). Offline, copy the four files train-images-idx3-ubyte, train-labels-idx1-ubyte, "
                f"t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (.gz is fine) into {tilde(info['root'])}/MNIST/raw/, "
                "or set NNWORKSHOP_DATA to a folder that has MNIST/raw/ inside."
            )

    from .grading import isolation

    layers = isolation.probe()
    lacking = isolation.missing(layers)
    wall = None if lacking else isolation.choose(layers)
    say(f"  grading      {f'kernel sandbox ({wall} wall): ' + isolation.describe(layers, wall) if wall else 'no kernel sandbox here (--isolation=guard-only is not a wall)'}")
    for layer in ("namespaces", "landlock", "seccomp", "user", "cgroup"):
        say(f"               {layer:<11}{layers.get(layer, 'not probed')}")
    for line in lacking:  # only instructors who grade need it: a note, not a problem for learners
        say(f"               missing {line}")

    from .config import quick_mode

    say(f"  quick mode   {'on (NNWORKSHOP_QUICK)' if quick_mode() else 'off (full course settings)'}")
    say()
    if problems:
        say("To do:")
        for p in problems:
            say(f"  - {p}")
        return 1
    say("All set: run 'make lab' to open the course.")
    return 0
