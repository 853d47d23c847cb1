"""Per-learner rate limits: a token bucket for each name that posts.

``RateLimit(runs=30, seconds=60)`` lets a learner post 30 runs at once and then one every 2 s on average
(a dashboard's sweep fits; a loop posting a thousand runs does not). ``take(name)`` answers 0 when the post
may go ahead, else the seconds to wait (the service turns that into a 429 with ``Retry-After``).
``RateLimit.parse("30/60")`` reads the command line's form; ``"off"`` (or ``0``) turns limits off.

Names are what a learner says they are (the class token is shared), so a second bucket, for the whole board,
counts names it has not seen before: ``new_names`` at once (a room joining), then as many again per 10 minutes.
Without it, a loop that makes up a new name for every post would never meet a learner's limit.
"""

from __future__ import annotations

import math
import threading
import time


class RateLimit:
    """At most ``runs`` posts per ``seconds`` for each learner, as a bucket that refills steadily."""

    NAMES_WINDOW = 600.0  # seconds in which ``new_names`` more names refill

    def __init__(self, runs: int = 30, seconds: float = 60.0, clock=time.monotonic, new_names: int = 300):
        if runs < 1 or seconds <= 0 or new_names < 1:
            raise ValueError(f"a rate limit needs runs >= 1 and seconds > 0, got {runs}/{seconds}; use 'off' for none.")
        self.runs, self.seconds, self.clock, self.new_names = int(runs), float(seconds), clock, int(new_names)
        self._buckets: dict[str, tuple[float, float]] = {}  # name -> (posts still allowed, when counted)
        self._names = (float(new_names), clock())  # (new names still allowed, when counted)
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, text: str) -> RateLimit | None:
        """``"30/60"`` -> 30 runs per 60 s; ``"off"`` or ``"0"`` -> None (no limit)."""
        text = str(text).strip().lower()
        if text in ("off", "0", "none", ""):
            return None
        runs, _, seconds = text.partition("/")
        try:
            return cls(int(runs), float(seconds or 60))
        except ValueError:
            raise ValueError(f"--rate-limit {text!r}: give RUNS/SECONDS, e.g. 30/60, or 'off'.") from None

    def take(self, name: str) -> float:
        """0.0 when ``name`` may post now (one post is counted), else the seconds until it may."""
        now, rate = self.clock(), self.runs / self.seconds
        with self._lock:
            if name not in self._buckets:
                names_rate = self.new_names / self.NAMES_WINDOW
                left, then = self._names
                left = min(float(self.new_names), left + (now - then) * names_rate)
                if left < 1.0:
                    self._names = (left, now)
                    return (1.0 - left) / names_rate
                self._names = (left - 1.0, now)
            left, then = self._buckets.get(name, (float(self.runs), now))
            left = min(float(self.runs), left + (now - then) * rate)
            if left >= 1.0:
                self._buckets[name] = (left - 1.0, now)
                return 0.0
            self._buckets[name] = (left, now)
            return (1.0 - left) / rate

    @staticmethod
    def retry_after(wait: float) -> str:
        """``wait`` seconds as a whole number for the ``Retry-After`` header (at least 1)."""
        return str(max(1, math.ceil(wait)))

    def describe(self) -> str:
        """``"30 runs per 60 s per learner"``."""
        return f"{self.runs} runs per {self.seconds:g} s per learner"
