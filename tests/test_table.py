"""nnworkshop.table: the one text-table formatter (notebook 05's runs, notebook 06's head-to-heads)."""

import pytest

from nnworkshop.history import History
from nnworkshop.table import Table, of_runs


def _history(test=True):
    h = History(label="x")
    for loss, acc in ((2.0, 40.0), (0.05231, 98.5)):
        h.append(train_loss=loss, train_acc=acc, test_loss=loss + 0.1 if test else None,
                 test_acc=acc - 1 if test else None, seconds=1.0)
    return h


def test_table_aligns_columns_and_formats_cells():
    t = Table([{"setup": "fair", "s": 1.23456, "tiny": 0.0001234, "n": 3, "none": None},
               {"setup": "the original", "s": 12.0, "tiny": 0.5, "n": 12, "none": 1.0}], formats={"s": ".3f"})
    lines = str(t).splitlines()
    assert lines[0].split() == ["setup", "s", "tiny", "n", "none"]
    assert lines[2].split() == ["fair", "1.235", "1.2e-04", "3", "-"]
    assert lines[3].split() == ["the", "original", "12.000", "0.50", "12", "1.00"]
    assert len({len(line) for line in lines}) == 1  # every line as wide: the columns line up
    assert lines[2].startswith("fair ") and lines[2].endswith("-")  # first column left, the others right
    assert str(Table()) == "(no rows)"


def test_of_runs_gives_each_runs_last_epoch():
    t = of_runs([_history(), _history(test=False)], ["with test", "train only"])
    assert [r["run"] for r in t] == ["with test", "train only"]
    assert t[0]["train loss"] == 0.05231 and t[0]["test acc %"] == 97.5 and t[1]["test loss"] is None
    row = str(t).splitlines()[2].split()
    assert row == ["with", "test", "0.0523", "98.50", "0.1523", "97.50"]  # losses keep four decimals
    with pytest.raises(ValueError, match="got 1 labels for 2 runs; give one label per run"):
        of_runs([_history(), _history()], ["one"])


def test_runs_scored_on_validation_say_so_in_their_columns():
    val = _history()
    val.held_out = "validation"
    t = of_runs([val], ["chosen on validation"])
    assert t[0]["validation acc %"] == 97.5 and "test acc %" not in t[0]
    assert "held-out acc %" in of_runs([val, _history()], ["a", "b"])[0]
