"""``nnworkshop lab``: JupyterLab opened on the course, with ``notebooks/`` and ``exercises/`` one click apart.

JupyterLab serves the checkout's root (so both folders are in the file browser), opens ``00_setup`` first,
and hides each notebook's jupytext twin (``01_numpy_from_scratch.py`` beside ``01_numpy_from_scratch.ipynb``):
a learner sees every notebook once. ``make lab`` runs this; so can a learner without ``make``
(``.venv/bin/nnworkshop lab``, or ``.venv\\Scripts\\nnworkshop lab`` on Windows). Arguments after ``lab`` go to
JupyterLab as they are (``--port 8890``, ``--no-browser``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .publish import REPO

FIRST = "notebooks/00_setup.ipynb"
# JupyterLab's own defaults, then the jupytext twins of the course's notebooks (NN_name.py, qN_name.py), the
# exercises folder's __init__.py (it ships the exercises inside the package) and
# packaging leftovers a learner never needs. Globs match names, in every folder.
HIDE = ["__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~",
        "[0-9][0-9]_*.py", "q[0-9]_*.py", "__init__.py", "*.egg-info"]


def lab_command(root: Path = REPO, extra: list[str] | None = None) -> list[str]:
    """The JupyterLab command line ``nnworkshop lab`` runs: the course root, the first notebook, twins hidden."""
    cmd = [sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={root}",
           f"--LabApp.default_url=/lab/tree/{FIRST}"]
    cmd += [f"--ContentsManager.hide_globs={glob}" for glob in HIDE]
    if hasattr(os, "getuid") and os.getuid() == 0:  # Jupyter refuses root unless told; containers often are root
        cmd.append("--allow-root")
    return cmd + list(extra or [])


def main(argv=None) -> int:
    """Run JupyterLab on the course (see the module's docstring); its exit status."""
    if not (REPO / FIRST).is_file():
        print(f"nnworkshop lab opens a checkout of the course, and {REPO} is not one (no {FIRST}). "
              "Clone the course and run `make lab` there, or open the notebooks from the course site.", file=sys.stderr)
        return 1
    try:
        return subprocess.call(lab_command(REPO, list(argv or [])), cwd=REPO)
    except KeyboardInterrupt:
        return 0
