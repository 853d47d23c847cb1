"""Pictures of training: learning curves, digit grids, predictions, a confusion matrix.

Each function returns a ``matplotlib.figure.Figure`` built without pyplot, so it
works headless (no display needed, nothing left open) and in Jupyter shows once
when it is the cell's last expression (or via ``display(fig)``); ``fig.savefig``
writes it to a file. Plots take numbers (arrays, tensors, histories, probabilities) and never run a model:
the notebook computes probabilities where the learner sees it. torch is imported only when a torch
dataset is passed (through ``convert``).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .convert import as_numpy, raw_arrays, to_arrays

TRAIN_STYLE, TEST_STYLE = "-", "--"
MAX_INLINE_LEGEND = 2  # more runs than this: one legend outside the axes
RIGHT, WRONG, OTHER = "tab:green", "tab:red", "lightgray"


# ----------------------------------------------------------------------------- helpers


def _no_model(obj, call: str) -> None:
    """Plots draw numbers; they never run a model. Say how to get the numbers when one is passed."""
    if hasattr(obj, "forward") or hasattr(obj, "parameters"):
        raise TypeError(
            f"plots.{call} takes probabilities, not a model (plots draw, they never run a network). "
            "Compute them first, e.g. proba = nnworkshop.training.predict_proba(model, X) "
            "(or nnworkshop.scratch.predict_proba(net, X)), then call "
            f"plots.{call}({'y' if call == 'confusion' else 'data'}, proba)."
        )


def _images(X: np.ndarray) -> np.ndarray:
    """(N, H, W) images from (N, 784), (N, 1, 28, 28) or (N, 28, 28) arrays (square images)."""
    flat = X.reshape(len(X), -1)
    side = int(round(np.sqrt(flat.shape[1])))
    if side * side != flat.shape[1]:
        raise ValueError(f"cannot show samples of {flat.shape[1]} values as square images; expected e.g. 784 = 28x28.")
    return flat.reshape(len(X), side, side)


def _probability_rows(probabilities, n: int, call: str) -> np.ndarray:
    """``probabilities`` as an ``(n, classes)`` float array, or an error that says what was expected."""
    _no_model(probabilities, call)
    p = as_numpy(probabilities)
    if p.ndim != 2 or len(p) != n:
        raise ValueError(f"probabilities has shape {p.shape}; expected ({n}, classes), one row per digit.")
    return p


def _check_n(n, available: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a whole number >= 1, got {n!r}.")
    if n > available:
        raise ValueError(f"n={n} but the data holds only {available} samples; use n <= {available}.")
    return int(n)


# ----------------------------------------------------------------------------- curves


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


# ----------------------------------------------------------------------------- digits


def samples(dataset_or_arrays, n: int = 9, predictions=None) -> Figure:
    """A grid of the first ``n`` digits titled with their labels.

    ``dataset_or_arrays``: ``(X, y)`` arrays or tensors, or a torch / torchvision dataset.
    ``predictions``: optional predicted classes (length >= n); titles then read "label -> predicted",
    green when right and red when wrong.
    """
    X, y = raw_arrays(dataset_or_arrays)
    n = _check_n(n, len(X))
    images = _images(X[:n])
    if predictions is not None:
        predictions = np.asarray(predictions).reshape(-1)
        if len(predictions) < n:
            raise ValueError(f"got {len(predictions)} predictions for n={n} digits; give at least n.")
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    fig = Figure(figsize=(1.6 * cols, 1.8 * rows), layout="constrained")
    for i in range(n):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(images[i], cmap="gray_r")
        ax.set_xticks([])
        ax.set_yticks([])
        if predictions is None:
            ax.set_title(f"label {int(y[i])}", fontsize="small")
        else:
            ok = int(predictions[i]) == int(y[i])
            ax.set_title(f"{int(y[i])} -> {int(predictions[i])}", fontsize="small", color=RIGHT if ok else WRONG)
    return fig


def predictions(data, probabilities, n: int = 8, indices=None) -> Figure:
    """The first ``n`` digits, or those at ``indices``, (top row) and a model's predicted probabilities (bars below).

    The predicted class's bar is green when it matches the label and red when not.
    ``data`` as in ``samples``; ``probabilities``: ``(N, classes)``, one row per digit in ``data``, e.g.
    ``training.predict_proba(model, X)``; ``indices`` (e.g. from ``telling_examples``) overrides ``n``.
    """
    _no_model(data, "predictions")
    X, y = to_arrays(data)
    probs = _probability_rows(probabilities, len(X), "predictions")
    if indices is None:
        indices = np.arange(_check_n(n, len(X)))
    indices = np.asarray(indices, dtype=np.int64).reshape(-1)
    n = _check_n(len(indices), len(X))
    X, y, probs = X[indices], y[indices], probs[indices]
    images = _images(X)
    classes = probs.shape[1]
    cols = _columns(n, 6)
    fig = Figure(figsize=(1.7 * cols, 3.6 * -(-n // cols)), layout="constrained")
    pairs = _digit_and_bars(fig, n, cols, (1, 1))
    for i, (top, bottom) in enumerate(pairs):
        top.imshow(images[i], cmap="gray_r")
        top.set_xticks([])
        top.set_yticks([])
        guess = int(probs[i].argmax())
        top.set_title(f"label {int(y[i])}", fontsize="small")
        colors = [OTHER] * classes
        colors[guess] = RIGHT if guess == int(y[i]) else WRONG
        bottom.bar(range(classes), probs[i], color=colors)
        bottom.set_ylim(0, 1)
        bottom.set_xticks(range(classes))
        bottom.tick_params(labelsize="x-small")
        bottom.set_title(f"predicted {guess}", fontsize="small", color=colors[guess])
        if i % cols:
            bottom.set_yticklabels([])
    return fig


def _columns(n: int, most: int) -> int:
    """Columns for ``n`` digits, at most ``most`` a row, rows as even as can be (9 -> 5 + 4, not 6 + 3): a
    figure no wider than a page's column, so its text is not shrunk out of reach."""
    rows = -(-n // most)
    return -(-n // rows)


def _digit_and_bars(fig, n: int, cols: int, ratios) -> list:
    """``n`` (image axes, bar axes) pairs in rows of ``cols``: each row of digits above its row of bar charts;
    the slots a last short row leaves are removed, so ``fig.axes`` holds exactly the ``2 n`` axes drawn."""
    rows = -(-n // cols)
    axes = fig.subplots(2 * rows, cols, squeeze=False, gridspec_kw={"height_ratios": list(ratios) * rows})
    for k in range(n, rows * cols):
        fig.delaxes(axes[2 * (k // cols), k % cols])
        fig.delaxes(axes[2 * (k // cols) + 1, k % cols])
    return [(axes[2 * (k // cols), k % cols], axes[2 * (k // cols) + 1, k % cols]) for k in range(n)]


def telling_examples(probabilities, y, n_each: int = 3) -> dict:
    """Indices of digits worth looking at: ``{"confident and right", "hesitant", "wrong"}``, up to ``n_each`` each.

    ``probabilities``: (N, classes) array; ``y``: (N,) labels. "confident and right": the highest probability
    on the true class; "hesitant": the lowest top probability among the right ones; "wrong": the most
    confident mistakes. A group with no such digit is empty.
    """
    p, y = as_numpy(probabilities), as_numpy(y).reshape(-1)
    if p.ndim != 2 or len(p) != len(y):
        raise ValueError(f"probabilities has shape {p.shape} for {len(y)} labels; expected ({len(y)}, classes).")
    top, guess = p.max(axis=1), p.argmax(axis=1)
    right, wrong = np.flatnonzero(guess == y), np.flatnonzero(guess != y)
    return {
        "confident and right": right[np.argsort(-top[right], kind="stable")][:n_each],
        "hesitant": right[np.argsort(top[right], kind="stable")][:n_each],
        "wrong": wrong[np.argsort(-top[wrong], kind="stable")][:n_each],
    }


def compare_probabilities(data, probabilities: dict, indices=None) -> Figure:
    """Digits on top; below each, the probability every model gives every class, bars side by side.

    ``probabilities``: ``{name: (N, classes) array}``, e.g. ``{"NumPy": p_numpy, "PyTorch": p_torch}``,
    rows matching ``data`` (arrays or a dataset, as in ``samples``); ``indices`` picks the digits shown
    (default: the first 6). Each title gives the label and every model's predicted class, in red with
    "WRONG" when a model's prediction is not the label.
    """
    X, y = to_arrays(data)
    names = list(probabilities)
    probs = {name: as_numpy(p) for name, p in probabilities.items()}
    for name, p in probs.items():
        if p.ndim != 2 or len(p) != len(X):
            raise ValueError(f"probabilities[{name!r}] has shape {p.shape}; expected ({len(X)}, classes), "
                             "one row per digit in data.")
    indices = np.arange(_check_n(6, len(X))) if indices is None else np.asarray(indices)
    images = _images(X[indices])
    n, classes, width = len(indices), probs[names[0]].shape[1], 0.8 / len(names)
    cols = _columns(n, 4)
    fig = Figure(figsize=(2.4 * cols, 4.4 * -(-n // cols)), layout="constrained")
    pairs = _digit_and_bars(fig, n, cols, (1, 1.2))
    digits = np.arange(classes)
    for col, (i, (top, bottom)) in enumerate(zip(indices, pairs)):
        top.imshow(images[col], cmap="gray_r")
        top.set_xticks([])
        top.set_yticks([])
        guesses = ", ".join(f"{name} {int(probs[name][i].argmax())}" for name in names)
        wrong = [name for name in names if int(probs[name][i].argmax()) != int(y[i])]
        top.set_title(f"label {int(y[i])}: {guesses}" + ("\nWRONG" if wrong else ""), fontsize="x-small",
                      color=WRONG if wrong else "black")
        for k, name in enumerate(names):
            bottom.bar(digits + (k - (len(names) - 1) / 2) * width, probs[name][i], width=width, label=name)
        bottom.set_ylim(0, 1)
        bottom.set_xticks(digits)
        bottom.tick_params(labelsize="x-small")
    pairs[0][1].set_ylabel("probability")
    pairs[0][1].legend(fontsize="x-small")
    return fig


# ----------------------------------------------------------------------------- comparisons


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
    from .validate import check_labels

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


__all__ = ["curves", "draw_history", "samples", "predictions", "telling_examples", "compare_probabilities", "final_accuracy",
           "decision_boundary", "confusion", "confusion_matrix"]
