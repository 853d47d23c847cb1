"""Which PyTorch build fits this machine, how to install it, and which one is installed.

PyPI's ``torch`` for Linux is the CUDA build: with its ``nvidia-*`` libraries it fills about 3 GB of a fresh
``.venv``, on a laptop without an NVIDIA GPU too. PyTorch's own CPU index serves a build of about 200 MB that
runs the whole course. So, before the course itself is installed:

- ``TORCH_INDEX`` set: that index (``TORCH_INDEX=`` empty: the default build from your usual index);
- Linux without an NVIDIA driver (no ``nvidia-smi`` on PATH): the CPU build, torch and torchvision in one
  ``pip install --index-url`` (never ``--extra-index-url``: a package name is looked up in one place only, so
  nothing else can stand in for it), so that their versions match;
- Linux with a driver, macOS (MPS) and Windows: nothing here; ``pip install -e .`` takes the default build
  (on macOS and Windows PyPI's build has no CUDA libraries anyway).

Where the CPU index cannot be reached (offline mirror, proxy, a machine that reaches only PyPI) this says so in
one line and the install goes on with the default build: a course that installs beats one that fails.

Run as a file, before anything is installed (it imports only the standard library):
``python nnworkshop/torch_install.py`` (what ``make install`` runs), ``--dry-run`` prints the command only.
``nnworkshop doctor`` uses ``installed()`` and ``replace_command()`` to say which build is there and, for a
CUDA build on a machine without a GPU, the one command that swaps it for the CPU build.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import platform
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

CPU_INDEX = "https://download.pytorch.org/whl/cpu"
ENV_VAR = "TORCH_INDEX"
PACKAGES = ("torch", "torchvision")
# What a CUDA build of torch pulls in beside itself (distribution names, lower case, '-' separated).
CUDA_EXTRAS = re.compile(r"^(nvidia-.*|cuda-.*|triton)$")


@dataclass(frozen=True)
class Plan:
    """Where torch and torchvision come from: ``index`` (None: the default index, via ``pip install -e .``)."""

    index: str | None
    reason: str


def plan(system: str | None = None, nvidia_smi: str | None = "", env=None) -> Plan:
    """The build for this machine. ``system`` (``platform.system()``), ``nvidia_smi`` (its path, or None where
    it is not on PATH; looked up when left as "") and ``env`` (``os.environ``) are parameters for tests."""
    system = platform.system() if system is None else system
    env = os.environ if env is None else env
    nvidia_smi = shutil.which("nvidia-smi") if nvidia_smi == "" else nvidia_smi
    if ENV_VAR in env:
        index = env[ENV_VAR].strip() or None
        return Plan(index, f"{ENV_VAR}={env[ENV_VAR]!r} chooses " + (index or "the default build from your usual index"))
    if system != "Linux":
        return Plan(None, f"on {system or 'this system'} PyPI's torch carries no CUDA libraries: the default build")
    if nvidia_smi:
        return Plan(None, f"an NVIDIA driver is here ({nvidia_smi}): the default build, with CUDA")
    return Plan(CPU_INDEX, "no NVIDIA driver here (no nvidia-smi on PATH): PyTorch's CPU build "
                           "(about 200 MB, instead of about 3 GB of CUDA libraries)")


def install_command(index: str, python: str = sys.executable) -> list[str]:
    """torch and torchvision from ``index`` alone, in one command so that their versions match."""
    return [python, "-m", "pip", "install", "--index-url", index, *PACKAGES]


def reachable(index: str, timeout: float = 15.0) -> str | None:
    """None when ``index`` answers for torch; else why not, in a few words."""
    try:
        with urllib.request.urlopen(index.rstrip("/") + "/torch/", timeout=timeout) as answer:
            answer.read(1)
        return None
    except urllib.error.HTTPError as err:
        return f"HTTP {err.code}"
    except (urllib.error.URLError, OSError) as err:
        return str(getattr(err, "reason", err))


def fallback_line(index: str, why: str) -> str:
    """The one plain line said when the CPU build cannot be had."""
    return (f"nnworkshop: PyTorch's index {index} could not be used ({why}); installing the default PyTorch build "
            f"from your usual index instead (larger: it brings CUDA libraries; it runs on the CPU all the same).")


def installed() -> dict | None:
    """The installed torch, without importing it: ``{"version", "build", "cuda", "megabytes"}``, or None.
    ``build`` is "CPU", "CUDA x.y" or "ROCm x.y"; ``megabytes`` counts torch, torchvision and what a CUDA build
    brings beside them (``nvidia-*``, ``cuda-*``, ``triton``)."""
    try:
        version = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return None
    spec = importlib.util.find_spec("torch")
    text = ""
    if spec is not None and spec.submodule_search_locations:
        info = Path(list(spec.submodule_search_locations)[0]) / "version.py"
        text = info.read_text(encoding="utf-8") if info.is_file() else ""
    cuda = re.search(r"^cuda\b[^=]*=\s*['\"]([^'\"]+)['\"]", text, re.M)
    hip = re.search(r"^hip\b[^=]*=\s*['\"]([^'\"]+)['\"]", text, re.M)  # e.g. '6.2.41133-dd7f95766' (ROCm's own tag)
    build = f"CUDA {cuda.group(1)}" if cuda else (f"ROCm {hip.group(1)}" if hip else "CPU")
    local = re.search(r"^__version__\b[^=]*=\s*['\"]([^'\"]+)['\"]", text, re.M)  # with its +cpu / +cu130 tag
    version = local.group(1) if local else version
    return {"version": version, "build": build, "cuda": bool(cuda), "megabytes": round(_megabytes(), 0)}


def _cuda_extras() -> list[str]:
    names = {(d.metadata["Name"] or "").lower().replace("_", "-") for d in importlib.metadata.distributions()}
    return sorted(n for n in names if CUDA_EXTRAS.match(n))


def _megabytes() -> float:
    wanted = set(PACKAGES) | set(_cuda_extras())
    total = 0
    for dist in importlib.metadata.distributions():
        if (dist.metadata["Name"] or "").lower().replace("_", "-") not in wanted:
            continue
        for f in dist.files or ():
            try:
                total += int(f.size) if f.size else f.locate().stat().st_size
            except (OSError, ValueError):
                pass
    return total / 1e6


def replace_command(python: str = sys.executable) -> str:
    """One shell command that swaps an installed CUDA build for the CPU build (and frees its libraries)."""
    remove = " ".join([*PACKAGES, *_cuda_extras()])
    return f"{python} -m pip uninstall -y {remove} && " + " ".join(install_command(CPU_INDEX, python))


def main(argv=None) -> int:
    """Install the build ``plan()`` picks; always exits 0 unless pip fails on the default path too."""
    parser = argparse.ArgumentParser(prog="torch_install.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="print the decision and the command; install nothing")
    args = parser.parse_args(argv)
    choice = plan()
    print(f"nnworkshop: PyTorch: {choice.reason}.")
    if choice.index is None:
        print("nnworkshop: torch and torchvision come with the course's own install (pip install -e .).")
        return 0
    command = " ".join(install_command(choice.index))
    if args.dry_run:
        print(f"nnworkshop: would run: {command}")
        return 0
    have = installed()
    if have:
        print(f"nnworkshop: torch {have['version']} ({have['build']} build) is already installed; "
              + ("`nnworkshop doctor` gives the command that swaps it for the CPU build." if have["cuda"] else "nothing to do."))
        return 0
    why = reachable(choice.index)
    if why is None:
        print(f"nnworkshop: {command}")
        why = None if subprocess.run(install_command(choice.index)).returncode == 0 else "pip could not install from it"
    if why is not None:
        print(fallback_line(choice.index, why))
    return 0


if __name__ == "__main__":
    sys.exit(main())
