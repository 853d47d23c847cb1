"""Launch links and the set-up cell: written from pyproject.toml, present everywhere, stale links caught,
and the set-up cell a no-op where the course is installed (and a pip install where it is not)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

jupytext = pytest.importorskip("jupytext")

from nnworkshop import links  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
COURSE = sorted(p for folder in ("notebooks", "exercises", "solutions") for p in (ROOT / folder).glob("*.ipynb"))


def test_links_and_setup_cells_are_up_to_date():
    stale = links.run(ROOT, check=True)
    assert stale == [], f"stale: {stale}. Fix: run `nnworkshop links` and commit the result"


@pytest.mark.parametrize("ipynb", COURSE, ids=[str(p.relative_to(ROOT)) for p in COURSE])
def test_every_notebook_starts_with_its_links_and_the_setup_cell(ipynb):
    publish = links.read_publish(ROOT / "pyproject.toml")
    nb = jupytext.read(ipynb, fmt="ipynb")
    first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown")
    assert first == 0, f"{ipynb.name}: the first cell should be the title (markdown)"
    setup = nb.cells[first + 1]
    assert setup.cell_type == "code" and setup.source == links.setup_source(publish)
    if ipynb.parent.name != "solutions":
        path = f"{ipynb.parent.name}/{ipynb.name}"
        text = nb.cells[first].source
        for url in (publish.colab(path), publish.binder(path)):
            assert url in text, f"{ipynb.name}: its first cell lacks {url}"
        assert ("JupyterHub" in text) == bool(publish.jupyterhub), f"{ipynb.name}: a hub link only where a hub is set"


def test_links_name_the_published_repository_and_branch():
    publish = links.Publish("https://github.com/someone/course", "spring", "https://hub.uni.example")
    path = "notebooks/04_pytorch_mlp.ipynb"
    assert publish.colab(path) == f"https://colab.research.google.com/github/someone/course/blob/spring/{path}"
    assert publish.binder(path) == (
        "https://mybinder.org/v2/gh/someone/course/spring?urlpath=lab%2Ftree%2Fnotebooks%2F04_pytorch_mlp.ipynb")
    assert publish.nbgitpuller(path) == (
        "https://hub.uni.example/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com%2Fsomeone%2Fcourse"
        "&branch=spring&urlpath=lab%2Ftree%2Fcourse%2Fnotebooks%2F04_pytorch_mlp.ipynb")
    assert publish.install_spec == "git+https://github.com/someone/course@spring"
    assert "[lab]" not in links.setup_source(publish)  # Colab has its own Jupyter


def test_a_repository_that_is_not_on_github_is_refused_with_the_fix():
    with pytest.raises(links.PublishConfigError, match=r"not a GitHub address .*https://github.com/OWNER/NAME"):
        links.Publish("https://gitlab.com/someone/course", "main", "https://hub.example").owner_name


@pytest.fixture
def course_copy(tmp_path):
    """The parts of the course `nnworkshop links` reads and writes, copied to a temporary folder."""
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("notebooks", "solutions", "exercises"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def test_a_changed_repository_makes_every_link_stale_until_links_is_run(course_copy):
    pyproject = course_copy / "pyproject.toml"
    old = links.read_publish(pyproject).repository
    pyproject.write_text(pyproject.read_text(encoding="utf-8").replace(f'Repository = "{old}"', 'Repository = "https://github.com/fork/course"'))
    stale = links.run(course_copy, check=True)
    assert "README.md" in stale and "notebooks/04_pytorch_mlp.ipynb" in stale
    assert any("exercises/q1_activations" in s for s in stale) and "solutions/q1_activations.ipynb" in stale
    links.run(course_copy)
    assert links.run(course_copy, check=True) == []
    for path in ("README.md", "notebooks/00_setup.py", "exercises/q6_mnist_model.ipynb", "solutions/q2_softmax.py"):
        text = (course_copy / path).read_text(encoding="utf-8")
        assert "fork/course" in text, f"{path} does not name the new repository"
        assert old.split("github.com/")[1] not in text, f"{path} still names {old}"


def test_running_links_twice_changes_nothing(course_copy):
    links.run(course_copy)
    before = {p: p.read_bytes() for p in course_copy.rglob("*") if p.is_file()}
    links.run(course_copy)
    assert {p: p.read_bytes() for p in course_copy.rglob("*") if p.is_file()} == before


def _run_setup_cell(prelude: str) -> subprocess.CompletedProcess:
    source = links.setup_source(links.read_publish(ROOT / "pyproject.toml"))
    code = prelude + "\nexec(compile(" + json.dumps(source) + ", 'setup-cell', 'exec'))\n"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_setup_cell_does_nothing_where_the_course_is_installed():
    # Any pip call would raise; the cell must print nothing and leave subprocess unimported.
    result = _run_setup_cell(
        "import sys\nsys.modules['subprocess'] = None  # importing it now raises ImportError\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""


def test_setup_cell_installs_the_published_course_where_it_is_missing_and_speaks_of_colab():
    prelude = (
        "import importlib.util, subprocess, sys, types\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: None if name == 'nnworkshop' else real(name, *a)\n"
        "calls = []\n"
        "subprocess.run = lambda cmd, **kw: calls.append((cmd, kw)) or subprocess.CompletedProcess(cmd, 0, '', '')\n"
        "sys.modules['google.colab'] = types.ModuleType('google.colab')\n"
        "import atexit\n"
        "atexit.register(lambda: print('CALLS', calls))\n"
    )
    result = _run_setup_cell(prelude)
    assert result.returncode == 0, result.stderr
    spec = links.read_publish(ROOT / "pyproject.toml").install_spec
    assert f"pip install {spec}" in result.stdout and "nnworkshop installed." in result.stdout
    assert f"CALLS [([{sys.executable!r}, '-m', 'pip', 'install', '-q', {spec!r}], {{'capture_output': True, 'text': True}})]" in result.stdout
    assert "Change runtime type > GPU" in result.stdout and "MNIST (12 MB) downloads on first use" in result.stdout


def test_setup_cell_that_cannot_install_says_so_in_a_few_lines_and_stops_the_notebook(tmp_path):
    """No network (here: a course address pip cannot reach): the learner sees what failed and what to do, in the
    course's words, not pip's traceback followed by a ModuleNotFoundError in the next cell."""
    IPython = pytest.importorskip("IPython")
    source = links.setup_source(links.Publish("https://github.com/nnworkshop/nnworkshop", "main"))
    source = source.replace('COURSE = "git+https://github.com/nnworkshop/nnworkshop@main"',
                            f'COURSE = "{tmp_path / "nowhere"}"')  # a path pip cannot install from, offline too
    code = (
        "import importlib.util, sys\n"
        "real = importlib.util.find_spec\n"
        "importlib.util.find_spec = lambda name, *a: None if name == 'nnworkshop' else real(name, *a)\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance(colors='nocolor')\n"
        f"first = shell.run_cell({source!r})\n"
        "second = shell.run_cell('print(\\'after\\')', store_history=True)\n"
        "print('FIRST-FAILED', not first.success, type(first.error_in_exec).__name__)\n"
    )
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": "", "PIP_RETRIES": "0"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, env=env)
    out = result.stdout + result.stderr
    assert "FIRST-FAILED True CourseNotInstalled" in out, out
    assert "The course could not be installed:" in out and "run this cell again" in out and "make lab" in out
    assert "Traceback" not in out and "ModuleNotFoundError" not in out, out
    start = out.index("The course could not be installed:")
    assert len(out[start:out.index("FIRST-FAILED")].strip().splitlines()) <= 6, out


def test_no_hub_link_until_a_hub_is_configured(tmp_path):
    publish = links.read_publish(ROOT / "pyproject.toml")
    assert publish.jupyterhub == "", "the course ships without a hub address; instructors add theirs"
    for path in [ROOT / "README.md", *COURSE]:
        text = path.read_text(encoding="utf-8")
        assert "example.edu" not in text and "git-pull?" not in text, f"{path.name} shows a hub nobody configured"
    hub = links.Publish(publish.repository, publish.branch, "https://hub.uni.example")
    assert "[JupyterHub](https://hub.uni.example/hub/user-redirect/git-pull?" in hub.line("notebooks/03_mnist.ipynb")
    assert "JupyterHub" not in publish.line("notebooks/03_mnist.ipynb")
    assert "| JupyterHub |" in links.readme_table(hub, ROOT) and "JupyterHub" not in links.readme_table(publish, ROOT)


def test_a_hub_address_that_is_not_an_address_is_refused(tmp_path):
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8").replace("\n[tool.nnworkshop]\n", '\n[tool.nnworkshop]\njupyterhub = "my hub"\n')
    (tmp_path / "pyproject.toml").write_text(text)
    with pytest.raises(links.PublishConfigError, match="not a web address"):
        links.read_publish(tmp_path / "pyproject.toml")
