"""The store's small types: ApiError (a Kubernetes Status waiting to be sent), the watch queue and the
fast deep copy. Kept apart from store.py so the HTTP layer can use them without the store's internals."""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any

__all__ = ["ApiError", "Event", "StoreWatch", "clone"]

# (resourceVersion, ADDED|MODIFIED|DELETED, resource, object, previous object of a MODIFIED or None)
Event = tuple[int, str, str, dict[str, Any], dict[str, Any] | None]


class ApiError(Exception):
    """An API failure with its HTTP code and Kubernetes reason; status_body() is the Status to send."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: dict[str, Any] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code, self.reason, self.message = code, reason, message
        self.details, self.retry_after = details, retry_after

    def status_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body

    @staticmethod
    def details_for(resource: str, name: str, causes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        plural, _, group = resource.partition(".")
        out: dict[str, Any] = {"name": name, "kind": plural}
        if group:
            out["group"] = group
        if causes:
            out["causes"] = causes
        return out

    @classmethod
    def not_found(cls, resource: str, name: str) -> ApiError:
        return cls(404, "NotFound", f'{resource} "{name}" not found', cls.details_for(resource, name))

    @classmethod
    def conflict(cls, resource: str, name: str) -> ApiError:
        return cls(
            409,
            "Conflict",
            f'Operation cannot be fulfilled on {resource} "{name}": the object has been '
            "modified; please apply your changes to the latest version and try again",
            cls.details_for(resource, name),
        )

    @classmethod
    def invalid(cls, kind: str, name: str, errors: list[tuple[str, Any, str]]) -> ApiError:
        causes = [{"reason": "FieldValueInvalid", "message": f"{why}", "field": path} for path, _, why in errors]
        text = ", ".join(
            f"{path}: {why.replace(': ', f': {value!r}: ', 1) if value else why}" for path, value, why in errors
        )
        return cls(
            422,
            "Invalid",
            f'{kind} "{name}" is invalid: {text}',
            {"name": name, "kind": kind, "causes": causes},
        )


def clone(value: Any) -> Any:
    """Deep copy of JSON-shaped data (dicts, lists, scalars), several times faster than copy.deepcopy."""
    t = type(value)
    if t is dict:
        return {k: clone(v) for k, v in value.items()}
    if t is list:
        return [clone(v) for v in value]
    return value


class StoreWatch:
    """One watch on one resource (optionally one namespace): events are queued until next() takes them."""

    def __init__(self, on_close: Callable[[StoreWatch], None], resource: str, namespace: str | None, floor_rv: int):
        self._on_close, self.resource, self.namespace = on_close, resource, namespace
        self._floor = floor_rv  # events up to here came from the preload; later pushes of them are dropped
        self.start_rv = floor_rv
        self.preloaded = 0
        self._queue: queue.SimpleQueue[Event | None] = queue.SimpleQueue()
        self.closed = False

    def wants(self, event: Event) -> bool:
        if event[2] != self.resource:
            return False
        return self.namespace is None or event[3]["metadata"].get("namespace") == self.namespace

    def preload(self, events: list[Event]) -> None:
        self.preloaded += len(events)
        for event in events:
            self._queue.put(event)

    def put(self, event: Event) -> None:
        if event[0] > self._floor:
            self._queue.put(event)

    def next_queued(self) -> Event | None:
        """The next event if one is queued already, else None (never waits)."""
        if self.closed:
            return None
        try:
            return self._queue.get_nowait()
        except queue.Empty:
            return None

    def next(self, timeout: float | None = None) -> Event | None:
        """The next event, or None after timeout seconds (or once closed)."""
        if self.closed:
            return None
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._queue.put(None)
            self._on_close(self)

    def __enter__(self) -> StoreWatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
