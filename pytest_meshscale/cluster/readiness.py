"""When a Deployment counts as available, and the watch handlers that wait for it (or for any predicate)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from .base import Manifest

__all__ = ["DeploymentsReady", "FirstMatch", "deployment_available", "deployment_progress"]


def _key(obj: Manifest) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def deployment_available(dep: Manifest) -> bool:
    """The controller has seen the latest spec, every wanted replica is updated, ready and available,
    and the Available condition is True (`kubectl rollout status` plus `wait --for=condition=Available`)."""
    meta: dict[str, Any] = dep.get("metadata") or {}
    status: dict[str, Any] = dep.get("status") or {}
    want = int((dep.get("spec") or {}).get("replicas", 1))
    if int(status.get("observedGeneration", 0)) < int(meta.get("generation", 0)):
        return False
    counts = (status.get(k, 0) or 0 for k in ("updatedReplicas", "readyReplicas", "availableReplicas"))
    if any(int(c) < want for c in counts):
        return False
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    return conditions.get("Available") == "True"


def deployment_progress(dep: Manifest) -> str:
    status = dep.get("status") or {}
    want = (dep.get("spec") or {}).get("replicas", 1)
    return f"{_key(dep)} ({status.get('readyReplicas', 0) or 0}/{want} ready)"


class FirstMatch:
    """Watch handler: done at the first ADDED/MODIFIED object the predicate accepts."""

    def __init__(self, predicate: Callable[[Manifest], bool], name: str | None = None) -> None:
        self.predicate, self.name = predicate, name
        self.match: Manifest | None = None

    def reset(self) -> None:
        pass

    def event(self, kind: str, obj: Manifest) -> None:
        named = self.name is None or (obj.get("metadata") or {}).get("name") == self.name
        if self.match is None and kind != "DELETED" and named and self.predicate(obj):
            self.match = obj

    def done(self) -> bool:
        return self.match is not None


class DeploymentsReady:
    """Watch handler: tracks every Deployment of the wanted namespaces; done when all are available."""

    def __init__(
        self,
        namespaces: Iterable[str],
        progress: Callable[[int, int], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        every_s: float = 1.0,
    ) -> None:
        self.namespaces = frozenset(namespaces)
        self.state: dict[str, Manifest] = {}
        self.available: set[str] = set()  # kept incrementally: a recount per event would be quadratic
        self._progress, self._clock, self._every = progress, clock, every_s
        self._last: tuple[int, int] | None = None
        self._last_at = float("-inf")

    def reset(self) -> None:
        self.state.clear()
        self.available.clear()

    def event(self, kind: str, obj: Manifest) -> None:
        if (obj.get("metadata") or {}).get("namespace") not in self.namespaces:
            return
        key = _key(obj)
        self.available.discard(key)
        if kind == "DELETED":
            self.state.pop(key, None)
            return
        self.state[key] = obj
        if deployment_available(obj):
            self.available.add(key)

    def counts(self) -> tuple[int, int]:
        return len(self.available), len(self.state)

    def done(self) -> bool:
        counts = self.counts()
        finished = counts[0] == counts[1]
        # At most once per `every_s` (and always at the end): 50,000 pod updates must not flood the terminal.
        if (
            self._progress
            and counts != self._last
            and (finished or self._clock() - self._last_at >= self._every)
        ):
            self._progress(*counts)
            self._last, self._last_at = counts, self._clock()
        return finished

    def pending(self, limit: int = 5) -> str:
        waiting = [deployment_progress(d) for k, d in self.state.items() if k not in self.available]
        more = f" (+{len(waiting) - limit} more)" if len(waiting) > limit else ""
        return ", ".join(waiting[:limit]) + more
