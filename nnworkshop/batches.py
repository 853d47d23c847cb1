"""Mini-batch order shared by the NumPy and torch loops.

Both ``nnworkshop.scratch.fit`` and ``nnworkshop.training.fit`` draw each
epoch's order from here, so the same ``seed`` gives the same batches in the
same order in both: the comparison notebook relies on it.
"""

from __future__ import annotations

import numpy as np


def epoch_orders(n_samples: int, seed: int | None = 0, shuffle: bool = True):
    """Yield one index array per epoch: a fresh permutation of ``range(n_samples)``
    drawn from ``numpy.random.default_rng(seed)``, or ``arange`` when ``shuffle`` is False."""
    rng = np.random.default_rng(seed)
    while True:
        yield rng.permutation(n_samples) if shuffle else np.arange(n_samples)


def batch_slices(n_samples: int, batch_size: int, drop_last: bool = False):
    """``(start, stop)`` pairs covering ``range(n_samples)``; the last batch may be smaller
    unless ``drop_last``. Every sample is seen once per epoch."""
    stop_at = n_samples - (n_samples % batch_size if drop_last else 0)
    return [(s, min(s + batch_size, n_samples)) for s in range(0, stop_at, batch_size)]
