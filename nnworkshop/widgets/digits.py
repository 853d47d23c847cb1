"""The dashboard's digits and device: MNIST loaded once, kept on the device in use, normalised or raw."""

from __future__ import annotations

import html


def load_mnist(root=None):
    """``(X_train, y_train, X_test, y_test)`` from ``nnworkshop.data.mnist_tensors`` (normalised, flat)."""
    from ..data import mnist_tensors

    X, y = mnist_tensors(train=True, root=root)
    Xt, yt = mnist_tensors(train=False, root=root)
    return X, y, Xt, yt


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
    """``(X_train, y_train, X_test, y_test)`` as CPU tensors: float32 inputs (N, features), int64 labels.

    Each pair goes through ``convert.to_tensors``, so the dashboard refuses what ``fit`` refuses, in its words."""
    from ..convert import to_tensors

    if not isinstance(data, (tuple, list)) or len(data) != 4:
        raise ValueError("data must be (X_train, y_train, X_test, y_test), e.g. from nnworkshop.data.mnist_tensors().")
    (X, y), (Xt, yt) = to_tensors(data[:2], device="cpu"), to_tensors(data[2:], device="cpu")
    if len(X) == 0:
        raise ValueError("the training set is empty; pass at least one digit.")
    return X.reshape(len(X), -1), y, Xt.reshape(len(Xt), -1), yt


