"""Quick mode (CI) keeps the notebooks honest: a visible banner, and every training sweep keeps >= 2 epochs."""

import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("0*.py"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_that_shrink_in_quick_mode_show_the_banner_early(path):
    text = path.read_text(encoding="utf-8")
    if "pick(" not in text:
        return
    cells = [c for c in text.split("# %%") if not c.startswith(" [markdown]")]
    banner = [i for i, cell in enumerate(cells) if "show_quick_mode_banner()" in cell]
    first_pick = next(i for i, cell in enumerate(cells) if "pick(" in cell)
    assert banner and banner[0] <= first_pick, f"{path.name}: call show_quick_mode_banner() before the first pick()"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_quick_mode_trains_for_at_least_two_epochs(path):
    for full, quick in re.findall(r"epochs\s*=\s*pick\((\d+),\s*(\d+)\)", path.read_text(encoding="utf-8")):
        assert int(quick) >= 2, f"{path.name}: epochs = pick({full}, {quick}); a curve needs at least 2 epochs"
