"""Which of two timed things was faster, and whether the noise lets us say so: the one rule that notebook 06,
notebook 08 and ``nnworkshop bench`` use for every "faster", "slower" and "too close to call".

One timing says little on a laptop that is also running a browser: the same race measured twice has come out
"PyTorch 1.05x faster" and then "NumPy 1.95x faster". So a verdict is made from repeated measurements
(epochs, or interleaved rounds), never from one:

- the ratio reported is the median of A's times over the median of B's;
- its spread is the range of the per-round ratios (A's time in round i over B's in round i) where the rounds
  pair up (the middle half of them from five rounds on: one disturbed round must not decide), else the widest
  ratio the two sets of times allow;
- B is called faster only when the whole spread lies above ``1 + MARGIN``, slower only when it lies below
  ``1 / (1 + MARGIN)``; anything else, and anything measured fewer than twice, is too close to call.

``busy()`` says, before timing, when the machine is already loaded, so that a noisy verdict comes with its cause.
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass

MARGIN = 0.05  # differences within 5 % are never called, whatever the spread
QUARTILES_FROM = 5  # from this many paired rounds on, the spread is the middle half of the per-round ratios


@dataclass(frozen=True)
class Race:
    """Two sets of timings of the same work: ``a`` and ``b`` (names), ``a_seconds`` and ``b_seconds``."""

    a: str
    b: str
    a_seconds: tuple
    b_seconds: tuple
    margin: float = MARGIN

    @property
    def ratio(self) -> float:
        """median(a) / median(b): above 1, ``b`` took less time."""
        return statistics.median(self.a_seconds) / statistics.median(self.b_seconds)

    @property
    def spread(self) -> tuple[float, float]:
        """The ratios a/b the measurements allow: where the rounds pair up, the range of the per-round ratios
        (their middle half from ``QUARTILES_FROM`` rounds on, so one disturbed round does not decide), else the
        widest ratio the two sets of times allow."""
        a, b = self.a_seconds, self.b_seconds
        if len(a) == len(b):
            ratios = sorted(x / y for x, y in zip(a, b))
            if len(ratios) >= QUARTILES_FROM:
                q1, _, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
                return q1, q3
            return ratios[0], ratios[-1]
        return min(a) / max(b), max(a) / min(b)

    @property
    def rounds(self) -> int:
        return min(len(self.a_seconds), len(self.b_seconds))

    @property
    def winner(self) -> str | None:
        """The name of the faster one, or None when the noise does not allow a call."""
        if self.rounds < 2:
            return None
        low, high = self.spread
        if low > 1 + self.margin:
            return self.b
        if high < 1 / (1 + self.margin):
            return self.a
        return None

    def sentence(self) -> str:
        """The verdict in words, with the median ratio and its spread."""
        low, high = self.spread
        if self.rounds < 2:
            return (f"{self.a} took {statistics.median(self.a_seconds):.3g} s and {self.b} "
                    f"{statistics.median(self.b_seconds):.3g} s, measured once each: too few to call; measure again")
        middle = "the middle half of " if len(self.a_seconds) == len(self.b_seconds) >= QUARTILES_FROM else ""
        what = f"over {self.rounds} rounds, {middle}{self.a}'s time over {self.b}'s ranged {low:.2f}x to {high:.2f}x"
        if self.winner == self.b:
            return f"{self.b} was {self.ratio:.2f}x faster than {self.a} (median; {what})"
        if self.winner == self.a:
            return f"{self.a} was {1 / self.ratio:.2f}x faster than {self.b} (median; {what})"
        return f"too close to call ({what}, which includes no difference)"


def race(a: str, a_seconds, b: str, b_seconds, margin: float = MARGIN) -> Race:
    """A ``Race`` of two lists of seconds (each at least one positive number)."""
    a_seconds, b_seconds = tuple(float(s) for s in a_seconds), tuple(float(s) for s in b_seconds)
    for name, seconds in ((a, a_seconds), (b, b_seconds)):
        if not seconds or min(seconds) <= 0:
            raise ValueError(f"{name}: timings must be one or more positive numbers of seconds, got {seconds}")
    return Race(a, b, a_seconds, b_seconds, margin)


def cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def busy(threshold: float = 0.5) -> str | None:
    """A warning when the machine is already loaded (1-minute load average above ``threshold`` per core),
    else None; None where the system has no load average (Windows)."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return None
    n = cores()
    if load > threshold * n:
        return (f"this machine is busy before timing (load average {load:.1f} on {n} core(s)): other programs share "
                "the cores, so timings will be noisy; close them and rerun for a cleaner verdict")
    return None
