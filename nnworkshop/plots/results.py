"""Results side by side: accuracy per run, a decision boundary, the confusion matrix."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..convert import as_numpy
from ._common import _no_model, _probability_rows


def final_accuracy(labels, test_acc, train_acc=None, test_spread=None, title="final accuracy",
                   held_out: str = "test") -> Figure:
    """One row per run: held-out accuracy (%) as a dot with its error bar, train accuracy as a diamond.

    ``labels``: run names; ``test_acc`` / ``train_acc``: one number (%) per run; ``test_spread``: one
    half-width per run (e.g. the standard deviation over seeds), drawn as an error bar; ``held_out``: what the
    dots measured ("test", or "validation" for runs being compared to choose).
    Why dots, not bars: a bar's length says "this much", so an axis that starts at 85 % makes a 1-point gap
    look like double; a dot's position reads the same on a zoomed axis, which keeps small differences visible.
    Each value is written to the right of its row's markers, where no marker covers it.
    """
    labels, test = list(labels), np.asarray(test_acc, dtype=float).reshape(-1)
    if len(labels) != len(test):
        raise ValueError(f"got {len(labels)} labels for {len(test)} accuracies; give one label per run.")
    train = None if train_acc is None else np.asarray(train_acc, dtype=float).reshape(-1)
    spread = None if test_spread is None else np.asarray(test_spread, dtype=float).reshape(-1)
    fig = Figure(figsize=(8, 0.5 * len(labels) + 1.4), layout="constrained")
    ax = fig.add_subplot()
    rows = np.arange(len(labels))[::-1]
    for r in rows:  # a faint guide line per row, from the axis to the dot
        ax.axhline(r, color="0.85", lw=0.8, zorder=0)
    ax.errorbar(test, rows, xerr=spread, fmt="o", color="C0", ms=7, capsize=3, label=held_out, zorder=3)
    values = np.concatenate([test] + ([train] if train is not None else []))
    if train is not None:
        ax.plot(train, rows, "D", color="C1", ms=6, label="train", zorder=3)
    low = max(0.0, float(values.min()) - max(2.0, 0.2 * float(np.ptp(values))))
    high = min(100.0, float(values.max()) + 1.0) + max(1.5, 0.25 * (float(values.max()) - low))
    ax.set_xlim(low, high)
    right = test if train is None else np.maximum(test, train)
    if spread is not None:
        right = np.maximum(right, test + spread)
    pad = 0.015 * (high - low)
    for r, v, x in zip(rows, test, right):
        ax.text(x + pad, r, f"{v:.2f}%", va="center", ha="left", color="C0", fontsize="small")
    ax.set(yticks=rows, yticklabels=labels, title=title,
           xlabel="accuracy after the last epoch (%)" + ("" if low == 0 else f"; the axis starts at {low:.0f} %"))
    ax.set_ylim(-0.6, len(labels) - 0.4)
    ax.grid(axis="x", alpha=0.3)
    fig.legend(loc="outside right upper", fontsize="small")
    return fig


def decision_boundary(grid_x, grid_y, probability, X, y) -> Figure:
    """A 2-D classifier's P(class 1) over a grid, its P = 0.5 line, and the data points on top.

    ``grid_x``, ``grid_y``: (H, W) meshgrid coordinates; ``probability``: (H, W) P(class 1) there;
    ``X``: (N, 2) points; ``y``: (N,) labels 0/1, drawn as white circles (0) and black squares (1),
    so they stand out from the background's colours.
    """
    X, y = as_numpy(X), as_numpy(y).reshape(-1)
    fig = Figure(figsize=(5.5, 4.5), layout="constrained")
    ax = fig.add_subplot()
    cs = ax.contourf(grid_x, grid_y, probability, levels=np.linspace(0, 1, 21), cmap="RdBu_r")
    ax.contour(grid_x, grid_y, probability, levels=[0.5], colors="k", linewidths=1.5)
    for label, marker, face in ((0, "o", "white"), (1, "s", "black")):
        pts = X[y == label]
        ax.scatter(pts[:, 0], pts[:, 1], marker=marker, s=160, c=face, edgecolors="gold", linewidths=2,
                   label=f"class {label}", zorder=3)
    fig.colorbar(cs, label="P(class 1)")
    ax.set(xlabel="input 1 ($x_1$)", ylabel="input 2 ($x_2$)", title="decision boundary (black line: P = 0.5)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, fontsize="small")
    return fig


# ----------------------------------------------------------------------------- confusion


def confusion_matrix(y_true, y_pred, n_classes: int = 10) -> np.ndarray:
    """``(n_classes, n_classes)`` int64 counts: row = true class, column = predicted class."""
    from ..validate import check_labels

    y_true, y_pred = np.asarray(y_true).reshape(-1), np.asarray(y_pred).reshape(-1)
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}; they must match.")
    check_labels(y_true, n_classes)
    check_labels(y_pred, n_classes)
    flat = np.bincount(n_classes * y_true.astype(np.int64) + y_pred.astype(np.int64), minlength=n_classes**2)
    return flat.reshape(n_classes, n_classes)


def confusion(y, probabilities) -> Figure:
    """Heat map of the confusion matrix, with the count in each cell.

    ``y``: ``(N,)`` true labels; ``probabilities``: ``(N, classes)``, a model's probabilities for those digits
    (e.g. ``training.predict_proba(model, X)``); the predicted class is each row's largest.
    """
    _no_model(y, "confusion")
    y = as_numpy(y).reshape(-1)
    probs = _probability_rows(probabilities, len(y), "confusion")
    classes = probs.shape[1]
    cm = confusion_matrix(y, probs.argmax(axis=1), classes)
    accuracy = 100.0 * np.trace(cm) / max(cm.sum(), 1)
    fig = Figure(figsize=(6, 5.5), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(_confusion_colours(cm))
    for t in range(classes):
        for p in range(classes):
            if cm[t, p]:
                ax.text(p, t, str(cm[t, p]), ha="center", va="center", fontsize="small",
                        color="white" if _confusion_shade(cm, t, p) > 0.55 else "black")
    ax.set(xticks=range(classes), yticks=range(classes), xlabel="predicted", ylabel="true",
           title=f"confusion matrix ({len(y)} digits, accuracy {accuracy:.1f}%)\n"
                 "right answers in blue, mistakes in red (each on its own scale)")
    return fig


def _confusion_shade(cm: np.ndarray, t: int, p: int) -> float:
    """How dark cell (t, p) is drawn, 0..1: the right answers (diagonal) and the mistakes each on their own scale,
    so that a handful of mistakes is not drawn white beside a diagonal of hundreds."""
    diagonal = np.diag(cm)
    mistakes = cm - np.diag(diagonal)
    top = diagonal.max() if t == p else mistakes.max()
    return 0.0 if top == 0 else 0.15 + 0.85 * float(cm[t, p]) / float(top) if cm[t, p] else 0.0


def _confusion_colours(cm: np.ndarray) -> np.ndarray:
    """An RGBA image of the matrix: blues on the diagonal, reds off it, white where the count is 0."""
    from matplotlib import colormaps

    image = np.ones(cm.shape + (4,))
    for t in range(cm.shape[0]):
        for p in range(cm.shape[1]):
            if cm[t, p]:
                image[t, p] = colormaps["Blues" if t == p else "Reds"](_confusion_shade(cm, t, p))
    return image


__all__ = ['final_accuracy', 'decision_boundary', 'confusion_matrix', 'confusion']
