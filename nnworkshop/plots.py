"""Pictures of training: learning curves, digit grids, predictions, a confusion matrix, conv filters and feature maps.

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
    for i, (h, label) in enumerate(zip(runs, labels)):
        draw_history(ax_loss, ax_acc, h, f"C{i % 10}", label)
    ax_loss.set(title="loss", xlabel="epoch", ylabel="cross-entropy")
    losses = np.array([v for h in runs for v in list(h.train_loss) + list(h.test_loss)], dtype=float)
    losses = losses[np.isfinite(losses) & (losses > 0)]
    if losses.size and losses.max() > 100 * np.median(losses):  # one run blew up: keep the others readable
        ax_loss.set(yscale="log", ylabel="cross-entropy (log scale)")
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
    fig = Figure(figsize=(1.7 * n, 3.6), layout="constrained")
    axes = fig.subplots(2, n, squeeze=False, gridspec_kw={"height_ratios": [1, 1]})
    for i in range(n):
        top, bottom = axes[0, i], axes[1, i]
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
        if i:
            bottom.set_yticklabels([])
    return fig


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
    fig = Figure(figsize=(2.4 * n, 4.4), layout="constrained")
    axes = fig.subplots(2, n, squeeze=False, gridspec_kw={"height_ratios": [1, 1.2]})
    digits = np.arange(classes)
    for col, i in enumerate(indices):
        top, bottom = axes[0, col], axes[1, col]
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
    axes[1, 0].set_ylabel("probability")
    axes[1, 0].legend(fontsize="x-small")
    return fig


# ----------------------------------------------------------------------------- comparisons


def final_accuracy(labels, test_acc, train_acc=None, test_spread=None, title="final accuracy",
                   held_out: str = "test") -> Figure:
    """One horizontal bar per run: final test accuracy (%), train accuracy as a marker, optional error bars.

    ``labels``: run names; ``test_acc`` / ``train_acc``: one number (%) per run; ``test_spread``: one
    half-width per run (e.g. the standard deviation over seeds), drawn as an error bar. The axis starts a
    little below the lowest value, so small differences stay visible; the value is written on each bar.
        ``held_out``: what the bars measured ("test", or "validation" for runs being compared to choose).
    """
    labels, test = list(labels), np.asarray(test_acc, dtype=float).reshape(-1)
    if len(labels) != len(test):
        raise ValueError(f"got {len(labels)} labels for {len(test)} accuracies; give one label per run.")
    train = None if train_acc is None else np.asarray(train_acc, dtype=float).reshape(-1)
    spread = None if test_spread is None else np.asarray(test_spread, dtype=float).reshape(-1)
    fig = Figure(figsize=(8, 0.5 * len(labels) + 1.4), layout="constrained")
    ax = fig.add_subplot()
    rows = np.arange(len(labels))[::-1]
    ax.barh(rows, test, xerr=spread, color="C0", alpha=0.8, label=held_out, capsize=3)
    values = np.concatenate([test] + ([train] if train is not None else []))
    if train is not None:
        ax.plot(train, rows, "D", color="C1", label="train")
    low = max(0.0, float(values.min()) - max(2.0, 0.2 * float(np.ptp(values))))
    ax.set_xlim(low, min(100.0, float(values.max()) + 1.0) + 1.0)
    for r, v in zip(rows, test):
        ax.text(v, r, f"{v:.2f}% ", va="center", ha="right", color="white", fontsize="small")
    ax.set(yticks=rows, yticklabels=labels, xlabel="accuracy after the last epoch (%)", title=title)
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
    ax.imshow(cm, cmap="Blues")
    threshold = cm.max() / 2
    for t in range(classes):
        for p in range(classes):
            ax.text(p, t, str(cm[t, p]), ha="center", va="center", fontsize="small",
                    color="white" if cm[t, p] > threshold else "black")
    ax.set(xticks=range(classes), yticks=range(classes), xlabel="predicted", ylabel="true",
           title=f"confusion matrix ({len(y)} digits, accuracy {accuracy:.1f}%)")
    return fig


__all__ = ["curves", "draw_history", "samples", "predictions", "telling_examples", "compare_probabilities", "final_accuracy",
           "decision_boundary", "confusion", "confusion_matrix"]


# ----------------------------------------------------------------------------- convolutions


def _grid(panels: np.ndarray, titles, suptitle: str, cmap: str, symmetric: bool, lead=None, columns: int = 12):
    """One small image per panel (K, H, W), up to ``columns`` to a row, on one colour scale (centred on 0 when
    ``symmetric``) so that panels compare; ``lead`` (H, W), if given, is drawn first in grey ("input")."""
    shown = [("input", lead, "gray_r", {})] if lead is not None else []
    top = float(np.max(np.abs(panels))) or 1.0
    scale = dict(vmin=-top, vmax=top) if symmetric else dict(vmin=float(panels.min()), vmax=float(panels.max()))
    shown += [(title, panel, cmap, scale) for title, panel in zip(titles, panels)]
    rows = -(-len(shown) // columns)
    cols = -(-len(shown) // rows)  # rows of even length: 16 panels as 2 x 8, not 12 + 4
    fig = Figure(figsize=(1.3 * cols, 1.45 * rows + 0.4), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax in axes[len(shown):]:
        ax.set_axis_off()
    for ax, (title, panel, colours, limits) in zip(axes, shown):
        ax.imshow(panel, cmap=colours, **limits)
        ax.set_title(title, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(suptitle, fontsize=10)
    return fig


def filters(weights, channel: int = 0, title: str = "filters") -> Figure:
    """A conv layer's kernels, one panel each: ``weights`` (out_channels, in_channels, kh, kw) as a NumPy array or
    tensor (e.g. ``model.layers[0].weight`` or a scratch ``Conv2d``'s ``weight.data``), input channel ``channel``.
    Red is positive, blue negative, on one scale centred at 0."""
    _no_model(weights, "filters")
    w = as_numpy(weights)
    if w.ndim != 4 or not 0 <= channel < w.shape[1]:
        raise ValueError(f"filters takes conv weights (out_channels, in_channels, kh, kw) and an input channel "
                         f"below in_channels; got shape {w.shape} and channel={channel}.")
    return _grid(w[:, channel], [f"filter {i}" for i in range(len(w))], title, "RdBu_r", symmetric=True)


def feature_maps(maps, title: str = "feature maps", image=None) -> Figure:
    """What each channel of a conv layer sees in one image: ``maps`` (channels, H, W) (one image's slice of a
    layer's output, computed by the caller); ``image`` (the digit that went in, any shape of 784 values or
    (H, W)) is drawn first."""
    _no_model(maps, "feature_maps")
    m = as_numpy(maps)
    if m.ndim != 3:
        raise ValueError(f"feature_maps takes one image's maps, shape (channels, H, W), got {m.shape}; "
                         "index the batch first, e.g. out[0].")
    lead = None if image is None else _images(as_numpy(image)[None])[0]
    return _grid(m, [f"channel {i}" for i in range(len(m))], title, "viridis", symmetric=False, lead=lead)
