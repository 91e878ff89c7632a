"""List-then-watch, resumed from the last resourceVersion when the server drops the stream.

This is how readiness is awaited: one LIST to learn the state and a resourceVersion, then one WATCH
that only sends changes, instead of listing again and again.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from .api import Api
from .base import ClusterError, Manifest
from .errors import Target
from .resources import Resource
from .retry import TransientError

__all__ = ["WatchHandler", "iter_events", "list_all", "pages", "watch_until"]

PAGE = 500  # paged lists keep one response (and the server's work per request) bounded
MAX_WATCH_S = 300  # server-side timeout of one watch request; the loop simply re-opens it


class WatchHandler(Protocol):
    def reset(self) -> None: ...  # a fresh list follows: forget what you knew

    def event(self, kind: str, obj: Manifest) -> None: ...  # ADDED, MODIFIED or DELETED

    def done(self) -> bool: ...


def iter_events(chunks: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """Watch events from a stream of newline-delimited JSON arriving in arbitrary chunks."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        yield from (json.loads(line) for line in lines if line.strip())
    if buffer.strip():
        yield json.loads(buffer)


def pages(
    api: Api,
    res: Resource,
    namespace: str | None = None,
    labels: str | None = None,
    fields: str | None = None,
) -> Iterator[tuple[list[Manifest], str]]:
    """Each page of the matching objects (items get apiVersion/kind back) with the list's resourceVersion, fetched
    as the caller goes on: only one page is held at a time."""
    target = Target("list", res.kind, namespace)
    token: str | None = None
    while True:
        query = {"labelSelector": labels, "fieldSelector": fields, "limit": PAGE, "continue": token}
        doc = api.call(target, "GET", res.path(namespace), query=query).json()
        meta = doc.get("metadata") or {}
        yield [{"apiVersion": res.api_version, "kind": res.kind, **i} for i in doc.get("items") or []], str(
            meta.get("resourceVersion", ""))
        token = meta.get("continue") or None
        if not token:
            return


def list_all(
    api: Api,
    res: Resource,
    namespace: str | None = None,
    labels: str | None = None,
    fields: str | None = None,
) -> tuple[list[Manifest], str]:
    """Every matching object (paged) and the list's resourceVersion."""
    items: list[Manifest] = []
    rv = ""
    for page, page_rv in pages(api, res, namespace, labels, fields):
        items += page
        rv = page_rv
    return items, rv


@dataclass
class _Cursor:
    """Where to resume: survives an exception in the middle of a stream. None = list again."""

    rv: str | None = None


def _stream(
    api: Api,
    res: Resource,
    namespace: str | None,
    query: dict[str, Any],
    remaining: float,
    handler: WatchHandler,
    cursor: _Cursor,
) -> bool:
    """Feed one watch request's events to handler, moving the cursor; True once handler is done."""
    reply = api.open_stream(Target("watch", res.kind, namespace), res.path(namespace), query, remaining + 5)
    if reply.status == 410:
        reply.close()
        cursor.rv = None
        return False
    try:
        for event in iter_events(reply.chunks()):
            obj = event.get("object") or {}
            if event.get("type") == "ERROR":
                if obj.get("code") == 410:  # resourceVersion too old: list again
                    cursor.rv = None
                    return False
                raise ClusterError(f"watch {res.kind}: {obj.get('message', obj)}")
            cursor.rv = (obj.get("metadata") or {}).get("resourceVersion") or cursor.rv
            if event.get("type") != "BOOKMARK":
                handler.event(str(event.get("type")), obj)
            if handler.done():
                return True
    finally:
        reply.close()
    return False


def _watch_query(rv: str | None, labels: str | None, fields: str | None, remaining: float) -> dict[str, Any]:
    """The server ends the watch by the deadline itself, so an idle watch never outlives the wait."""
    timeout = math.ceil(min(remaining, MAX_WATCH_S))
    return {
        "watch": True,
        "resourceVersion": rv,
        "allowWatchBookmarks": True,
        "labelSelector": labels,
        "fieldSelector": fields,
        "timeoutSeconds": timeout,
    }


def watch_until(
    api: Api,
    res: Resource,
    handler: WatchHandler,
    *,
    deadline: float,
    namespace: str | None = None,
    labels: str | None = None,
    fields: str | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> bool:
    """Drive handler from a list and then a watch until handler.done() (True) or the deadline (False)."""
    cursor = _Cursor()
    while True:
        if cursor.rv is None:
            handler.reset()
            items, cursor.rv = list_all(api, res, namespace, labels, fields)
            for item in items:
                handler.event("ADDED", item)
        remaining = deadline - clock()
        if handler.done() or remaining <= 0:
            return handler.done()
        query = _watch_query(cursor.rv, labels, fields, remaining)
        started = clock()
        try:
            done = _stream(api, res, namespace, query, remaining, handler, cursor)
        except TransientError:  # dropped connection or read timeout: resume from the last resourceVersion
            done = False
        if done or clock() >= deadline:
            return done
        api.stats.resumed(relist=cursor.rv is None)
        if clock() - started < 0.2:
            time.sleep(0.2)  # a server that closes watches at once must not be hammered
