"""Runs the board has checked itself: a learner's trained weights scored on digits the learner never had.

Only weights travel, never code: the dashboard sends its MLP's weight arrays in the grader's wire format
(``nnworkshop.grading.protocol``: a size limit, allow-listed dtypes, no pickle), and the board runs the
forward pass itself in NumPy. The digits are the MNIST test file, which the dashboard never loads (it
chooses on validation digits set aside from the training file; a learner who trains on the test file by hand,
outside the dashboard, is not caught by this); the board splits them once, at random
with a fixed seed, into *check* digits (the "checked" accuracy shown live) and *private* digits (kept for
the instructor's Kaggle-style reveal at the end; never shown before).

- ``CheckDigits.load(root)``            the digits, from ``root`` or ``NNWORKSHOP_DATA`` (``None`` when absent)
- ``decode_weights(body, sizes)``       the posted message -> ``[(W (out, in), b (out,)), ...]``, or ``ValueError``
- ``accuracy(layers, activation, X, y)``  percent of ``X`` (N, in) classified as ``y`` (N,)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..grading.protocol import Budget, ProtocolError, unpack
from ..mnist_files import MEAN, STD, _raw, idx_shape, resolve_root

MAX_WEIGHTS = 4 * 2**20  # bytes: a million float32 parameters; the course's MLP (~110k) is under half a MB
FLOATS = ("<f4", "<f8", "<f2")
# What decoding one posted set of weights may cost the board (see protocol.Budget): a list of arrays.
WEIGHTS = Budget(message=MAX_WEIGHTS, header=16 * 1024, depth=4, values=2000, objects=80, arrays=34,
                 array_bytes=MAX_WEIGHTS, ndim=2)
PRIVATE_SHARE = 0.5  # of the test file, kept for the reveal
SPLIT_SEED = 23


def _gelu(x):
    erf = np.frompyfunc(math.erf, 1, 1)
    return (0.5 * x * (1.0 + erf(x / math.sqrt(2.0)).astype(x.dtype)))


ACTIVATIONS = {  # the same functions as torch.nn's defaults (LeakyReLU slope 0.01, exact GELU)
    "relu": lambda x: np.maximum(x, 0),
    "tanh": np.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.01 * x),
    "gelu": _gelu,
}


@dataclass
class CheckDigits:
    """The board's held digits: ``check`` and ``private`` as (pixels uint8 (N, 784), labels int64 (N,))."""

    check: tuple[np.ndarray, np.ndarray]
    private: tuple[np.ndarray, np.ndarray]
    source: str

    @classmethod
    def load(cls, root=None) -> CheckDigits | None:
        """The MNIST test file under ``root`` (else ``NNWORKSHOP_DATA``, else the cache folder), split in two;
        None when it is not there (the board then says it cannot check runs)."""
        raw = _raw(resolve_root(root))
        images, labels = raw / "t10k-images-idx3-ubyte", raw / "t10k-labels-idx1-ubyte"
        if not (images.is_file() and labels.is_file()):
            return None
        n, h, w = idx_shape(images)
        (m,) = idx_shape(labels)
        if m != n:
            raise ValueError(f"{images} has {n} digits but {labels} has {m} labels; copy the two files again.")
        X = np.fromfile(images, dtype=np.uint8, offset=16).reshape(n, h * w)
        y = np.fromfile(labels, dtype=np.uint8, offset=8).astype(np.int64)
        order = np.random.default_rng(SPLIT_SEED).permutation(n)
        cut = n - int(n * PRIVATE_SHARE)
        return cls((X[order[:cut]], y[order[:cut]]), (X[order[cut:]], y[order[cut:]]), str(Path(images).parent))

    @staticmethod
    def inputs(pixels: np.ndarray, normalize: bool) -> np.ndarray:
        """uint8 pixels (N, 784) -> float32 inputs as the dashboard trained on them: ``(x/255 - MEAN) / STD``
        with ``normalize``, else ``x/255``."""
        x = pixels.astype(np.float32) / 255
        return (x - MEAN) / STD if normalize else x


def layer_sizes(run: dict) -> list[int]:
    """``[inputs, *widths, 10]`` of a stored run."""
    hp = run["hyperparameters"]
    return [int(hp.get("inputs", 784)), *map(int, hp["widths"]), 10]


def decode_weights(body: bytes, sizes: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The posted ``body`` (one ``protocol.pack`` message: a list ``[W1, b1, W2, b2, ...]``, W of shape
    (out_features, in_features), float16/32/64) checked against the run's layer ``sizes``; ``ValueError``
    naming what is wrong."""
    if len(body) < 8 or int.from_bytes(body[:8], "big") != len(body) - 8:
        raise ValueError("the weights are not one message of the grader's wire format (nnworkshop.grading.protocol.pack).")
    try:
        arrays = unpack(memoryview(body)[8:], WEIGHTS)
    except ProtocolError as err:
        raise ValueError(f"the weights were refused: {err}.") from None
    if not isinstance(arrays, list) or not all(isinstance(a, np.ndarray) for a in arrays):
        raise ValueError("send a list of arrays [W1, b1, W2, b2, ...], nothing else.")
    if len(arrays) != 2 * (len(sizes) - 1):
        raise ValueError(f"the run's network {'-'.join(map(str, sizes))} has {len(sizes) - 1} layers: "
                         f"send {2 * (len(sizes) - 1)} arrays (a weight and a bias each), got {len(arrays)}.")
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        W, b = arrays[2 * i], arrays[2 * i + 1]
        for what, a, shape in (("weight", W, (n_out, n_in)), ("bias", b, (n_out,))):
            if a.dtype.str not in FLOATS:
                raise ValueError(f"layer {i + 1}'s {what} is {a.dtype}; send float16, float32 or float64.")
            if a.shape != shape:
                raise ValueError(f"layer {i + 1}'s {what} has shape {a.shape}, the run's network needs {shape} "
                                 "(weights as (out_features, in_features)).")
            if not np.isfinite(a).all():
                raise ValueError(f"layer {i + 1}'s {what} holds NaN or infinity.")
        layers.append((W.astype(np.float32), b.astype(np.float32)))
    return layers


def accuracy(layers, activation: str, X: np.ndarray, y: np.ndarray, batch: int = 2000) -> float:
    """Percent of ``X`` (N, in) whose largest output is the label ``y`` (N,): the forward pass
    ``x -> act(x @ W1.T + b1) -> ... -> x @ Wn.T + bn`` (dropout is off when a network is evaluated)."""
    act = ACTIVATIONS[activation]
    right = 0
    for at in range(0, len(X), batch):
        h = X[at:at + batch]
        for i, (W, b) in enumerate(layers):
            h = h @ W.T + b
            if i < len(layers) - 1:
                h = act(h)
        right += int((h.argmax(axis=1) == y[at:at + batch]).sum())
    return 100.0 * right / len(X)


def score(digits: CheckDigits, run: dict, layers) -> tuple[float, float]:
    """(accuracy on the check digits, accuracy on the private digits) of ``run``'s network with ``layers``."""
    hp = run["hyperparameters"]
    normalize = bool(hp.get("normalize", True))
    out = []
    for pixels, labels in (digits.check, digits.private):
        out.append(accuracy(layers, hp["activation"], CheckDigits.inputs(pixels, normalize), labels))
    return out[0], out[1]
