"""What a notebook file says, as opposed to which tool release wrote it.

A generated notebook (``nnworkshop exercises build``, ``nnworkshop links``) is "up to date" when it says what a
fresh build says: the same cells (type, source, metadata, outputs) and the same notebook metadata. It is not
out of date because a newer jupytext wrote ``jupytext_version: 1.19.7`` into the header where the committed
file says 1.19.6, nor because a newer nbformat writes a different minor version or orders keys differently.
Comparing bytes (``filecmp``) failed every fresh install the day a tool released; this compares meaning.

``meaning(path)`` reads either side of a jupytext pair (``.ipynb`` or ``py:percent``) and returns a plain,
comparable structure; ``differences(a, b)`` says in words where two files differ (empty when they agree).
"""

from __future__ import annotations

import copy
from pathlib import Path

# Written by the tool about itself, not by the course: dropped before comparing. Everything else in the
# notebook's metadata (kernelspec, the jupytext filters from jupytext.toml, nnworkshop's exercise id) counts.
TOOL_STAMPS = (("jupytext", "text_representation"),)


def _strip(metadata: dict) -> dict:
    metadata = copy.deepcopy(dict(metadata))
    for path in TOOL_STAMPS:
        node = metadata
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)
    if isinstance(metadata.get("jupytext"), dict) and not metadata["jupytext"]:
        metadata.pop("jupytext")
    return metadata


def meaning(path: Path) -> dict:
    """``{"metadata": ..., "cells": [...]}`` of the notebook at ``path`` (``.ipynb`` or ``py:percent`` ``.py``),
    without what the writing tool stamps about its own version. Cell ids are left out (nbformat invents them)."""
    import jupytext

    path = Path(path)
    nb = jupytext.read(path, fmt="ipynb" if path.suffix == ".ipynb" else "py:percent")
    cells = []
    for c in nb.cells:
        cell = {"type": c.cell_type, "source": c.source, "metadata": dict(c.get("metadata", {}))}
        if c.cell_type == "code":
            cell["outputs"] = [dict(o) for o in c.get("outputs", [])]
            cell["execution_count"] = c.get("execution_count")
        cells.append(cell)
    return {"metadata": _strip(nb.metadata), "cells": cells}


def differences(a: Path, b: Path) -> list[str]:
    """Where the notebooks ``a`` and ``b`` differ in meaning, in words (first differing cell only)."""
    x, y = meaning(a), meaning(b)
    problems = []
    if x["metadata"] != y["metadata"]:
        keys = sorted(k for k in set(x["metadata"]) | set(y["metadata"]) if x["metadata"].get(k) != y["metadata"].get(k))
        problems.append(f"notebook metadata differs ({', '.join(keys)})")
    if len(x["cells"]) != len(y["cells"]):
        problems.append(f"{len(x['cells'])} cells against {len(y['cells'])}")
    for i, (p, q) in enumerate(zip(x["cells"], y["cells"])):
        if p != q:
            what = next(k for k in p if p.get(k) != q.get(k))
            problems.append(f"cell {i} differs in its {what}")
            break
    return problems
