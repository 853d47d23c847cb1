"""Synthetic stand-in digits in MNIST's file format: for tests and CI where real MNIST is absent.

Each class is a distinct digit-like stroke drawing with random wobble, rotation, shift, thickness and noise.
Never substituted for MNIST behind a learner's back: ``nnworkshop.data`` only reads what is on disk, and the
test harness announces when it wrote these (``nnworkshop.standin``). ``write_idx`` is the one IDX writer in the
package (the grader stages its data with it too).
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

# Digit-like strokes in a 20x20 box (x right, y down), MNIST's digit box: polylines, and ellipses
# given as ("ellipse", cx, cy, rx, ry) so that their wobble stays smooth.
_STROKES = {
    0: [("ellipse", 10, 10, 6, 9)],
    1: [[(7, 4), (10, 1), (10, 19)]],
    2: [[(4, 5), (7, 1), (13, 1), (16, 5), (15, 9), (4, 19), (16, 19)]],
    3: [[(4, 2), (15, 2), (9, 9), (15, 12), (15, 17), (11, 19), (4, 18)]],
    4: [[(13, 19), (13, 1), (3, 13), (17, 13)]],
    5: [[(16, 1), (5, 1), (4, 9), (12, 8), (16, 12), (15, 17), (11, 19), (4, 18)]],
    6: [[(14, 1), (7, 6), (4, 13), (6, 18), (11, 19), (15, 16), (14, 11), (9, 10), (4, 13)]],
    7: [[(3, 1), (17, 1), (8, 19)]],
    8: [("ellipse", 10, 5, 5, 4.5), ("ellipse", 10, 14.5, 6, 5)],
    9: [("ellipse", 10, 6, 5, 5), [(15, 6), (13, 19)]],
}
_GRID = np.stack(np.meshgrid(np.arange(28), np.arange(28), indexing="xy"), axis=-1).reshape(-1, 1, 2) + 0.5


def _polyline(stroke, rng: np.random.Generator) -> np.ndarray:
    """The stroke's vertices with random wobble: ellipses vary their centre and radii, polylines each vertex."""
    if stroke[0] == "ellipse":
        cx, cy, rx, ry = np.array(stroke[1:], dtype=float) + rng.normal(0, 0.6, size=4)
        t = np.linspace(0, 2 * np.pi, 25)
        return np.stack([cx + rx * np.sin(t), cy - ry * np.cos(t)], axis=1)
    return np.array(stroke, dtype=float) + rng.normal(0, 0.7, size=(len(stroke), 2))


def _draw(digit: int, rng: np.random.Generator) -> np.ndarray:
    """One 28x28 uint8 digit: the class's strokes, wobbled, rotated, scaled, shifted, thickened, noisy."""
    angle, scale = rng.normal(0, 0.12), rng.uniform(0.85, 1.1)
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    shift = 14 + rng.uniform(-2, 2, size=2)
    lines = [(_polyline(s, rng) - 10) @ rot.T + shift for s in _STROKES[digit]]
    a = np.concatenate([line[:-1] for line in lines])  # segment starts (S, 2)
    ab = np.concatenate([line[1:] for line in lines]) - a  # segment directions (S, 2)
    t = np.clip(((_GRID - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-9), 0, 1)  # (784, S)
    dist = np.sqrt(((_GRID - a - t[..., None] * ab) ** 2).sum(-1)).min(1)  # distance to the nearest stroke
    ink = np.clip(rng.uniform(1.0, 1.8) + 0.5 - dist, 0, 1) * rng.uniform(0.75, 1.0)
    pixels = ink * 255 + rng.normal(0, 12, size=ink.shape)
    return np.clip(pixels, 0, 255).astype(np.uint8).reshape(28, 28)


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write ``array`` (uint8; labels ``(N,)`` or images ``(N, 28, 28)``) as an IDX file, plus a ``.gz`` copy:
    the format MNIST ships in and torchvision reads."""
    code = {1: 0x0801, 3: 0x0803}[array.ndim]
    data = struct.pack(f">I{array.ndim}I", code, *array.shape) + np.ascontiguousarray(array, np.uint8).tobytes()
    path.write_bytes(data)
    Path(f"{path}.gz").write_bytes(gzip.compress(data, mtime=0))


def write_synthetic_mnist(root, n_train: int = 600, n_test: int = 200, seed: int = 0) -> Path:
    """Write small learnable stand-in digits as MNIST files in torchvision's layout; return ``root``.

    ``root/MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (plus ``.gz`` copies): each class is a
    distinct digit-like stroke drawing with random wobble, rotation, shift, thickness and noise (uint8 0-255),
    classes in equal shares in random order. Same ``seed``, same bytes. Use it where real MNIST is absent
    (tests, CI); it is never substituted for MNIST behind your back.
    """
    for name, n in (("n_train", n_train), ("n_test", n_test)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {n!r}.")
    root = Path(root).expanduser()
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for stream, (prefix, n) in enumerate((("train", n_train), ("t10k", n_test))):
        rng = np.random.default_rng([seed, stream])
        labels = rng.permutation(np.arange(n) % 10).astype(np.uint8)
        images = np.stack([_draw(int(d), rng) for d in labels])
        write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
    return root
