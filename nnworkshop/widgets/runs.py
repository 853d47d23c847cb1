"""Finished runs: their table rows, the table widget, and their CSV (the curves are ``curves.py``)."""

from __future__ import annotations

import csv
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import ipywidgets as W

from ..choices import OPTIMIZERS
from ..history import History
from .controls import FIELDS

# columns of ``ExperimentDashboard.runs`` and of the CSV, in order
RESULTS = ("status", "epochs_run", "train_loss", "test_loss", "train_acc", "test_acc", "seconds", "device")
COLUMNS = ("run", "group", *FIELDS, "momentum", "parameters", *RESULTS)
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def color(run_id: int) -> str:
    """The colour of run ``run_id``'s curves (and of its mark in the table)."""
    return COLORS[(run_id - 1) % len(COLORS)]


@dataclass
class Run:
    """One training run: ``row`` (hyperparameters and results, the keys of ``COLUMNS``),
    its ``history``, whether its curves are shown, a ``uid`` (so a board counts a resend once),
    whether it was ``sent`` to a board, its trained ``weights`` (``[W1, b1, ...]`` NumPy arrays, W of shape
    (out_features, in_features); kept only when a board is set, so the board can check the run itself) and the
    accuracy the board measured on them (``checked_acc``)."""

    row: dict
    history: History
    visible: bool = True
    uid: str = field(default_factory=lambda: uuid.uuid4().hex)
    sent: bool = False
    weights: list | None = field(default=None, repr=False)
    checked_acc: float | None = None

    @property
    def id(self) -> int:
        return self.row["run"]

    def label(self) -> str:
        """Short legend text: ``#2 adam lr=0.001 2x128 relu``."""
        r = self.row
        net = f"{widths_text(r['widths'])} {r['activation']}" if r["hidden_layers"] else "no hidden layer"
        return f"#{r['run']} {OPTIMIZERS[r['optimizer']].label} lr={r['lr']:g} {net}"


def widths_text(widths) -> str:
    """``(128, 64)`` -> ``"128-64"`` (``"0"`` for no hidden layer)."""
    return "-".join(map(str, widths)) or "0"


def make_row(run_id: int, values: dict, history: History, status: str, seconds: float, device: str,
             group: int | None = None, parameters: int | None = None) -> dict:
    """The table row of a finished run: the hyperparameters it was given and what it reached.

    ``group``: the first run of a setting repeated over seeds (its own number when not repeated).
    """
    last = history.last()
    rounded = lambda x, n: None if x is None else round(float(x), n)  # noqa: E731
    row = {"run": run_id, "group": run_id if group is None else group,
           **{k: values[k] for k in (*FIELDS, "momentum")}, "parameters": parameters}
    row["widths"] = tuple(row["widths"])
    row.update(
        status=status,
        epochs_run=history.epochs,
        train_loss=rounded(last["train_loss"], 4),
        test_loss=rounded(last["test_loss"], 4),
        train_acc=rounded(last["train_acc"], 2),
        test_acc=rounded(last["test_acc"], 2),
        seconds=round(float(seconds), 2),
        device=device,
    )
    return row


