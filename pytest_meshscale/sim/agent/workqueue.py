"""A mesh controller the agent plays on a real API server (KWOK runs none of a mesh's own): keys routed from the
Mirror's events, reconciled one at a time in a thread of its own, so a slow write never holds up an informer.
Its writes go through the Kubernetes API, never into the Mirror. An API error is logged and dropped: the next
event for the same key tries again, as a controller's requeue would.

A subclass names itself (`name`: the thread's and the log lines') and gives `route` and `reconcile`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from ..control_plane.kubeapi import ApiError
from .mirror import Mirror

__all__ = ["MirrorController"]

Key = tuple[str, str]  # (namespace, name) of whatever the controller reconciles


class MirrorController:
    name: ClassVar[str]

    def __init__(self, mirror: Mirror, log: Callable[[str], None]) -> None:
        self.mirror, self.log = mirror, log
        self._keys: queue.Queue[Key | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=f"meshscale-agent-{self.name}", daemon=True)
        mirror.subscribe(self._on_event)

    def start(self) -> MirrorController:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._keys.put(None)

    def requeue(self, key: Key, after_s: float) -> None:
        """Reconcile `key` again in `after_s` seconds, when no event would bring it back."""
        timer = threading.Timer(after_s, self._keys.put, args=(key,))
        timer.daemon = True
        timer.start()

    def route(self, event: str, resource: str, obj: dict[str, Any]) -> Iterable[Key]:
        raise NotImplementedError

    def reconcile(self, ns: str, name: str) -> None:
        raise NotImplementedError

    def _on_event(self, event: str, resource: str, obj: dict[str, Any]) -> None:
        for key in self.route(event, resource, obj):
            self._keys.put(key)

    def _run(self) -> None:
        while (key := self._keys.get()) is not None:
            try:
                self.reconcile(*key)
            except (OSError, ApiError) as exc:
                self.log(f"agent: {self.name} {key[0]}/{key[1]}: {exc}")
