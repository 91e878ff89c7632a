"""Counters of the run's API load (requests by verb, retries by reason, watch resumes, throttling),
so the plugin can report how hard a run leaned on the API server."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["ApiStats"]


@dataclass
class ApiStats:
    requests: Counter[str] = field(default_factory=Counter)  # every HTTP request sent, retries included
    retries: Counter[str] = field(default_factory=Counter)  # by reason: "429", "500", "connection"
    watch_resumes: int = 0  # watches re-opened from the last resourceVersion after a drop or server timeout
    relists: int = 0  # watches that had to list again (410 Gone)
    throttled_s: float = 0.0  # time spent waiting for the client-side rate limiter
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def sent(self, verb: str) -> None:
        with self._lock:
            self.requests[verb] += 1

    def retried(self, reason: str) -> None:
        with self._lock:
            self.retries[reason] += 1

    def throttled(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self.throttled_s += seconds

    def resumed(self, relist: bool = False) -> None:
        with self._lock:
            self.watch_resumes += 1
            self.relists += int(relist)

    def summary(self) -> str:
        """One line for the terminal summary and reports."""
        with self._lock:
            verbs = ", ".join(f"{v} {n}" for v, n in sorted(self.requests.items()))
            reasons = ", ".join(f"{r}: {n}" for r, n in sorted(self.retries.items()))
            return (
                f"{sum(self.requests.values())} API requests ({verbs or 'none'}), "
                f"{sum(self.retries.values())} retries"
                + (f" ({reasons})" if reasons else "")
                + f", {self.watch_resumes} watch resumes, {self.throttled_s:.1f} s throttled"
            )
