"""Build the course site: ``python website/build.py --out build/site`` (``make site``).

Stages ``website/`` (conf.py, index.md), the notebooks and the exercises (never the solutions) into one
Sphinx source folder, writes the launch-link table from pyproject.toml (``nnworkshop links``), and runs
Sphinx, which executes every notebook with the environment it is given (``NNWORKSHOP_QUICK``,
``NNWORKSHOP_DATA``). Prints where the site is and how long the build took.
"""

from __future__ import annotations

import argparse
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
    for folder in ("notebooks", "exercises"):  # the solutions are never published
        (src / folder).mkdir()
        for nb in sorted((REPO / folder).glob("*.ipynb")):
            shutil.copy(nb, src / folder / nb.name)
    (src / "launch_links.md").write_text(readme_table(read_publish(REPO / "pyproject.toml"), REPO), encoding="utf-8")
    return src


def main(argv=None) -> int:
    """Stage and build; the exit code is Sphinx's."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "build" / "site", help="folder for the HTML site")
    parser.add_argument("--src", type=Path, default=REPO / "build" / "site-src", help="staging folder")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    src = stage(args.src)
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-j", "1", "-W", "--keep-going", "-q", str(src), str(args.out)]
    result = subprocess.run(cmd, cwd=src)
    seconds = time.perf_counter() - start
    if result.returncode == 0:
        print(f"site built in {seconds:.0f} s: open {args.out / 'index.html'}")
    else:
        print(f"site build failed after {seconds:.0f} s (Sphinx exit code {result.returncode}; its messages are above)",
              file=sys.stderr)
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
