"""``nnworkshop links``: launch links and the set-up cell, written from the one place that says where the
course is published.

That place is ``pyproject.toml``: ``[project.urls] Repository`` (a GitHub address) and ``[tool.nnworkshop]``
``branch`` and ``jupyterhub`` (the hub nbgitpuller links open on). From them this writes

- into every notebook's first markdown cell, Open-in-Colab, Binder and nbgitpuller (JupyterHub) links, between
  ``<!-- launch -->`` markers (exercises get theirs from ``nnworkshop exercises build``, which calls
  ``apply``; solutions get none);
- right after that cell, in every notebook and solution (so in every exercise), the set-up cell: it installs
  the course with ``pip install git+<Repository>@<branch>`` where ``nnworkshop`` is missing (Colab, a bare
  kernel) and does nothing where it is installed (it imports ``subprocess`` only then: the grader's sandbox
  refuses it). Its logic lives in the cell itself because it must run before ``nnworkshop`` is importable.
  No ``[lab]`` extra: Colab and hubs have their own Jupyter;
- into README.md, a table of every notebook's and exercise's links, between the same kind of markers.

``nnworkshop links --check`` exits 1 when any of it is stale. The links are plain text links, not badge
images, so that they also read right on an offline copy of the course site.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parent.parent
NOTEBOOK_FOLDERS = ("notebooks",)  # links in their first markdown cell
SETUP_FOLDERS = ("notebooks", "solutions")  # the set-up cell (exercises inherit it from solutions)
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
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", COURSE], check=True)
    importlib.invalidate_caches()
    print("nnworkshop installed.")
if "google.colab" in sys.modules:
    print("Colab: Runtime > Change runtime type > GPU makes training use CUDA.")
    print("MNIST (12 MB) downloads on first use.")'''


class PublishConfigError(ValueError):
    """pyproject.toml does not say (usably) where the course is published; the message names the fix."""


@dataclass(frozen=True)
class Publish:
    """Where the course is published: a GitHub ``repository`` address, its ``branch``, a ``jupyterhub`` address."""

    repository: str
    branch: str
    jupyterhub: str

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
        """The markdown line of launch links for one notebook."""
        return (f"**Run it:** [Open in Colab]({self.colab(path)}) · [Binder]({self.binder(path)}) · "
                f"[JupyterHub]({self.nbgitpuller(path)}) (nbgitpuller)")


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
    missing = [k for k, v in (("[project.urls] Repository", repository), ("[tool.nnworkshop] branch", tool.get("branch")),
                              ("[tool.nnworkshop] jupyterhub", tool.get("jupyterhub"))) if not v]
    if missing:
        raise PublishConfigError(f"{pyproject} lacks {', '.join(missing)}: say where the course is published.")
    publish = Publish(repository, tool["branch"], tool["jupyterhub"])
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


def readme_table(publish: Publish, root: Path = REPO) -> str:
    """The README's block: how Colab installs the course, and every notebook's and exercise's links."""
    rows = [f"{BEGIN}",
            f"Published from `{publish.repository}`, branch `{publish.branch}`; "
            f"Colab and bare kernels install it with `pip install \"{publish.install_spec}\"` (the set-up cell).",
            "", "| notebook | Colab | Binder | JupyterHub |", "|---|---|---|---|"]
    for folder in ("notebooks", "exercises"):
        for nb in sorted((root / folder).glob("*.ipynb")):
            p = f"{folder}/{nb.name}"
            rows.append(f"| `{p}` | [open]({publish.colab(p)}) | [open]({publish.binder(p)}) | [open]({publish.nbgitpuller(p)}) |")
    return "\n".join(rows + [END]) + "\n"


def _write_pair(nb, ipynb: Path) -> None:
    import jupytext

    jupytext.write(nb, ipynb, fmt="ipynb")
    jupytext.write(nb, ipynb.with_suffix(".py"), fmt="py:percent")


def run(root: Path = REPO, check: bool = False) -> list[str]:
    """Write (or, with ``check``, only compare) every link and set-up cell; return what was (or is) stale."""
    import jupytext

    from .exercises import build, stale

    publish = read_publish(root / "pyproject.toml")
    changed = []
    for folder in sorted(set(NOTEBOOK_FOLDERS) | set(SETUP_FOLDERS)):
        for ipynb in sorted((root / folder).glob("*.ipynb")):
            nb = jupytext.read(ipynb, fmt="ipynb")
            before = [(c.cell_type, c.source) for c in nb.cells]
            apply(nb, f"{folder}/{ipynb.name}", publish, links=folder in NOTEBOOK_FOLDERS, setup=folder in SETUP_FOLDERS)
            if [(c.cell_type, c.source) for c in nb.cells] != before:
                changed.append(str(ipynb.relative_to(root)))
                if not check:
                    _write_pair(nb, ipynb)
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    table = readme_table(publish, root)
    new = BLOCK.sub(lambda _: table, text) if BLOCK.search(text) else text.rstrip("\n") + "\n\n" + table
    if new != text:
        changed.append("README.md")
        if not check:
            readme.write_text(new, encoding="utf-8")
    if check:
        changed += stale(root / "solutions", root / "exercises", publish)
    else:
        build(root / "solutions", root / "exercises", publish)
    return changed


def main(argv=None) -> int:
    """``nnworkshop links [--check]``."""
    parser = argparse.ArgumentParser(prog="nnworkshop links", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if any link or set-up cell is stale")
    args = parser.parse_args(argv)
    try:
        changed = run(check=args.check)
    except PublishConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    for name in changed:
        print(("stale: " if args.check else "wrote ") + name)
    if args.check and changed:
        print("launch links are out of date: run `nnworkshop links` and commit the result.", file=sys.stderr)
        return 1
    print("launch links and set-up cells are up to date" if not changed else "done; exercises/ rebuilt")
    return 0
