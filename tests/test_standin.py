"""The test harness's stand-in digits: used only where MNIST is absent, only by the harness, and never silently."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nnworkshop import standin
from nnworkshop.data import write_synthetic_mnist

ROOT = Path(__file__).resolve().parents[1]
FAST_TEST = "tests/test_links.py::test_links_name_the_published_repository_and_branch"


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No MNIST anywhere: NNWORKSHOP_DATA unset, an empty cache folder, no stand-in flag."""
    monkeypatch.delenv("NNWORKSHOP_DATA", raising=False)
    monkeypatch.delenv(standin.FLAG, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "empty-cache"))
    monkeypatch.setattr(standin, "N_TRAIN", 60)
    monkeypatch.setattr(standin, "N_TEST", 20)
    monkeypatch.setattr(standin, "_announced", False)
    return tmp_path


def test_without_mnist_the_harness_switches_to_standin_digits_and_says_so(clean_env, capsys):
    from nnworkshop.data import describe_source, mnist_tensors

    assert standin.use_standin_if_no_mnist(clean_env / "standin") is True
    assert os.environ[standin.FLAG] == "1" and standin.standin_digits()
    assert describe_source()["root"] == str((clean_env / "standin").resolve())
    x, y = mnist_tensors(train=True)
    assert x.shape == (60, 784) and set(y.tolist()) == set(range(10))
    mnist_tensors(train=False)
    err = capsys.readouterr().err
    assert err.count(standin.NOTICE) == 1, "the notice is printed once per process, at the first load"


def test_with_mnist_present_nothing_changes(clean_env, monkeypatch):
    real = write_synthetic_mnist(clean_env / "real", n_train=20, n_test=10, seed=1)  # stands for the real files
    monkeypatch.setenv("NNWORKSHOP_DATA", str(real))
    assert standin.use_standin_if_no_mnist(clean_env / "standin") is False
    assert os.environ["NNWORKSHOP_DATA"] == str(real) and standin.FLAG not in os.environ
    assert not (clean_env / "standin").exists()


def test_learners_never_get_standin_digits(clean_env):
    """Only the harness sets the flag: no module of the course, no notebook, no exercise names it."""
    from nnworkshop.data import MNISTNotFoundError, mnist

    setters = [p for p in (ROOT / "nnworkshop").rglob("*.py") if standin.FLAG in p.read_text(encoding="utf-8") and p.name != "standin.py"]
    assert setters == []
    for folder in ("notebooks", "exercises", "solutions"):
        for nb in (ROOT / folder).glob("*.ipynb"):
            assert standin.FLAG not in nb.read_text(encoding="utf-8"), f"{nb} names {standin.FLAG}"
    os.environ["NNWORKSHOP_DATA"] = str(clean_env / "nothing-here")
    with pytest.raises(MNISTNotFoundError, match="MNIST not found"):
        mnist(train=True, download=False)  # a learner without MNIST gets the fix, not stand-in digits
    assert not standin.standin_digits()


def _pytest(env: dict, cache: Path) -> str:
    # the caller's PYTEST_ADDOPTS (-q, --no-header ...) would change the layout this test reads
    env = {k: v for k, v in env.items() if k not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    result = subprocess.run([sys.executable, "-m", "pytest", "-o", f"cache_dir={cache}", FAST_TEST],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_run_announces_standin_digits_in_its_header_and_summary(tmp_path):
    cache = tmp_path / "cache"
    # the harness's folder, filled ahead with a few digits so that this test does not draw 6,000
    write_synthetic_mnist(cache / "d" / "nnworkshop" / "standin-mnist", n_train=20, n_test=10, seed=0)
    env = {k: v for k, v in os.environ.items() if k not in ("NNWORKSHOP_DATA", standin.FLAG)}
    env.update(XDG_CACHE_HOME=str(tmp_path / "empty-cache"), LOCALAPPDATA=str(tmp_path / "empty-cache"))
    out = _pytest(env, cache)
    header, _, rest = out.partition("collected ")
    assert standin.NOTICE in header, f"no notice before the tests run:\n{out}"
    results_end = rest.index("[100%]")  # the notice must come after the last test's result, in the summary
    assert standin.NOTICE in rest[results_end:], f"no notice in the summary:\n{out}"

    real = write_synthetic_mnist(tmp_path / "real", n_train=20, n_test=10, seed=1)
    out = _pytest({**env, "NNWORKSHOP_DATA": str(real)}, cache)
    assert standin.NOTICE not in out and f"MNIST: real digits from {real}" in out
