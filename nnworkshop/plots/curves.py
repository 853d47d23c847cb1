"""Learning curves: loss and accuracy per epoch, one run or many (``curves``, ``draw_history``)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ._common import TRAIN_STYLE, TEST_STYLE, MAX_INLINE_LEGEND


def draw_history(ax_loss, ax_acc, history, color, label: str, lw: float = 1.5, ms: float = 3.5,
                 test_markers: bool = True) -> None:
    """One run's curves on two given axes: loss on ``ax_loss``, accuracy (%) on ``ax_acc``, x = epoch 1, 2, ...

    Training data solid, test data dashed, both in ``color``, with a dot per epoch (on the training line only
    with ``test_markers=False``, as on the dashboard, where thick lines crowd); lines labelled
    ``"<label> train loss"``, ``"<label> test acc"`` and so on. ``curves`` and the experiment dashboard
    both draw with this, so a run looks the same in a notebook figure and on the projector.
    """
    held_out = getattr(history, "held_out", "test")  # "validation" for runs scored while choosing
    for ax, name, train, test in ((ax_loss, "loss", history.train_loss, history.test_loss),
                                  (ax_acc, "acc", history.train_acc, history.test_acc)):
        for values, style, split in ((train, TRAIN_STYLE, "train"), (test, TEST_STYLE, held_out)):
            if values:
                marker = "o" if split == "train" or test_markers else None
                ax.plot(range(1, len(values) + 1), values, style, color=color, marker=marker, lw=lw, ms=ms,
                        label=f"{label} {split} {name}")


def _loss_top(runs) -> tuple[float | None, list[bool]]:
    """Where the loss axis should stop so that a run that blew up (a loss over 100x the median of all runs', or
    not finite, or ``diverged``) does not flatten the others into a line at the bottom, and which runs those
    are: ``(top or None when no run blew up, one flag per run)``."""
    per_run = []
    for h in runs:
        v = np.array(list(h.train_loss) + list(h.test_loss), dtype=float)
        per_run.append(v)
    finite = [v[np.isfinite(v)] for v in per_run]
    pooled = np.concatenate(finite) if finite else np.array([])
    if not pooled.size:
        return None, [False] * len(runs)
    limit = 100 * max(float(np.median(pooled)), 1e-12)
    wild = [bool(getattr(h, "diverged", False)) or not np.isfinite(v).all() or (v.size > 0 and v.max() > limit)
            for h, v in zip(runs, per_run)]
    tame = [f for f, w in zip(finite, wild) if not w and f.size]
    if not any(wild) or not tame:
        return None, wild
    return 1.1 * max(float(f.max()) for f in tame), wild


def curves(history_or_histories, labels=None) -> Figure:
    """Loss (left) and accuracy (right) per epoch; several runs overlaid, train solid / test dashed.

    Accepts one ``History``, a list of them, or a dict ``{label: history}``. ``labels`` default to
    each history's ``label`` (or "run 1", "run 2", ...).
    """
    runs = history_or_histories
    if isinstance(runs, dict):
        labels, runs = list(runs) if labels is None else labels, list(runs.values())
    elif not isinstance(runs, (list, tuple)):
        runs = [runs]
    if labels is None:
        labels = [getattr(h, "label", "") or f"run {i + 1}" for i, h in enumerate(runs)]
    labels = list(labels)
    if len(labels) != len(runs):
        raise ValueError(f"got {len(labels)} labels for {len(runs)} histories; give one label per history.")

    fig = Figure(figsize=(11, 4), layout="constrained")
    ax_loss, ax_acc = fig.subplots(1, 2)
    top, wild = _loss_top(runs)
    if top is not None:  # a run blew up: the axis fits the others, and the legend says which left it
        labels = [f"{label} (loss off the top)" if w else label for label, w in zip(labels, wild)]
    for i, (h, label) in enumerate(zip(runs, labels)):
        draw_history(ax_loss, ax_acc, h, f"C{i % 10}", label)
    ax_loss.set(title="loss", xlabel="epoch", ylabel="cross-entropy")
    if top is not None:
        ax_loss.set_ylim(0, top)
    ax_acc.set(title="accuracy", xlabel="epoch", ylabel="accuracy (%)")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
        if ax.lines and len(runs) <= MAX_INLINE_LEGEND:
            ax.legend(fontsize="small")
    if len(runs) > MAX_INLINE_LEGEND:  # one entry per run, beside the axes, so it covers no curve
        from matplotlib.lines import Line2D

        handles = [Line2D([], [], color=f"C{i % 10}", marker="o", ms=3.5, label=label) for i, label in enumerate(labels)]
        handles += [Line2D([], [], color="k", ls=TRAIN_STYLE, label="train"),
                    Line2D([], [], color="k", ls=TEST_STYLE,
                           label=" / ".join(sorted({getattr(h, "held_out", "test") for h in runs})))]
        fig.legend(handles=handles, loc="outside right center", fontsize="small")
    return fig


__all__ = ['draw_history', 'curves']
