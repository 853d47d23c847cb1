"""Run-wide settings: quick mode and reproducible seeds.

``NNWORKSHOP_QUICK=1`` makes every notebook take the same code path with
smaller numbers (fewer epochs, fewer digits), so the whole course runs in
minutes on a 2-core CPU. CI sets it; learners leave it unset.
"""

from __future__ import annotations

import os
import random

import numpy as np

DEFAULT_SEED = 0
SIZES = (784, 128, 64, 10)  # the course's MLP: 784 inputs, hidden layers of 128 and 64, 10 classes
CNN_CHANNELS = (8, 16)  # the course's CNN (notebook 07): two 3x3 conv layers of 8 and 16 channels, each pooled 2x2


def quick_mode() -> bool:
    """True when ``NNWORKSHOP_QUICK`` is set to something other than 0/false/empty."""
    return os.environ.get("NNWORKSHOP_QUICK", "").strip().lower() not in ("", "0", "false", "no")


QUICK_MODE_BANNER = (
    "QUICK MODE (NNWORKSHOP_QUICK is set): fewer digits, fewer epochs, smaller sweeps. This mode exists so that\n"
    "CI can run every cell in minutes; the numbers it prints are NOT meaningful, and the text around them\n"
    "describes full-mode runs. Unset NNWORKSHOP_QUICK and restart the kernel to see the real results."
)


def quick_mode_banner() -> str:
    """The warning a notebook shows in quick mode (framed, to stand out), or ``""`` in full mode."""
    if not quick_mode():
        return ""
    rule = "!" * max(len(line) for line in QUICK_MODE_BANNER.splitlines())
    return f"{rule}\n{QUICK_MODE_BANNER}\n{rule}"


def show_quick_mode_banner() -> None:
    """Print ``quick_mode_banner()`` when quick mode is on; print nothing in full mode."""
    banner = quick_mode_banner()
    if banner:
        print(banner)


def pick(full, quick):
    """``full`` normally, ``quick`` when quick mode is on: ``epochs = pick(5, 1)``."""
    return quick if quick_mode() else full


def seed_everything(seed: int = DEFAULT_SEED) -> np.random.Generator:
    """Seed Python, NumPy's legacy global state and torch (if imported); return a fresh Generator.

    The library itself never relies on global state (it takes ``seed=`` or a
    ``numpy.random.Generator``); this is for the notebooks' own cells.
    """
    random.seed(seed)
    np.random.seed(seed)
    import sys

    if "torch" in sys.modules:
        import torch

        torch.manual_seed(seed)
    return np.random.default_rng(seed)
