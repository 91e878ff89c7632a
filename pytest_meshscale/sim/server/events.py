"""The store's change feed: the event log watches resume from, ordered delivery to subscribers outside
the store lock, and the open watches. Store owns one EventHub; callers marked "under the store lock"
must hold it (that is what keeps the log order equal to the resourceVersion order)."""

from __future__ import annotations

import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from .storetypes import ApiError, Event, StoreWatch

__all__ = ["EventHub", "Subscriber"]

Subscriber = Callable[[str, str, dict[str, Any]], None]


class EventHub:
    def __init__(self, history: int, lock: threading.RLock) -> None:
        self._lock = lock  # the store's lock
        self._log: deque[Event] = deque(maxlen=history)
        self._floor = 0  # watches may resume from any resourceVersion >= this one
        self._pending: deque[Event] = deque()
        self._dispatch_lock = threading.Lock()
        self._local = threading.local()
        self.subscribers: list[Subscriber] = []
        self._watches: set[StoreWatch] = set()

    def commit(self, event: Event) -> None:
        """Under the store lock: log the event and queue it for delivery."""
        if len(self._log) == self._log.maxlen:
            self._floor = self._log[0][0]
        self._log.append(event)
        self._pending.append(event)

    def open_watch(self, w: StoreWatch, resource_version: str | None, snapshot: Iterable[Event]) -> StoreWatch:
        """Under the store lock: preload the snapshot (no resourceVersion) or the logged events after it."""
        if resource_version in (None, "", "0"):
            w.preload(list(snapshot))
        else:
            w.preload(self._events_after(self._since(resource_version), w))
        self._watches.add(w)
        return w

    def close_watch(self, w: StoreWatch) -> None:
        with self._lock:
            self._watches.discard(w)

    def _events_after(self, since: int, w: StoreWatch) -> list[Event]:
        """Logged events newer than since, oldest first (walks back from the end: resumes are recent)."""
        found = []
        for event in reversed(self._log):
            if event[0] <= since:
                break
            if w.wants(event):
                found.append(event)
        return found[::-1]

    def _since(self, resource_version: str | None) -> int:
        try:
            since = int(resource_version or 0)
        except ValueError:
            raise ApiError(400, "BadRequest", f"invalid resourceVersion {resource_version!r}") from None
        if since < self._floor:
            raise ApiError(410, "Expired", f"too old resource version: {since} ({self._floor})")
        return since

    def drain(self) -> None:
        """Outside the store lock: deliver queued events in order, one delivering thread at a time."""
        if getattr(self._local, "dispatching", False):
            return  # a subscriber wrote: the outer loop delivers it after the current event
        with self._dispatch_lock:
            self._local.dispatching = True
            try:
                while self._pending:
                    self._deliver(self._pending.popleft())
            finally:
                self._local.dispatching = False

    def _deliver(self, event: Event) -> None:
        _, kind, resource, obj, _ = event
        for callback in self.subscribers:
            try:
                callback(kind, resource, obj)
            except Exception as exc:  # one broken controller must not stop the others
                print(f"meshscale-sim: subscriber {callback!r} failed on {kind} {resource}: {exc!r}", file=sys.stderr)
        for w in list(self._watches):
            if w.wants(event):
                w.put(event)
