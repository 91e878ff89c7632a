"""The agent's picture of the cluster: a read-only, in-memory copy of the objects it watches, with the same
read interface the data plane and the images use on the embedded sim's Store (`try_get`, `list` with label
and field selectors, `subscribe`, `object_counts`), so that tested model code runs unchanged on it.

Only the informers write here (`apply` for a watch event, `replace` after a list); nothing the API server
did not say is ever in it. Objects are shared, never copied: readers must not mutate them (as on the Store).
"""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable
from typing import Any

from ..server.events import Subscriber
from ..server.selectors import field_predicate, label_predicate

__all__ = ["Mirror"]

Obj = dict[str, Any]


def _key(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


class Mirror:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # resource -> namespace ("" for cluster-scoped) -> name -> object
        self._data: dict[str, dict[str, dict[str, Obj]]] = {}
        self._subscribers: builtins.list[Subscriber] = []
        self._rv = "0"
        # The API server's write totals (agent/writes.py), which the performance model reads as the Store's
        self.writes: Callable[[], dict[str, int]] | None = None

    # ---- the Store's read interface -------------------------------------------------------------------
    @property
    def resource_version(self) -> str:
        return self._rv

    def try_get(self, resource: str, namespace: str | None, name: str) -> Obj | None:
        return self._data.get(resource, {}).get(namespace or "", {}).get(name)

    def list(self, resource: str, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None) -> tuple[builtins.list[Obj], str]:
        labels, fields = label_predicate(label_selector), field_predicate(field_selector)
        with self._lock:
            buckets = self._data.get(resource, {})
            spaces = [buckets.get(namespace, {})] if namespace else list(buckets.values())
            found = [o for bucket in spaces for o in bucket.values()]
        if labels:
            found = [o for o in found if labels((o.get("metadata") or {}).get("labels") or {})]
        if fields:
            found = [o for o in found if fields(o)]
        return found, self._rv

    @property
    def write_counts(self) -> dict[str, int]:
        return self.writes() if self.writes is not None else {}

    def object_counts(self) -> dict[str, int]:
        with self._lock:
            return {r: sum(len(b) for b in spaces.values()) for r, spaces in self._data.items()}

    def subscribe(self, callback: Subscriber) -> None:
        with self._lock:
            self._subscribers.append(callback)

    def unsubscribe(self, callback: Subscriber) -> None:
        with self._lock:
            self._subscribers.remove(callback)

    # ---- fed by the informers ---------------------------------------------------------------------------
    def apply(self, event: str, resource: str, obj: Obj) -> None:
        """One watch event (ADDED, MODIFIED, DELETED) of `resource`."""
        ns, name = _key(obj)
        with self._lock:
            bucket = self._data.setdefault(resource, {}).setdefault(ns, {})
            if event == "DELETED":
                bucket.pop(name, None)
            else:
                bucket[name] = obj
            self._rv = str((obj.get("metadata") or {}).get("resourceVersion") or self._rv)
            subscribers = builtins.list(self._subscribers)
        for callback in subscribers:
            callback(event, resource, obj)

    def replace(self, resource: str, objs: builtins.list[Obj]) -> None:
        """A fresh list of `resource` (the first one, or after a 410): what vanished meanwhile is DELETED,
        the rest ADDED or MODIFIED, so subscribers' indexes stay right."""
        fresh = {_key(o): o for o in objs}
        with self._lock:
            old = {(ns, n): o for ns, b in self._data.get(resource, {}).items() for n, o in b.items()}
        for key, obj in old.items():
            if key not in fresh:
                self.apply("DELETED", resource, obj)
        for key, obj in fresh.items():
            self.apply("MODIFIED" if key in old else "ADDED", resource, obj)
