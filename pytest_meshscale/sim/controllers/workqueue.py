"""A client-go style work queue: keys are deduplicated, a key is never worked on by two threads at once,
and `add_after` coalesces bursts (many pod events -> one Deployment status write per window)."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections import deque
from collections.abc import Hashable

__all__ = ["WorkQueue"]


class WorkQueue:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._ready: deque[Hashable] = deque()
        self._dirty: set[Hashable] = set()  # queued (or to be re-queued when its worker is done)
        self._processing: set[Hashable] = set()
        self._delayed: list[tuple[float, int, Hashable]] = []
        self._due: dict[Hashable, float] = {}  # earliest pending due time per delayed key
        self._seq = itertools.count()
        self._closed = False

    def add(self, key: Hashable) -> None:
        with self._cond:
            self._add(key)

    def _add(self, key: Hashable) -> None:
        if key in self._dirty or self._closed:
            return
        self._dirty.add(key)
        if key not in self._processing:
            self._ready.append(key)
            self._cond.notify()

    def add_after(self, key: Hashable, delay: float) -> None:
        """Queue key in `delay` seconds; an earlier pending time for the same key wins (coalescing)."""
        if delay <= 0:
            self.add(key)
            return
        due = time.monotonic() + delay
        with self._cond:
            if key in self._dirty or self._due.get(key, float("inf")) <= due:
                return
            self._due[key] = due
            heapq.heappush(self._delayed, (due, next(self._seq), key))
            self._cond.notify()

    def get(self) -> Hashable | None:
        """The next key to work on (blocks); None once the queue is shut down."""
        with self._cond:
            while True:
                if self._closed:
                    return None
                wait = self._release_due()
                if self._ready:
                    key = self._ready.popleft()
                    self._dirty.discard(key)
                    self._processing.add(key)
                    return key
                self._cond.wait(wait)

    def _release_due(self) -> float | None:
        """Move due delayed keys to the ready queue; returns seconds until the next one (None: none)."""
        now = time.monotonic()
        while self._delayed and self._delayed[0][0] <= now:
            due, _, key = heapq.heappop(self._delayed)
            if self._due.get(key) == due:
                del self._due[key]
                self._add(key)
        return self._delayed[0][0] - now if self._delayed else None

    def done(self, key: Hashable) -> None:
        with self._cond:
            self._processing.discard(key)
            if key in self._dirty:
                self._ready.append(key)
                self._cond.notify()

    def idle(self) -> bool:
        """Nothing queued, delayed or in progress (tests and the timing script wait for this)."""
        with self._cond:
            return not (self._ready or self._processing or self._due)

    def shut_down(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
