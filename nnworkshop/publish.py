"""Where the course is published, and what that writes into a notebook: its launch links and its set-up cell.

The one place that says where: ``pyproject.toml``, ``[project.urls] Repository`` (a GitHub address) and
``[tool.nnworkshop]`` ``branch`` and, where the course has a hub, ``jupyterhub`` (the hub nbgitpuller links open on); ``read_publish``
reads it into a ``Publish``. ``apply`` writes one notebook's links and set-up cell; ``nnworkshop links``
(``links.py``) applies it to every notebook, and ``nnworkshop exercises build`` to every exercise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- launch: written by `nnworkshop links` from pyproject.toml; edit there -->", "<!-- /launch -->"
BLOCK = re.compile(r"<!-- launch:.*?<!-- /launch -->\n?", re.S)
SETUP_MARK = "# Set-up"  # how the set-up cell is recognised, to be rewritten in place
SETUP_CELL = '''\
# Set-up (the same in every notebook): installs the course where it is missing, e.g. on Colab.
import importlib.util, sys  # noqa: E401
COURSE = "{spec}"
if importlib.util.find_spec("nnworkshop") is None:
    import subprocess
    print(f"nnworkshop is not installed here: pip install {COURSE} ...")
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", COURSE], capture_output=True, text=True)
    if pip.returncode != 0:  # say what failed and what to do, then stop the notebook here
        class CourseNotInstalled(Exception):
            _render_traceback_ = lambda self: [str(self)]  # noqa: E731 - Jupyter shows this message alone
        why = (pip.stderr.strip().splitlines() or ["pip gave no reason"])[-1][:300]
        raise CourseNotInstalled(
            f"The course could not be installed: {why}\\n"
            "Check the internet connection (pip fetches the course from GitHub with git), then run this cell again."
            f"\\nOr install it by hand: pip install {COURSE}\\nOr, on your own machine: clone the course and run `make lab`.")
    importlib.invalidate_caches()
    print("nnworkshop installed.")
if "google.colab" in sys.modules:
    print("Colab: Runtime > Change runtime type > GPU makes training use CUDA.")
    print("MNIST (12 MB) downloads on first use.")'''


class PublishConfigError(ValueError):
    """pyproject.toml does not say (usably) where the course is published; the message names the fix."""


@dataclass(frozen=True)
class Publish:
    """Where the course is published: a GitHub ``repository`` address, its ``branch``, and the ``jupyterhub``
    address nbgitpuller links open on ("" where the course has no hub: then no JupyterHub link is shown)."""

    repository: str
    branch: str
    jupyterhub: str = ""

    @property
    def owner_name(self) -> str:
        """``owner/name`` of the GitHub repository."""
        m = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?/?", self.repository)
        if not m:
            raise PublishConfigError(
                f"[project.urls] Repository = {self.repository!r} in pyproject.toml is not a GitHub address "
                "(https://github.com/OWNER/NAME): Colab and Binder open notebooks from GitHub."
            )
        return m.group(1)

    @property
    def install_spec(self) -> str:
        """What ``pip install`` gets the course from, e.g. ``git+https://github.com/o/n@main``."""
        return f"git+https://github.com/{self.owner_name}@{self.branch}"

    def colab(self, path: str) -> str:
        """Open-in-Colab address of the notebook at ``path`` (relative to the repository root)."""
        return f"https://colab.research.google.com/github/{self.owner_name}/blob/{self.branch}/{path}"

    def binder(self, path: str) -> str:
        """mybinder.org address that builds the repository (environment.yml) and opens ``path`` in JupyterLab."""
        return f"https://mybinder.org/v2/gh/{self.owner_name}/{self.branch}?urlpath={quote('lab/tree/' + path, safe='')}"

    def nbgitpuller(self, path: str) -> str:
        """nbgitpuller address: the hub clones (or updates) the repository into the user's home and opens ``path``."""
        name = self.owner_name.split("/")[1]
        repo = quote(f"https://github.com/{self.owner_name}", safe="")
        where = quote(f"lab/tree/{name}/{path}", safe="")
        return f"{self.jupyterhub.rstrip('/')}/hub/user-redirect/git-pull?repo={repo}&branch={self.branch}&urlpath={where}"

    def line(self, path: str) -> str:
        """The markdown line of launch links for one notebook (the JupyterHub one only where a hub is set)."""
        hub = f" · [JupyterHub]({self.nbgitpuller(path)}) (nbgitpuller)" if self.jupyterhub else ""
        return f"**Run it:** [Open in Colab]({self.colab(path)}) · [Binder]({self.binder(path)}){hub}"


def read_publish(pyproject: Path = REPO / "pyproject.toml") -> Publish:
    """The ``Publish`` settings from ``pyproject.toml``."""
    try:
        import tomllib
    except ImportError:  # Python 3.10: pytest (dev extra) depends on tomli there
        import tomli as tomllib
    if not Path(pyproject).is_file():
        raise PublishConfigError(f"{pyproject} not found: `nnworkshop links` runs in a checkout of the course.")
    data = tomllib.loads(Path(pyproject).read_text(encoding="utf-8"))
    repository = data.get("project", {}).get("urls", {}).get("Repository")
    tool = data.get("tool", {}).get("nnworkshop", {})
    missing = [k for k, v in (("[project.urls] Repository", repository), ("[tool.nnworkshop] branch", tool.get("branch")))
               if not v]
    if missing:
        raise PublishConfigError(f"{pyproject} lacks {', '.join(missing)}: say where the course is published.")
    hub = tool.get("jupyterhub", "")
    if hub and not re.fullmatch(r"https?://[^\s/]+(/\S*)?", hub):
        raise PublishConfigError(f"[tool.nnworkshop] jupyterhub = {hub!r} in {pyproject} is not a web address "
                                 "(https://hub.your-university.edu); leave it out where the course has no hub.")
    publish = Publish(repository, tool["branch"], hub)
    publish.owner_name  # noqa: B018 - validates the address now, with its message
    return publish


def setup_source(publish: Publish) -> str:
    """The set-up cell's source for this publication."""
    return SETUP_CELL.replace("{spec}", publish.install_spec)


def apply(nb, path: str, publish: Publish, links: bool = True, setup: bool = True):
    """Write the launch links (into the first markdown cell) and the set-up cell (right after it) into the
    notebook ``nb`` (nbformat), in place; ``path`` is the notebook's path in the repository. Returns ``nb``."""
    import nbformat

    first = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), None)
    if first is None:
        raise PublishConfigError(f"{path} has no markdown cell to hold its title and launch links; add one first.")
    if links:
        text = BLOCK.sub("", nb.cells[first].source)
        title, _, rest = text.partition("\n")
        block = f"{BEGIN}\n{publish.line(path)}\n{END}"
        if title.startswith("#"):  # under the title
            nb.cells[first].source = f"{title}\n\n{block}\n\n{rest.lstrip(chr(10))}".rstrip()
        else:
            nb.cells[first].source = f"{block}\n\n{text.lstrip(chr(10))}".rstrip()
    if setup:
        source = setup_source(publish)
        after = nb.cells[first + 1] if first + 1 < len(nb.cells) else None
        if after is not None and after.cell_type == "code" and after.source.startswith(SETUP_MARK):
            after.source = source
        else:
            nb.cells.insert(first + 1, nbformat.v4.new_code_cell(source))
    return nb


__all__ = ["Publish", "PublishConfigError", "read_publish", "setup_source", "apply", "REPO"]
