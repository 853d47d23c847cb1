"""The dashboard's digits and device: MNIST loaded once, kept on the device in use, normalised or raw."""

from __future__ import annotations

import html


HELD_OUT = "validation"  # what the dashboard scores every run on: settings are chosen there, never on test digits
N_VAL = 5000  # validation digits set aside from MNIST's training file (a tenth where it holds fewer than 50,000)


def load_mnist(root=None):
    """``(X_train, y_train, X_val, y_val)``: MNIST's training file (``nnworkshop.data.mnist_tensors``, normalised,
    flat) less a seeded validation split (``nnworkshop.splits``). The test digits are never loaded here: they are
    for the one final measurement of a chosen setting (notebook 05)."""
    from ..data import mnist_tensors
    from ..splits import validation_split

    X, y = mnist_tensors(train=True, root=root)
    (X, y), (Xv, yv) = validation_split(X, y, min(N_VAL, len(X) // 10), seed=0)
    return X, y, Xv, yv


def data_on(data, cache: dict, device, normalize: bool = True) -> dict:
    """``cache`` holding the four tensors on ``device`` under ``(str(device), normalize)``; one copy at a time.

    ``normalize=False`` undoes the course's ``MEAN``/``STD``: raw pixels scaled to [0, 1]."""
    from ..data import MEAN, STD

    key = (str(device), bool(normalize))
    if key not in cache:
        X, y, Xt, yt = data
        if not normalize:
            X, Xt = X * STD + MEAN, Xt * STD + MEAN
        cache = {key: tuple(t.to(device) for t in (X, y, Xt, yt))}
    return cache


def pick_device(prefer):
    """``(torch.device, HTML saying which and why)`` for ``prefer`` ("cuda", "mps", "cpu" or None)."""
    from ..device import explain_device
    import torch

    name, reason = explain_device(prefer)
    return torch.device(name), f"<span style='color:#555'>device: <b>{html.escape(name)}</b> ({html.escape(reason)})</span>"


def as_four_tensors(data):
    """``(X_train, y_train, X_val, y_val)`` as CPU tensors: float32 inputs (N, features), int64 labels.

    Each pair goes through ``convert.to_tensors``, so the dashboard refuses what ``fit`` refuses, in its words."""
    from ..convert import to_tensors

    if not isinstance(data, (tuple, list)) or len(data) != 4:
        raise ValueError("data must be (X_train, y_train, X_val, y_val): training digits and the validation digits "
                         "runs are scored on (nnworkshop.splits.validation_split makes them).")
    (X, y), (Xt, yt) = to_tensors(data[:2], device="cpu"), to_tensors(data[2:], device="cpu")
    if len(X) == 0:
        raise ValueError("the training set is empty; pass at least one digit.")
    return X.reshape(len(X), -1), y, Xt.reshape(len(Xt), -1), yt


