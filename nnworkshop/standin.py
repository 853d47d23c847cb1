"""Synthetic stand-in digits for the test harness, never for learners.

The test suite (the repository's ``conftest.py``) calls ``use_standin_if_no_mnist()`` once. Where the real
MNIST files are present it changes nothing. Where they are absent (a fresh CI machine, no network) it writes
the project's synthetic MNIST-format digits (``nnworkshop.synthetic.write_synthetic_mnist``) into a folder of the
harness's, points ``NNWORKSHOP_DATA`` at it and sets ``NNWORKSHOP_STANDIN_DIGITS=1``, so every notebook the
suite executes reads them through the same torchvision code. Nothing in the course sets that variable: a
learner without MNIST gets the download, or the error that says where to put the files.

While the variable is set, every load through ``nnworkshop.data`` prints ``NOTICE`` once per process, and
``standin_digits()`` is true, so that accuracy thresholds that only real digits can meet are skipped, loudly.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .mnist_files import ENV_VAR, describe_source
from .synthetic import write_synthetic_mnist

FLAG = "NNWORKSHOP_STANDIN_DIGITS"
# Large enough for every notebook's full-mode limits (06 takes 5,000 / 1,000); seconds to write.
N_TRAIN, N_TEST = 6000, 1000
NOTICE = (
    "real MNIST not found: notebooks ran on synthetic digits; "
    "accuracy thresholds that need real digits were skipped"
)
_announced = False


def standin_digits() -> bool:
    """True when the test harness substituted synthetic digits for MNIST (``NNWORKSHOP_STANDIN_DIGITS=1``)."""
    return os.environ.get(FLAG, "").strip() == "1"


def announce() -> None:
    """Print the stand-in notice (once per process) when the harness substituted synthetic digits."""
    global _announced
    if standin_digits() and not _announced:
        _announced = True
        print(f"*** {NOTICE} ({FLAG}=1, set by the test harness) ***", file=sys.stderr)


def use_standin_if_no_mnist(folder) -> bool:
    """Where MNIST is not found locally (``NNWORKSHOP_DATA``, else the cache folder), write synthetic digits
    to ``folder`` (if not there yet), set ``NNWORKSHOP_DATA`` to it and ``NNWORKSHOP_STANDIN_DIGITS=1`` in
    this process's environment (kernels and subprocesses inherit it); return True. Return False, changing
    nothing, where the real digits are present. Never downloads: a test run must not depend on the network."""
    if standin_digits():
        return True  # already decided by whoever started this process
    info = describe_source()
    if info["train_present"] and info["test_present"]:
        return False
    folder = Path(folder)
    raw = folder / "MNIST" / "raw"
    if not raw.is_dir():  # written whole, then renamed: an interrupted run never leaves half the files
        partial = folder.with_name(f"{folder.name}.{os.getpid()}.partial")
        write_synthetic_mnist(partial, n_train=N_TRAIN, n_test=N_TEST, seed=0)
        folder.parent.mkdir(parents=True, exist_ok=True)
        os.replace(partial, folder)
    os.environ[ENV_VAR] = str(folder.resolve())
    os.environ[FLAG] = "1"
    return True
