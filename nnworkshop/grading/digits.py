"""The q6 digits as the grader sends them: MNIST's public test digits, perturbed from the assignment's seed.

MNIST's test images are on the internet with their labels, so digits sent as stored could be answered by a
lookup table. ``perturb`` moves each by a fraction of a pixel and adds a little noise: every byte changes, an
honest model hardly notices (docs/grading.md has the measured figures). The parent only; nothing here runs in
the submission's process.
"""

from __future__ import annotations

import numpy as np

SHIFT = 0.5  # pixels, at most, in each direction (a fraction: whole-pixel shifts cost a plain MLP 8 points of accuracy)
NOISE = 0.05  # standard deviation of the noise added to each pixel, on MNIST's 0..1 intensity scale


def _shift(image: np.ndarray, d: float, axis: int) -> np.ndarray:
    """``image`` moved by ``d`` pixels along ``axis`` (linear interpolation between whole shifts; zeros fill in)."""
    k = int(np.floor(d))
    f = d - k
    n = image.shape[axis]
    out = np.zeros_like(image)
    for whole, weight in ((k, 1.0 - f), (k + 1, f)):
        if weight == 0.0 or abs(whole) >= n:
            continue
        src, dst = [slice(None)] * image.ndim, [slice(None)] * image.ndim
        src[axis], dst[axis] = slice(max(0, -whole), n - max(0, whole)), slice(max(0, whole), n - max(0, -whole))
        out[tuple(dst)] += weight * image[tuple(src)]
    return out


def perturb(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The q6 digits as the grader sends them: MNIST's public test digits moved by up to ``SHIFT`` pixels each way
    (interpolated; zeros fill in) and given Gaussian noise of ``NOISE`` (clipped to 0..1), in ``mnist_arrays``'
    normalised format.

    The public test images are on the internet with their labels: a table from an image's bytes to its label would
    otherwise answer every digit. Drawn from the batch seed, so every batch of an assignment sends the same digits.
    docs/grading.md gives what it costs an honest model and a lookup table.
    """
    from ..mnist_files import MEAN, STD

    raw = (images.reshape(-1, 28, 28).astype(np.float64) * STD + MEAN).clip(0.0, 1.0)
    shifts = rng.uniform(-SHIFT, SHIFT, size=(len(raw), 2))
    out = np.stack([_shift(_shift(img, dy, 0), dx, 1) for img, (dy, dx) in zip(raw, shifts)]) if len(raw) else raw
    out = (out + rng.normal(0.0, NOISE, size=out.shape)).clip(0.0, 1.0)
    return ((out - MEAN) / STD).reshape(images.shape).astype(np.float32)
