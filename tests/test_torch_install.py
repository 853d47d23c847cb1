"""The light install: PyTorch's CPU build where there is no NVIDIA driver, the default build where there is one,
and a plain fallback line (never a failed install) where the CPU index cannot be reached."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nnworkshop import torch_install as ti

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "nnworkshop" / "torch_install.py"
linux_only = pytest.mark.skipif(platform.system() != "Linux", reason="the CPU index is chosen on Linux only")


def test_plan_picks_the_cpu_index_only_on_linux_without_a_driver():
    assert ti.plan("Linux", None, {}).index == ti.CPU_INDEX
    assert "no nvidia-smi" in ti.plan("Linux", None, {}).reason
    assert ti.plan("Linux", "/usr/bin/nvidia-smi", {}).index is None
    assert ti.plan("Darwin", None, {}).index is None and ti.plan("Windows", None, {}).index is None
    # TORCH_INDEX overrides, both ways
    assert ti.plan("Linux", "/usr/bin/nvidia-smi", {"TORCH_INDEX": "https://mirror.example/cpu"}).index == "https://mirror.example/cpu"
    assert ti.plan("Linux", None, {"TORCH_INDEX": ""}).index is None


def test_install_command_takes_torch_and_torchvision_from_that_index_alone():
    cmd = ti.install_command(ti.CPU_INDEX, "python")
    assert cmd == ["python", "-m", "pip", "install", "--index-url", ti.CPU_INDEX, "torch", "torchvision"]
    assert not any("extra-index" in part for part in cmd)


def _dry_run(tmp_path, with_driver: bool, **env_extra) -> str:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    smi = bin_dir / "nvidia-smi"
    if with_driver:
        smi.write_text("#!/bin/sh\necho 'NVIDIA-SMI 550'\n")
        smi.chmod(0o755)
    elif smi.exists():
        smi.unlink()
    env = {k: v for k, v in os.environ.items() if k != "TORCH_INDEX"}
    env["PATH"] = f"{bin_dir}:/usr/bin:/bin"
    env.update(env_extra)
    result = subprocess.run([sys.executable, str(SCRIPT), "--dry-run"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


@linux_only
def test_the_script_makefile_runs_chooses_by_nvidia_smi(tmp_path):
    without = _dry_run(tmp_path, with_driver=False)
    assert f"would run: {sys.executable} -m pip install --index-url {ti.CPU_INDEX} torch torchvision" in without
    with_driver = _dry_run(tmp_path, with_driver=True)
    assert ti.CPU_INDEX not in with_driver and "an NVIDIA driver is here" in with_driver
    assert "default build" in _dry_run(tmp_path, with_driver=False, TORCH_INDEX="")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    install = makefile[makefile.index("$(STAMP):"):].split("\n\n")[0]
    assert install.index("torch_install.py") < install.index("pip install --quiet -e"), "torch first, then the course"


@linux_only
def test_an_unreachable_index_falls_back_in_one_line_and_the_install_goes_on(tmp_path):
    """A fresh venv (no torch) whose index answers nothing: one plain line, exit 0, and pip is not run."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TORCH_INDEX": "http://127.0.0.1:9/whl/cpu"}
    result = subprocess.run([str(venv / "bin" / "python"), str(SCRIPT)], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if "could not be used" in line]
    assert len(lines) == 1, result.stdout
    assert "http://127.0.0.1:9/whl/cpu" in lines[0] and "installing the default PyTorch build" in lines[0]
    assert "pip install --index-url" not in result.stdout.replace("would run", ""), "pip must not run against it"
    assert result.stderr == ""


def test_a_failed_pip_run_also_falls_back(monkeypatch, capsys):
    monkeypatch.setattr(ti, "plan", lambda: ti.Plan(ti.CPU_INDEX, "test"))
    monkeypatch.setattr(ti, "installed", lambda: None)
    monkeypatch.setattr(ti, "reachable", lambda index: None)
    ran = []
    monkeypatch.setattr(ti.subprocess, "run", lambda cmd: ran.append(cmd) or subprocess.CompletedProcess(cmd, 1))
    assert ti.main([]) == 0
    assert ran == [ti.install_command(ti.CPU_INDEX)]
    assert "could not be used (pip could not install from it)" in capsys.readouterr().out


def test_installed_describes_the_torch_that_is_here():
    import torch

    info = ti.installed()
    assert info["version"] == torch.__version__
    assert info["build"] == (f"CUDA {torch.version.cuda}" if torch.version.cuda else
                             f"ROCm {torch.version.hip}" if getattr(torch.version, "hip", None) else "CPU")
    assert info["megabytes"] > 50  # torch alone is far larger than this, CPU build included
    if info["cuda"]:
        cmd = ti.replace_command("python")
        assert re.search(r"pip uninstall -y torch torchvision .*nvidia-", cmd)
        assert cmd.endswith(" ".join(ti.install_command(ti.CPU_INDEX, "python")))


def test_doctor_names_the_build_and_how_to_swap_a_cuda_build_without_a_gpu(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NNWORKSHOP_DATA": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "nnworkshop", "doctor"], capture_output=True, text=True, env=env,
                         timeout=120).stdout
    info = ti.installed()
    assert re.search(rf"torch build\s+{re.escape(info['build'])}, \d+\.\d GB", out), out
    swap = "To swap it:" in out
    assert swap == (info["cuda"] and not os.path.exists("/usr/bin/nvidia-smi") and not os.path.exists("/bin/nvidia-smi"))
