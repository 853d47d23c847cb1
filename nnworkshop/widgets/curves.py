"""The dashboard's curves: loss and accuracy per epoch of every shown run, in one matplotlib figure.

Runs that repeat one setting over several seeds (one ``group``) are also drawn as their mean
validation accuracy with a band of ± one standard deviation, so a room can tell a real difference from noise.
"""

from __future__ import annotations

import io
import statistics

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imsave
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ..plots import draw_history
from .runs import Run, color

# sizes for a laptop screen and for a projector (the presenter switch)
STYLES = {
    False: {"title": 12, "label": 12, "ticks": 12, "legend": 11, "lw": 1.6, "ms": 4, "height": 3.6, "runs": 6},
    True: {"title": 17, "label": 16, "ticks": 15, "legend": 14, "lw": 3.5, "ms": 9, "height": 3.9, "runs": 4},
}
# "runs": the legend names the newest runs only (the rest are counted in one line); "height": inches without it


def new_figure() -> Figure:
    """The two-panel figure (loss, accuracy) the dashboard redraws; no pyplot, so nothing leaks into cells."""
    fig = Figure(figsize=(10, 3.8), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    fig.add_subplot(1, 2, 1)
    fig.add_subplot(1, 2, 2)
    return fig


def groups(runs: list[Run]) -> dict[int, list[Run]]:
    """The runs of each setting repeated over seeds: ``{group: [runs]}`` for groups of two or more."""
    out: dict[int, list[Run]] = {}
    for run in runs:
        out.setdefault(run.row.get("group", run.id), []).append(run)
    return {g: rs for g, rs in out.items() if len(rs) >= 2}


def spread(runs: list[Run]) -> dict:
    """Mean, standard deviation, min and max of the final validation accuracy of ``runs`` (at least two)."""
    accs = [r.row["test_acc"] for r in runs if r.row.get("test_acc") is not None]
    if len(accs) < 2:
        return {}
    return {"n": len(accs), "mean": statistics.fmean(accs), "sd": statistics.stdev(accs), "min": min(accs), "max": max(accs)}


def spread_text(runs: list[Run]) -> list[str]:
    """One line per repeated setting: ``runs #3-#5 (seeds 0, 1, 2): validation accuracy 95.12 ± 0.31 % ...``."""
    lines = []
    for members in groups(runs).values():
        s = spread(members)
        if s:
            seeds = ", ".join(str(r.row["seed"]) for r in members)
            lines.append(f"runs #{members[0].id}–#{members[-1].id} (seeds {seeds}): validation accuracy "
                         f"{s['mean']:.2f} ± {s['sd']:.2f} % (mean ± sd of {s['n']}; {s['min']:.2f} to {s['max']:.2f} %)")
    return lines


def draw(fig: Figure, runs: list[Run], live: Run | None = None, presenter: bool = False) -> None:
    """Redraw ``fig``: loss and accuracy per epoch of every visible run, and of ``live`` (the run in progress).

    Solid lines are training data, dashed lines validation data, in the run's colour; the legend (under the
    accuracy panel, never over a curve) names the newest few runs (``STYLES[...]["runs"]``). The x axis spans the epochs actually run
    (a run stopped at epoch 7 of 40 fills the axis). ``presenter``: large text, thick lines, big markers.
    """
    st = STYLES[bool(presenter)]
    finished = [r for r in runs if r.visible]
    shown = finished + ([live] if live is not None else [])
    lines = min(len(shown), st["runs"]) + (len(shown) > st["runs"]) + len(groups(finished))
    fig.set_size_inches(10, st["height"] + lines * st["legend"] * 1.5 / 72)  # the legend under the panel gets its room
    loss_ax, acc_ax = fig.axes
    for ax in (loss_ax, acc_ax):
        ax.clear()
        ax.grid(alpha=0.3)
        ax.set_xlabel("epoch", fontsize=st["label"])
        ax.tick_params(labelsize=st["ticks"])
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    key = "\n" if presenter else " "  # on the projector the key gets its own line, so the title fits its panel
    loss_ax.set_title(f"loss{key}(solid: train, dashed: validation)", fontsize=st["title"])
    acc_ax.set_title(f"accuracy %{key}(solid: train, dashed: validation)", fontsize=st["title"])
    for run in shown:
        draw_history(loss_ax, acc_ax, run.history, color(run.id), f"#{run.id}", lw=st["lw"], ms=st["ms"],
                     test_markers=False)
    handles, labels = [], []
    for members in groups(finished).values():
        _band(acc_ax, members, st)
        handles.append(Line2D([], [], color=color(members[0].id), lw=8, alpha=0.25))
        labels.append(f"#{members[0].id}–#{members[-1].id} validation acc mean ± sd ({len(members)} seeds)")
    if shown:
        named = shown[-st["runs"]:]
        handles = [Line2D([], [], color=color(r.id), lw=st["lw"]) for r in named] + handles
        labels = [r.label() + (" (training)" if r is live else "") for r in named] + labels
        if len(shown) > len(named):
            handles.append(Line2D([], [], color="none"))
            labels.append(f"(and {len(shown) - len(named)} earlier run{'s' if len(shown) - len(named) > 1 else ''})")
        # under the panel, never over the curves
        acc_ax.legend(handles, labels, fontsize=st["legend"], loc="upper center", bbox_to_anchor=(0.5, -0.22),
                      frameon=False, borderaxespad=0, borderpad=0)
        last = max(r.history.epochs for r in shown)
        for ax in (loss_ax, acc_ax):
            ax.set_xlim(0.8, max(last, 1) + 0.2)
    else:
        loss_ax.text(0.5, 0.5, "press Train:\ncurves appear here, epoch by epoch", fontsize=st["label"],
                     ha="center", va="center", transform=loss_ax.transAxes, color="gray")
    # The legend hangs under the axes it is anchored to, so one pass of the constrained layout leaves it a few
    # pixels short of the picture's bottom edge; a pass now and the one at drawing time put it inside.
    fig.get_layout_engine().execute(fig)


def _band(ax, members: list[Run], st: dict) -> None:
    """Mean validation accuracy of ``members`` per epoch, with ± one standard deviation shaded (epochs all reached)."""
    curves = [r.history.test_acc for r in members if r.history.test_acc]
    epochs = min((len(c) for c in curves), default=0)
    if len(curves) < 2 or epochs == 0:
        return
    mean = [statistics.fmean(c[e] for c in curves) for e in range(epochs)]
    sd = [statistics.stdev(c[e] for c in curves) for e in range(epochs)]
    xs = list(range(1, epochs + 1))
    c = color(members[0].id)
    ax.fill_between(xs, [m - s for m, s in zip(mean, sd)], [m + s for m, s in zip(mean, sd)], color=c, alpha=0.2, lw=0)
    ax.plot(xs, mean, ":", lw=st["lw"] * 1.5, color=c, label=f"#{members[0].id}–#{members[-1].id} mean validation acc")


def png(fig: Figure) -> bytes:
    """``fig`` rendered as PNG bytes."""
    buf = io.BytesIO()
    fig.canvas.print_png(buf)
    return buf.getvalue()


def panel_pngs(fig: Figure) -> list[bytes]:
    """Each panel of ``fig`` (title, ticks and legend included) as its own PNG, from one rendering.

    Two pictures rather than one let the page put them side by side on a wide screen and one under
    the other on a narrow one, so neither is shrunk until its text cannot be read.
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    pixels = np.asarray(fig.canvas.buffer_rgba())
    height, width = pixels.shape[:2]
    out = []
    for ax in fig.axes:
        box = ax.get_tightbbox(renderer)  # display pixels, origin at the bottom left
        x0, x1 = max(0, int(box.x0) - 4), min(width, int(np.ceil(box.x1)) + 4)
        y0, y1 = max(0, int(height - box.y1) - 4), min(height, int(np.ceil(height - box.y0)) + 4)
        buf = io.BytesIO()
        imsave(buf, pixels[y0:y1, x0:x1], format="png")
        out.append(buf.getvalue())
    return out
