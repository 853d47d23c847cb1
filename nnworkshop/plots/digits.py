"""Digits and what a network said about them: grids, probability bars, the examples worth a look."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..convert import as_numpy, raw_arrays, to_arrays
from ._common import RIGHT, WRONG, OTHER, _no_model, _images, _probability_rows, _check_n


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


__all__ = ['samples', 'predictions', 'telling_examples', 'compare_probabilities']
