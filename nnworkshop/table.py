"""``Table``: rows of numbers printed as an aligned text table, for notebooks (``print(t)`` or a cell's last line).

Notebook 05 prints its runs' final numbers with ``of_runs``; ``compare.table`` prints the NumPy-vs-torch
head-to-heads. One formatter, so every table in the course reads the same way.
"""

from __future__ import annotations


class Table(list):
    """A list of row dicts (the first row's keys are the columns) that prints as an aligned text table.

    The first column is left-aligned, the others right-aligned. Floats get two decimals (e-notation below
    0.001), or the format spec ``formats`` gives their column, e.g. ``{"test loss": ".4f"}``; None prints "-".
    """

    def __init__(self, rows=(), formats: dict | None = None):
        super().__init__(rows)
        self.formats = dict(formats or {})

    def _cell(self, column: str, v) -> str:
        if v is None:
            return "-"
        if isinstance(v, float):
            if column in self.formats:
                return format(v, self.formats[column])
            return f"{v:.1e}" if 0 < abs(v) < 1e-3 else f"{v:.2f}"
        return str(v)

    def __str__(self) -> str:
        if not self:
            return "(no rows)"
        cols = list(self[0])
        cells = [[self._cell(c, r.get(c)) for c in cols] for r in self]
        widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]

        def line(values):
            return "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(values, widths)))

        return "\n".join([line(cols), "  ".join("-" * w for w in widths), *(line(row) for row in cells)])

    __repr__ = __str__


def of_runs(histories, labels) -> Table:
    """One row per training run: its label and its last epoch's train and held-out loss and accuracy (%).

    ``histories``: ``History`` objects (``training.fit`` / ``scratch.fit`` return them); ``labels``: one name each.
    The held-out columns are named for what the runs were scored on (``History.held_out``): "test", or
    "validation" for runs being compared to make a choice ("held-out" when the runs differ).
    """
    histories, labels = list(histories), list(labels)
    if len(histories) != len(labels):
        raise ValueError(f"got {len(labels)} labels for {len(histories)} runs; give one label per run.")
    kinds = {getattr(h, "held_out", "test") for h in histories}
    held = kinds.pop() if len(kinds) == 1 else "held-out"
    rows = []
    for h, label in zip(histories, labels):
        last = h.last()
        rows.append({"run": label, "train loss": last["train_loss"], "train acc %": last["train_acc"],
                     f"{held} loss": last["test_loss"], f"{held} acc %": last["test_acc"]})
    return Table(rows, formats={"train loss": ".4f", f"{held} loss": ".4f"})


__all__ = ["Table", "of_runs"]
