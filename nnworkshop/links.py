"""``nnworkshop links``: launch links and the set-up cell, written from the one place that says where the
course is published.

That place is ``pyproject.toml``: ``[project.urls] Repository`` (a GitHub address) and ``[tool.nnworkshop]``
``branch`` and, where the course has a hub, ``jupyterhub`` (the hub nbgitpuller links open on). From them this
writes

- into every notebook's first markdown cell, Open-in-Colab, Binder and (with a hub) nbgitpuller links, between
  ``<!-- launch -->`` markers (exercises get theirs from ``nnworkshop exercises build``, which calls
  ``apply``; solutions get none);
- right after that cell, in every notebook and solution (so in every exercise), the set-up cell: it installs
  the course with ``pip install git+<Repository>@<branch>`` where ``nnworkshop`` is missing (Colab, a bare
  kernel) and does nothing where it is installed (it imports ``subprocess`` only then: the grader's sandbox
  refuses it). Its logic lives in the cell itself because it must run before ``nnworkshop`` is importable.
  No ``[lab]`` extra: Colab and hubs have their own Jupyter;
- into README.md, a table of every notebook's and exercise's links, between the same kind of markers.

What a notebook's links and set-up cell say is ``publish.py``'s; this module writes them everywhere.
``nnworkshop links --check`` exits 1 when any of it is stale. The links are plain text links, not badge
images, so that they also read right on an offline copy of the course site.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .exercises import build, stale
from .publish import (  # noqa: F401 - the publication's vocabulary, public here too
    BEGIN,
    BLOCK,
    END,
    REPO,
    SETUP_CELL,
    SETUP_MARK,
    Publish,
    PublishConfigError,
    apply,
    read_publish,
    setup_source,
)

NOTEBOOK_FOLDERS = ("notebooks",)  # links in their first markdown cell
SETUP_FOLDERS = ("notebooks", "solutions")  # the set-up cell (exercises inherit it from solutions)
def readme_table(publish: Publish, root: Path = REPO) -> str:
    """The README's block: how Colab installs the course, and every notebook's and exercise's links."""
    rows = [f"{BEGIN}",
            f"Published from `{publish.repository}`, branch `{publish.branch}`; "
            f"Colab and bare kernels install it with `pip install \"{publish.install_spec}\"` (the set-up cell).",
            "", "| notebook | Colab | Binder |" + (" JupyterHub |" if publish.jupyterhub else ""),
            "|---|---|---|" + ("---|" if publish.jupyterhub else "")]
    for folder in ("notebooks", "exercises"):
        for nb in sorted((root / folder).glob("*.ipynb")):
            p = f"{folder}/{nb.name}"
            hub = f" [open]({publish.nbgitpuller(p)}) |" if publish.jupyterhub else ""
            rows.append(f"| `{p}` | [open]({publish.colab(p)}) | [open]({publish.binder(p)}) |{hub}")
    return "\n".join(rows + [END]) + "\n"


def _write_pair(nb, ipynb: Path) -> None:
    import jupytext

    jupytext.write(nb, ipynb, fmt="ipynb")
    jupytext.write(nb, ipynb.with_suffix(".py"), fmt="py:percent")


def run(root: Path = REPO, check: bool = False) -> list[str]:
    """Write (or, with ``check``, only compare) every link and set-up cell; return what was (or is) stale."""
    import jupytext

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
