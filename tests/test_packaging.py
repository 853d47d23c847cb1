"""The project's set-up promises: one dependency list, two README commands, a CI that runs them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _environment_pip_requirements() -> list[str]:
    """The entries under ``- pip:`` in environment.yml (a tiny parser: no YAML dependency)."""
    lines = (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines()
    reqs, inside = [], False
    for line in lines:
        stripped = line.split("#", 1)[0].rstrip()
        if stripped.strip() == "- pip:":
            inside = True
            continue
        if inside:
            match = re.match(r"^\s+- (.+)$", stripped)
            if match and line.startswith("      "):
                reqs.append(match.group(1).strip())
            elif stripped.strip():
                inside = False
    return reqs


def _environment_conda_requirements() -> list[str]:
    """The conda entries of environment.yml (top-level ``  - name`` lines, before ``- pip:``)."""
    lines = (ROOT / "environment.yml").read_text(encoding="utf-8").splitlines()
    start = lines.index("dependencies:") + 1
    return [m.group(1) for line in lines[start:] if (m := re.match(r"^  - ([^:]+?)\s*(#.*)?$", line))]


def test_environment_yml_takes_pytorch_cpu_builds_from_conda_forge_with_pyprojects_bounds():
    """Binder builds environment.yml and has no GPU: torch and torchvision come as conda-forge's CPU builds,
    not from pip (where PyPI's Linux torch would bring about 3 GB of CUDA libraries)."""
    bounds = {_name(r): r[len(_name(r)):] for r in _pyproject()["project"]["dependencies"]}
    conda = _environment_conda_requirements()
    assert f"pytorch-cpu{bounds['torch']}" in conda, conda
    assert f"torchvision[version='{bounds['torchvision']}',build='cpu*']" in conda, conda
    pip_names = {_name(r) for r in _environment_pip_requirements()}
    assert not pip_names & {"torch", "torchvision"}, "torch must not come from pip in environment.yml"


def test_environment_yml_installs_what_pyproject_declares():
    project = _pyproject()["project"]
    extras = [r for reqs in project["optional-dependencies"].values() for r in reqs]
    declared = {_name(r): r.replace(" ", "") for r in project["dependencies"] + extras}
    for conda_built in ("torch", "torchvision"):  # conda-forge's CPU builds, checked above
        declared.pop(conda_built)
    env = {_name(r): r.replace(" ", "") for r in _environment_pip_requirements() if not r.startswith("-e")}
    assert env, "environment.yml has no pip requirements: the parser or the file is broken"
    assert sorted(env) == sorted(declared), (
        "environment.yml and pyproject.toml disagree: "
        f"only in pyproject {sorted(set(declared) - set(env))}, only in environment.yml {sorted(set(env) - set(declared))}"
    )
    assert env == declared, "same packages but different version bounds"
    assert any(r.startswith("-e") for r in _environment_pip_requirements()), "environment.yml must install the project (-e .)"


def test_no_exact_pins():
    project = _pyproject()["project"]
    for req in project["dependencies"] + [r for reqs in project["optional-dependencies"].values() for r in reqs]:
        assert "==" not in req, f"{req}: use a lower bound, not an exact pin"


def test_runtime_and_dev_dependencies_are_the_course_stack():
    project = _pyproject()["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    assert {"numpy", "torch", "torchvision", "matplotlib", "ipywidgets", "tqdm"} <= runtime
    # Colab and JupyterHub bring their own Jupyter: JupyterLab is only for `make lab` / Binder.
    assert "jupyterlab" not in runtime
    assert "jupyterlab" in {_name(r) for r in project["optional-dependencies"]["lab"]}
    dev = {_name(r) for r in project["optional-dependencies"]["dev"]}
    assert {"pytest", "nbval", "jupytext"} <= dev


def test_readme_commands_and_ci_agree():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make lab" in readme and "make test" in readme
    assert re.search(r"^lab:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert re.search(r"^make test$", ci, re.M), ".ci/run must call the README's test command"
    assert "NNWORKSHOP_DATA" in ci and "../shared/data" in ci


def test_console_script_help():
    result = subprocess.run([sys.executable, "-m", "nnworkshop", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    for command in ("doctor", "bench", "exercises", "grade"):
        assert command in result.stdout


def test_doctor_reports_versions_device_and_data(tmp_path, monkeypatch):
    from nnworkshop.data import write_synthetic_mnist

    write_synthetic_mnist(tmp_path, n_train=20, n_test=10, seed=0)
    env = {"NNWORKSHOP_DATA": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "nnworkshop", "doctor"], capture_output=True, text=True, timeout=120, env=env)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "torch" in out and "torchvision" in out and "Python" in out
    assert re.search(r"device\s+(cpu|cuda|mps): ", out), out
    assert re.search(r"MNIST root\s+~ \(from NNWORKSHOP_DATA\)", out), out  # under the home folder: written ~
    assert "present, 20 digits" in out and "present, 10 digits" in out
    elsewhere = subprocess.run([sys.executable, "-m", "nnworkshop", "doctor"], capture_output=True, text=True,
                               timeout=120, env={**env, "HOME": str(tmp_path / "home")}).stdout
    assert str(tmp_path) in elsewhere  # anywhere else: the whole path


def test_doctor_says_what_to_do_when_mnist_is_missing(tmp_path):
    env = {"NNWORKSHOP_DATA": str(tmp_path / "empty"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "nnworkshop", "doctor"], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 1
    assert "not there yet" in result.stdout
    assert "MNIST/raw" in result.stdout and "NNWORKSHOP_DATA" in result.stdout


def test_doctor_rejects_a_device_that_is_not_there(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; the missing-device message cannot be shown here")
    env = {"NNWORKSHOP_DEVICE": "cuda", "NNWORKSHOP_DATA": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "nnworkshop", "doctor"], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 1
    assert "no CUDA GPU" in result.stdout and "NNWORKSHOP_DEVICE" in result.stdout


def test_pick_device_explains_and_validates(monkeypatch):
    from nnworkshop.device import explain_device, pick_device

    monkeypatch.delenv("NNWORKSHOP_DEVICE", raising=False)
    name, reason = explain_device()
    assert name in ("cuda", "mps", "cpu") and reason
    assert pick_device("cpu").type == "cpu"
    monkeypatch.setenv("NNWORKSHOP_DEVICE", "cpu")
    assert explain_device() == ("cpu", "set by NNWORKSHOP_DEVICE")
    with pytest.raises(ValueError, match="valid names: cuda, mps, cpu"):
        pick_device("tpu")


def test_quick_mode_switch(monkeypatch):
    from nnworkshop.config import pick, quick_mode

    monkeypatch.delenv("NNWORKSHOP_QUICK", raising=False)
    assert not quick_mode() and pick(5, 1) == 5
    monkeypatch.setenv("NNWORKSHOP_QUICK", "1")
    assert quick_mode() and pick(5, 1) == 1
    monkeypatch.setenv("NNWORKSHOP_QUICK", "0")
    assert not quick_mode()


def test_make_lab_binder_and_site_install_their_extras():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    installed = re.search(r'pip install .*-e "\.\[([^\]]*)\]"', makefile)
    assert installed, "make install must pip install -e the project with its extras"
    assert {"dev", "lab", "site"} <= set(installed.group(1).split(",")), installed.group(0)
    assert "jupyterlab" in {_name(r) for r in _environment_pip_requirements()}, "Binder (environment.yml) needs JupyterLab"


def test_every_subpackage_is_listed_and_the_exercises_ship_inside_the_package():
    setuptools = _pyproject()["tool"]["setuptools"]
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "nnworkshop").rglob("__init__.py")}
    listed = set(setuptools["packages"])
    assert on_disk <= listed, f"add {sorted(on_disk - listed)} to [tool.setuptools] packages in pyproject.toml"
    assert setuptools["package-dir"]["nnworkshop.course_exercises"] == "exercises"
    from importlib.resources import files

    shipped = sorted(p.name for p in files("nnworkshop.course_exercises").iterdir() if p.name.endswith(".ipynb"))
    solutions = sorted(p.name for p in (ROOT / "solutions").glob("*.ipynb"))  # one exercise per solution
    assert shipped == sorted(p.name for p in (ROOT / "exercises").glob("*.ipynb")) == solutions and len(shipped) >= 7


def test_the_apparmor_profile_ships_with_the_package():
    """docs/grading.md tells Ubuntu 24.04 instructors to install it; a pip-installed grader must have it too."""
    globs = _pyproject()["tool"]["setuptools"]["package-data"]["nnworkshop.grading.isolation"]
    folder = ROOT / "nnworkshop" / "grading" / "isolation"
    assert [p.name for g in globs for p in folder.glob(g)] == ["nnworkshop-grader"]


def _clean_copy(dest: Path) -> Path:
    """The repository's files as a fresh clone has them (tracked, plus new files git does not ignore), copied to
    ``dest``. A wheel built in a working copy packs whatever an earlier build left in ``build/lib`` (setuptools
    reuses it), so this test builds what a clean clone ships; CONTRIBUTING.md says to release from one."""
    import shutil

    listed = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, text=True)
    if listed.returncode != 0:  # not a git checkout (an unpacked sdist): copy it, leaving build leftovers out
        shutil.copytree(ROOT, dest, ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", ".venv", "__pycache__"))
        return dest
    for name in filter(None, listed.stdout.split("\0")):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def test_a_built_wheel_carries_the_exercises_and_public_checks_but_no_hidden_check_or_answer(tmp_path):
    """The learner's pip install: the exercise notebooks and the public checks, never a hidden check, a point table
    or a reference answer (those stay in the course folder the grader is pointed at, docs/authoring.md)."""
    import zipfile

    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                           "--wheel-dir", str(tmp_path), str(_clean_copy(tmp_path / "src"))],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("nnworkshop-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        texts = {n: zf.read(n).decode("utf-8", errors="replace") for n in names if n.endswith((".py", ".ipynb", ".toml"))}
    assert "nnworkshop/grading/public.py" in names and "nnworkshop/grading/checking.py" in names
    exercises = tomllib.loads((ROOT / "course" / "course.toml").read_text(encoding="utf-8"))["exercises"]
    assert sum(n.startswith("nnworkshop/course_exercises/") and n.endswith(".ipynb") for n in names) == len(exercises) == 8
    assert {"nnworkshop/course_exercises/q8_convolution.ipynb", "nnworkshop/grading/public_q8.py"} <= set(names)
    assert not [n for n in names if "_hidden" in n or n.endswith(("exercise.toml", "course.toml", "reference.py"))]
    # what only the course folder knows: its reference answers' code and its checks' point tables and edge cases
    secrets = {"return dout @ w, dout.T @ x, dout.sum(axis=0)": "course/reference.py", "EDGE_DIMS": "course/q3/checks.py",
               "def torch_steps(": "course/reference.py", "linear_backward = 3": "course/q3/exercise.toml",
               "conv2d(xt, wt, bt,": "course/reference.py", "PADDED = ((2, 3, 7, 6": "course/q8/checks.py",
               "conv_backward_dx = 2": "course/q8/exercise.toml"}
    for marker, where in secrets.items():
        assert marker in (ROOT / where).read_text(encoding="utf-8")
        assert not [n for n, t in texts.items() if marker in t], (marker, [n for n, t in texts.items() if marker in t])
