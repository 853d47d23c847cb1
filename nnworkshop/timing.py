"""Timing a piece of work fairly: the clock ``nnworkshop bench`` and ``nnworkshop.compare`` (notebook 06) share.

``timed`` waits for the device before starting and before stopping the clock (on a GPU, timing without that
measures how fast work is queued, not done); ``time_epochs`` adds a warm-up epoch that also measures memory;
``time_interleaved`` runs several contenders in rounds so that a busy spell on a shared machine slows all alike.
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
import tracemalloc
from dataclasses import dataclass, field

DEFAULT_EPOCHS = 3


def _no_sync():
    return None


def sync_for(device) -> callable:
    """A function that waits for ``device`` to finish queued work (``torch.cuda.synchronize`` on CUDA).

    Timing a GPU without it measures how fast work is *queued*, not done.
    """
    kind = str(device).split(":")[0]
    if kind == "cuda":
        import torch

        return lambda: torch.cuda.synchronize(device)
    if kind == "mps":
        import torch

        return torch.mps.synchronize
    return _no_sync


def timed(fn, *args, sync=None, **kwargs):
    """Run ``fn(*args, **kwargs)`` once; return ``(result, seconds)`` by ``time.perf_counter``.

    ``sync`` (from ``sync_for(device)``) runs before the clock starts and before it stops.
    """
    sync = sync or _no_sync
    sync()
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    sync()
    return result, time.perf_counter() - start


@dataclass
class Timing:
    """Seconds of each timed epoch (warm-up excluded) and the memory the warm-up epoch used.

    ``traced_peak_mb``: peak of Python/NumPy allocations (``tracemalloc``) during the warm-up epoch;
    torch's CPU tensors are not traced. ``rss_peak_mb``: the process's resident-memory high-water
    mark (``getrusage`` ``ru_maxrss``) after the warm-up epoch, everything loaded so far included.
    ``rss_growth_mb``: how much that high-water mark rose during the warm-up epoch.
    ``cuda_peak_mb``: ``torch.cuda.max_memory_allocated`` during the warm-up epoch (CUDA only).
    """

    seconds: list = field(default_factory=list)
    warmup_seconds: float = float("nan")
    traced_peak_mb: float | None = None
    rss_peak_mb: float | None = None
    rss_growth_mb: float | None = None
    cuda_peak_mb: float | None = None

    @property
    def median(self) -> float:
        """Median seconds per timed epoch."""
        return float(statistics.median(self.seconds)) if self.seconds else float("nan")

    @property
    def best(self) -> float:
        """The fastest timed epoch: the least disturbed by other work on a shared machine."""
        return float(min(self.seconds)) if self.seconds else float("nan")


def _maxrss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    scale = 1 / 1024 / 1024 if sys.platform == "darwin" else 1 / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def time_epochs(run_epoch, epochs: int = DEFAULT_EPOCHS, warmup: int = 1, sync=None, device=None) -> Timing:
    """Call ``run_epoch(i)`` for ``warmup`` untimed epochs, then ``epochs`` timed ones.

    The (first) warm-up epoch runs under ``tracemalloc`` to measure memory, so its time is not
    comparable and is only reported as ``warmup_seconds``. Returns a ``Timing``.
    """
    sync = sync or (sync_for(device) if device is not None else _no_sync)
    timing = Timing()
    cuda = device is not None and str(device).startswith("cuda")
    for i in range(warmup):
        if i == 0:
            if cuda:
                import torch

                torch.cuda.reset_peak_memory_stats(device)
            rss_before = _maxrss_mb()
            tracemalloc.start()
            _, timing.warmup_seconds = timed(run_epoch, i, sync=sync)
            timing.traced_peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            timing.rss_peak_mb = _maxrss_mb()
            timing.rss_growth_mb = timing.rss_peak_mb - rss_before
            if cuda:
                timing.cuda_peak_mb = torch.cuda.max_memory_allocated(device) / 2**20
        else:
            timed(run_epoch, i, sync=sync)
    for i in range(epochs):
        timing.seconds.append(timed(run_epoch, warmup + i, sync=sync)[1])
    return timing


def time_interleaved(run_epochs: dict, epochs: int, devices: dict, log=None) -> dict:
    """``time_epochs`` for several contenders at once, in rounds: every contender's warm-up epoch
    first, then round r times epoch r of each in turn. A slow spell on a shared machine then hits
    every contender alike instead of whichever happened to run during it. Returns ``{key: Timing}``.
    """
    log = log or (lambda text: None)
    timings = {}
    for key, run_epoch in run_epochs.items():
        log(f"({key}) warm-up epoch on {devices[key]} ...")
        timings[key] = time_epochs(run_epoch, epochs=0, warmup=1, device=devices[key])
    for r in range(epochs):
        for key, run_epoch in run_epochs.items():
            timings[key].seconds.append(timed(run_epoch, 1 + r, sync=sync_for(devices[key]))[1])
        log(f"round {r + 1}/{epochs}: " + ", ".join(f"({k}) {t.seconds[-1]:.3f} s" for k, t in timings.items()))
    return timings