def write_csv(rows: list[dict], path) -> Path:
    """Write ``rows`` (dicts with the keys of ``COLUMNS``) as CSV with a header; return the path."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise ValueError(f"cannot save to {path}: the folder {path.parent} does not exist. Create it or pick another path.")
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({**r, "widths": widths_text(r["widths"])} for r in rows)
    return path


# ----------------------------------------------------------------------------- the table


class RunTable:
    """The finished runs and their table widget: a show checkbox and a clear button per row.

    ``on_change`` is called with no arguments after a run is shown, hidden or cleared.
    """

    # the accuracies right after the run's number: on a projector the table is cut at its right edge first
    HEAD = ("show", "run", "status", "val acc", "train acc", "layers", "parameters", "activation", "optimizer", "lr",
            "batch", "epochs", "dropout", "L2", "digits", "normalised", "seed", "seconds", "device", "board", "clear")

    def __init__(self, on_change=lambda: None):
        self.runs: list[Run] = []
        self.on_change = on_change
        self.locked = False
        self._boxes: dict[int, W.Checkbox] = {}
        self.grid = W.GridBox(layout={"grid_template_columns": f"repeat({len(self.HEAD)}, max-content)",
                                      "grid_gap": "2px 0.8em", "align_items": "center", "width": "max-content"})
        self.grid.add_class("nnw-run-table")
        # the table scrolls sideways inside its box rather than being cut off on a narrow screen
        self.box = W.Box([self.grid], layout={"overflow": "auto", "width": "100%",
                                              "max_height": "24em"})
        self.box.add_class("nnw-run-table-box")
        self.refresh()

    def add(self, run: Run) -> None:
        """Append a finished run and show it."""
        self.runs.append(run)
        self.refresh()

    def get(self, run_id: int) -> Run:
        """The run numbered ``run_id``."""
        for run in self.runs:
            if run.id == run_id:
                return run
        have = ", ".join(str(r.id) for r in self.runs) or "none"
        raise ValueError(f"there is no run #{run_id}; the runs in the table are: {have}.")

    def set_visible(self, run_id: int, visible: bool) -> None:
        """Show or hide run ``run_id``'s curves (and tick or untick its box)."""
        run = self.get(run_id)
        if run.visible == bool(visible):
            return
        run.visible = bool(visible)
        box = self._boxes.get(run_id)
        if box is not None:
            box.value = run.visible  # its observer calls back here and returns at once
        self.on_change()

    def clear(self, run_id: int | None = None) -> None:
        """Remove run ``run_id`` from the table and the figure; ``None`` removes every run."""
        if run_id is None:
            self.runs.clear()
        else:
            self.runs.remove(self.get(run_id))
        self.refresh()
        self.on_change()

    def lock(self, locked: bool) -> None:
        """Disable (``True``) or enable the checkboxes and clear buttons."""
        self.locked = locked
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the table widget from ``self.runs``."""
        old = list(self.grid.children)
        cells = [W.HTML(f"<b style='white-space:nowrap'>{h}</b>") for h in self.HEAD]
        if not self.runs:
            cells = [W.HTML("<i>no runs yet: press Train</i>", layout={"grid_column": "1 / -1"})]
        self._boxes = {}
        for run in self.runs:
            cells += self._row_cells(run)
        self.grid.children = cells
        for widget in old:
            widget.close()

    def _row_cells(self, run: Run) -> list:
        r = run.row
        show = W.Checkbox(run.visible, indent=False, disabled=self.locked, layout={"width": "auto"})
        show.observe(lambda change, i=run.id: self.set_visible(i, change["new"]), names="value")
        show.add_class("nnw-show-run")
        self._boxes[run.id] = show
        clear = W.Button(description="", icon="times", disabled=self.locked, layout={"width": "34px"},
                         tooltip=f"clear run #{run.id}")
        clear.on_click(lambda _, i=run.id: self.clear(i))
        clear.add_class("nnw-clear-run")
        status = {"diverged": "<b style='color:#c00'>diverged</b>", "stopped": "<i>stopped</i>"}.get(r["status"], r["status"])
        fmt = lambda x, unit="": "–" if x is None else f"{x:.2f}{unit}"  # noqa: E731
        board = "–" if not run.sent else "sent" if run.checked_acc is None else f"sent, checked {run.checked_acc:.2f}%"
        texts = [
            f"<span style='color:{color(run.id)}'>&#9632;</span> #{r['run']}", status,
            fmt(r["test_acc"], "%"), fmt(r["train_acc"], "%"),
            widths_text(r["widths"]), f"{r['parameters']:,}" if r.get("parameters") else "–", r["activation"],
            OPTIMIZERS[r["optimizer"]].label, f"{r['lr']:g}", str(r["batch_size"]), f"{r['epochs_run']}/{r['epochs']}",
            f"{r['dropout']:g}", f"{r['weight_decay']:g}", str(r["train_size"]), "yes" if r["normalize"] else "no",
            str(r["seed"]), f"{r['seconds']:.1f}", r["device"], board,
        ]
        cells = [W.HTML(f"<span style='white-space:nowrap'>{t}</span>") for t in texts]
        cells[0].add_class("nnw-run-id")
        cells[1].add_class("nnw-run-status")
        cells[2].add_class("nnw-run-val-acc")
        cells[3].add_class("nnw-run-train-acc")
        cells[-1].add_class("nnw-run-sent")
        return [show, *cells, clear]
