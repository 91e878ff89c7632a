"""Requests that really crossed the simulated data plane, kept so wire captures can count packets."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

__all__ = ["PACKETS_PER_REQUEST", "Traffic", "TrafficLog"]

# A keep-alive HTTP request with a 10 KiB answer: request + ~7 data segments + ACKs (reasoning).
PACKETS_PER_REQUEST = 10


@dataclass(frozen=True, slots=True)
class Traffic:
    src: tuple[str, str]  # pod (namespace, name)
    dst: tuple[str, str]
    port: int  # the pod port
    start: float
    end: float
    requests: float  # over [start, end]

    def overlap(self, t0: float, t1: float) -> float:
        """Requests of this traffic that fall inside [t0, t1]."""
        if self.end <= self.start:
            return self.requests if t0 <= self.start <= t1 else 0.0
        inside = max(0.0, min(t1, self.end) - max(t0, self.start))
        return self.requests * inside / (self.end - self.start)


class TrafficLog:
    def __init__(self, keep: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._items: deque[Traffic] = deque(maxlen=keep)

    def record(
        self,
        src: tuple[str, str],
        dst: tuple[str, str],
        port: int,
        requests: float,
        start: float | None = None,
        end: float | None = None,
    ) -> None:
        now = time.time()
        with self._lock:
            self._items.append(Traffic(src, dst, port, start or now, end or now, requests))

    def between(self, t0: float, t1: float) -> list[tuple[Traffic, float]]:
        with self._lock:
            items = list(self._items)
        return [(t, n) for t in items if (n := t.overlap(t0, t1)) > 0]
