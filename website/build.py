"""Build the course site: ``python website/build.py --out build/site`` (``make site``).

Stages ``website/`` (conf.py, index.md), the notebooks and the exercises (never the solutions) into one
Sphinx source folder, writes the launch-link table from pyproject.toml (``nnworkshop links``), and runs
Sphinx, which executes every notebook with the environment it is given (``NNWORKSHOP_QUICK``,
``NNWORKSHOP_DATA``). Prints where the site is and how long the build took.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent


def stage(src: Path) -> Path:
    """Fill ``src`` (emptied first) with the site's sources; return it."""
    from nnworkshop.links import read_publish, readme_table

    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    for name in ("conf.py", "index.md"):
        shutil.copy(HERE / name, src / name)
    shutil.copytree(HERE / "_static", src / "_static")
    for folder in ("notebooks", "exercises"):  # the solutions are never published
        (src / folder).mkdir()
        for nb in sorted((REPO / folder).glob("*.ipynb")):
            shutil.copy(nb, src / folder / nb.name)
    adapt_for_the_page(src / "notebooks")
    (src / "launch_links.md").write_text(readme_table(read_publish(REPO / "pyproject.toml"), REPO), encoding="utf-8")
    return src


DASHBOARD_CELL = "ExperimentDashboard()"
SETUP_CELL = "# Set-up (the same in every notebook)"
DASHBOARD_PICTURE = """\
```{figure} ../_static/dashboard.png
:alt: The experiment dashboard in JupyterLab: sliders and menus for every knob, a Train button, live loss and
  accuracy curves, and the table of runs.

The dashboard as it looks in JupyterLab, after two runs (a picture: on this page nothing can run; open the
notebook to use it).
```
"""


def adapt_for_the_page(folder: Path) -> None:
    """The staged notebooks, made for a page: the set-up cell (it installs the course on Colab) is left out, and
    the cell that opens the dashboard shows a picture of it (``_static/dashboard.png``, taken in JupyterLab)
    instead of widget output that a static page cannot draw. The staged copies only: learners' notebooks are
    not touched. Raises unless the dashboard's cell is found once, so an edit cannot silently lose it."""
    import nbformat

    found = []
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:  # the set-up cell installs the course on Colab: on a page it is noise
            if cell.cell_type == "code" and cell.source.startswith(SETUP_CELL):
                cell.metadata.setdefault("tags", []).append("remove-cell")
        at = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and DASHBOARD_CELL in c.source]
        for i in reversed(at):
            nb.cells[i].metadata.setdefault("tags", []).append("remove-output")
            nb.cells.insert(i + 1, nbformat.v4.new_markdown_cell(DASHBOARD_PICTURE))
        nbformat.write(nb, path)
        found += [path.name] * len(at)
    if len(found) != 1:
        raise SystemExit(f"expected one notebook cell with {DASHBOARD_CELL}, found {len(found)} ({found}); "
                         "update DASHBOARD_CELL in website/build.py")


def build_env(src: Path) -> dict:
    """The environment Sphinx runs the notebooks in: this one, except that the digits are found where a learner's
    are, ``~/.cache/nnworkshop/data`` under a home folder staged in ``src`` (a link to the digits this machine
    has), so no page prints this machine's own paths. Unchanged where there are no digits here yet."""
    from nnworkshop.mnist_files import describe_source, resolve_root

    env = dict(os.environ, MATPLOTLIBRC=str(HERE / "matplotlibrc"))
    info = describe_source()
    if not (info["train_present"] and info["test_present"]):
        return env
    home = src / "home"
    env.update(HOME=str(home))
    env.pop("NNWORKSHOP_DATA", None)
    env.pop("XDG_CACHE_HOME", None)
    link = home / ".cache" / "nnworkshop" / "data"  # default_cache_dir() under that home (XDG_CACHE_HOME unset)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(resolve_root().resolve(), target_is_directory=True)
    return env


def main(argv=None) -> int:
    """Stage and build; the exit code is Sphinx's."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "build" / "site", help="folder for the HTML site")
    parser.add_argument("--src", type=Path, default=REPO / "build" / "site-src", help="staging folder")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    src = stage(args.src)
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-j", "1", "-W", "--keep-going", "-q", str(src), str(args.out)]
    result = subprocess.run(cmd, cwd=src, env=build_env(src))
    seconds = time.perf_counter() - start
    if result.returncode == 0:
        print(f"site built in {seconds:.0f} s: open {args.out / 'index.html'}")
    else:
        print(f"site build failed after {seconds:.0f} s (Sphinx exit code {result.returncode}; its messages are above)",
              file=sys.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
