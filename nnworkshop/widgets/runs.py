"""Finished runs: their table rows, their curves in one figure, and their CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import ipywidgets as W
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ..history import History
from .controls import FIELDS, OPTIMIZERS

# columns of ``ExperimentDashboard.runs`` and of the CSV, in order
RESULTS = ("status", "epochs_run", "train_loss", "test_loss", "train_acc", "test_acc", "seconds", "device")
COLUMNS = ("run", *FIELDS, "momentum", *RESULTS)
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def color(run_id: int) -> str:
    """The colour of run ``run_id``'s curves (and of its mark in the table)."""
    return COLORS[(run_id - 1) % len(COLORS)]


@dataclass
class Run:
    """One training run: ``row`` (hyperparameters and results, the keys of ``COLUMNS``),
    its ``history``, and whether its curves are shown."""

    row: dict
    history: History
    visible: bool = True

    @property
    def id(self) -> int:
        return self.row["run"]

    def label(self) -> str:
        """Short legend text: ``#2 adam lr=0.001 2x128 relu``."""
        r = self.row
        net = f"{r['hidden_layers']}x{r['width']} {r['activation']}" if r["hidden_layers"] else "no hidden layer"
        return f"#{r['run']} {OPTIMIZERS[r['optimizer']]} lr={r['lr']:.2g} {net}"


def make_row(run_id: int, values: dict, history: History, status: str, seconds: float, device: str) -> dict:
    """The table row of a finished run: the hyperparameters it was given and what it reached."""
    last = history.last()
    rounded = lambda x, n: None if x is None else round(float(x), n)  # noqa: E731
    row = {"run": run_id, **{k: values[k] for k in (*FIELDS, "momentum")}}
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
        writer.writerows(rows)
    return path


# ----------------------------------------------------------------------------- the figure


def new_figure() -> Figure:
    """The two-panel figure (loss, accuracy) the dashboard redraws; no pyplot, so nothing leaks into cells."""
    fig = Figure(figsize=(9.5, 3.4), dpi=90, layout="constrained")
    FigureCanvasAgg(fig)
    fig.add_subplot(1, 2, 1)
    fig.add_subplot(1, 2, 2)
    return fig


def draw(fig: Figure, runs: list[Run], live: Run | None = None) -> None:
    """Redraw ``fig``: loss and accuracy per epoch of every visible run, and of ``live`` (the run in progress).

    Solid lines are training data, dashed lines test data; each line is labelled
    ``#<run> train loss`` / ``#<run> test acc`` and so on, in the run's colour.
    """
    loss_ax, acc_ax = fig.axes
    for ax in (loss_ax, acc_ax):
        ax.clear()
        ax.grid(alpha=0.3)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    loss_ax.set_title("loss (solid: train, dashed: test)", fontsize=10)
    acc_ax.set_title("accuracy % (solid: train, dashed: test)", fontsize=10)
    shown = [r for r in runs if r.visible] + ([live] if live is not None else [])
    for run in shown:
        h, c, n = run.history, color(run.id), run.id
        xs = range(1, h.epochs + 1)
        loss_ax.plot(xs, h.train_loss, "-o", ms=3, color=c, label=f"#{n} train loss")
        acc_ax.plot(xs, h.train_acc, "-o", ms=3, color=c, label=f"#{n} train acc")
        if h.test_loss:
            loss_ax.plot(range(1, len(h.test_loss) + 1), h.test_loss, "--", color=c, label=f"#{n} test loss")
            acc_ax.plot(range(1, len(h.test_acc) + 1), h.test_acc, "--", color=c, label=f"#{n} test acc")
    if shown:
        handles = [Line2D([], [], color=color(r.id)) for r in shown]  # legend keys only, not drawn lines
        labels = [r.label() + (" (training)" if r is live else "") for r in shown]
        acc_ax.legend(handles, labels, fontsize=8, loc="lower right")
        for ax in (loss_ax, acc_ax):
            ax.set_xlim(0.8, max(max(r.history.epochs, r.row.get("epochs", 1)) for r in shown) + 0.2)
    else:
        loss_ax.text(0.5, 0.5, "press Train:\ncurves appear here, epoch by epoch",
                     ha="center", va="center", transform=loss_ax.transAxes, color="gray")


def png(fig: Figure) -> bytes:
    """``fig`` rendered as PNG bytes (for an ``ipywidgets.Image``)."""
    buf = io.BytesIO()
    fig.canvas.print_png(buf)
    return buf.getvalue()


# ----------------------------------------------------------------------------- the table


class RunTable:
    """The finished runs and their table widget: a show checkbox and a clear button per row.

    ``on_change`` is called with no arguments after a run is shown, hidden or cleared.
    """

    HEAD = ("show", "run", "status", "layers", "activation", "optimizer", "lr", "batch", "epochs",
            "dropout", "L2", "digits", "seed", "train acc", "test acc", "seconds", "device", "clear")

    def __init__(self, on_change=lambda: None):
        self.runs: list[Run] = []
        self.on_change = on_change
        self.locked = False
        self._boxes: dict[int, W.Checkbox] = {}
        self.grid = W.GridBox(layout={"grid_template_columns": f"repeat({len(self.HEAD)}, auto)",
                                      "grid_gap": "2px 9px", "align_items": "center"})
        self.grid.add_class("nnw-run-table")
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
        texts = [
            f"<span style='color:{color(run.id)}'>&#9632;</span> #{r['run']}", status,
            f"{r['hidden_layers']} x {r['width']}" if r["hidden_layers"] else "0", r["activation"],
            OPTIMIZERS[r["optimizer"]], f"{r['lr']:.2g}", str(r["batch_size"]), f"{r['epochs_run']}/{r['epochs']}",
            f"{r['dropout']:g}", f"{r['weight_decay']:g}", str(r["train_size"]), str(r["seed"]),
            fmt(r["train_acc"], "%"), fmt(r["test_acc"], "%"), f"{r['seconds']:.1f}", r["device"],
        ]
        cells = [W.HTML(f"<span style='white-space:nowrap'>{t}</span>") for t in texts]
        cells[0].add_class("nnw-run-id")
        cells[1].add_class("nnw-run-status")
        return [show, *cells, clear]
