"""Shared fixtures: real MNIST (or a skip that says how to get it) and small synthetic MNIST."""

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # every plot must work headless

import pytest  # noqa: E402

# Planted submissions are graded by the tests, never collected as tests themselves (nbval would run them).
collect_ignore_glob = ["submissions/*"]

# The tests' servers (the class board, JupyterLab) listen on loopback. urllib sends even 127.0.0.1 through an
# HTTP proxy that the environment names unless no_proxy says otherwise: many CI runners set one. Children inherit it.
for _name in ("no_proxy", "NO_PROXY"):
    os.environ[_name] = ",".join(filter(None, [os.environ.get(_name, ""), "127.0.0.1", "localhost", "::1"]))

NO_REAL_MNIST = "real MNIST not found: set NNWORKSHOP_DATA=<folder containing MNIST/raw> (e.g. ../shared/data)"


@pytest.fixture(scope="session")
def real_mnist_root() -> Path:
    """The folder holding the real ``MNIST/raw`` (from ``NNWORKSHOP_DATA``); skips the test where there is none."""
    value = os.environ.get("NNWORKSHOP_DATA", "").strip()
    if os.environ.get("NNWORKSHOP_STANDIN_DIGITS") == "1":  # set by ../conftest.py: NNWORKSHOP_DATA is synthetic
        pytest.skip(f"{NO_REAL_MNIST}; this run substituted synthetic digits")
    if not value:
        pytest.skip(NO_REAL_MNIST)
    from nnworkshop.data import resolve_root  # imports torch: only for tests that ask for real data

    root = resolve_root(value)
    raw = root / "MNIST" / "raw"
    if not any((raw / f"train-images-idx3-ubyte{ext}").is_file() for ext in ("", ".gz")):
        pytest.skip(f"{NO_REAL_MNIST}; NNWORKSHOP_DATA={value} has no {raw}")
    return root


@pytest.fixture(scope="session")
def synthetic_mnist_root(tmp_path_factory) -> Path:
    """A root with small learnable stand-in digits (600 train / 200 test) in torchvision's MNIST layout."""
    from nnworkshop.data import write_synthetic_mnist

    return write_synthetic_mnist(tmp_path_factory.mktemp("synthetic_mnist"), n_train=600, n_test=200, seed=0)
