"""Watch streams: newline-delimited {"type","object"} events over a chunked response, filtered by label
and field selectors (an object that stops matching is sent as DELETED, as the real API server does).

Bookmarks, only with allowWatchBookmarks=true, as kube-apiserver's watch cache sends them: one marked
`k8s.io/initial-events-end` after the initial state (sendInitialEvents=true, which needs
resourceVersionMatch=NotOlderThan, or a watch from resourceVersion ""/"0"), then one about every minute and
one 2 s before the watch's timeout, carrying the newest resourceVersion."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

from ..store import Store
from .kinds import Kind
from .messages import Request
from .metrics import Metrics
from .routing import Target
from .selectors import field_predicate, label_predicate
from .storetypes import ApiError
from .tables import table, wants_table

__all__ = ["BOOKMARK_EVERY_S", "watch_stream"]

BOOKMARK_EVERY_S = 60.0  # kube-apiserver's bookmarkFrequency
CHUNK_EVENTS = 100  # at most this many queued events in one chunk (about 200 KB of pods)


def _line(kind: str, obj: Any) -> bytes:
    return b'{"type":"' + kind.encode() + b'","object":' + json.dumps(obj, separators=(",", ":")).encode() + b"}\n"


def _bookmark(kind: Kind, api_version: str, rv: int, initial_end: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"resourceVersion": str(rv)}
    if initial_end:
        meta["annotations"] = {"k8s.io/initial-events-end": "true"}
    return {"kind": kind.kind, "apiVersion": api_version, "metadata": meta}


def _next_bookmark(now: float, deadline: float) -> float:
    return min(now + BOOKMARK_EVERY_S, deadline - 2.0) if deadline - 2.0 > now else float("inf")


def _initial(req: Request) -> bool:
    """Whether the watch starts with the current state (sendInitialEvents checked as the API server does)."""
    if req.query.get("sendInitialEvents") == "true":
        if req.query.get("resourceVersionMatch") != "NotOlderThan":
            raise ApiError.invalid('ListOptions.meta.k8s.io', "", [(
                "resourceVersionMatch", None,
                "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")])
        return True
    return req.query.get("resourceVersion") in (None, "", "0")


def _as_seen(etype: str, matches: bool, matched_before: bool) -> str | None:
    """The event a selector-filtered watch sends: objects entering the selection are ADDED, leaving it
    DELETED (as the API server does), and changes outside it are not sent."""
    if etype == "MODIFIED" and matches != matched_before:
        return "ADDED" if matches else "DELETED"
    return etype if matches or (etype == "MODIFIED" and matched_before) else None


def watch_stream(
    store: Store,
    kind: Kind,
    t: Target,
    req: Request,
    metrics: Metrics,
    stop: threading.Event,
    drop_after_s: float,
) -> Iterator[bytes]:
    """Open the store watch now (so 410/400 become HTTP errors) and return the event stream."""
    labels = label_predicate(req.query.get("labelSelector"))
    fields = field_predicate(req.query.get("fieldSelector"))
    timeout = float(req.query.get("timeoutSeconds") or 1800)
    if drop_after_s:
        timeout = min(timeout, drop_after_s)
    initial = _initial(req)
    bookmarks = req.flag("allowWatchBookmarks")
    try:
        w = store.watch(kind.resource, t.namespace, None if initial else req.query.get("resourceVersion"))
    except ApiError as exc:
        if exc.code != 410:
            raise
        return iter([_line("ERROR", exc.status_body())])
    gv, as_table = kind.api_version(t.version), wants_table(req.accept)

    def match(obj: dict[str, Any]) -> bool:
        return (not labels or labels(obj["metadata"].get("labels") or {})) and (not fields or fields(obj))

    def events() -> Iterator[bytes]:
        deadline = time.monotonic() + timeout
        initial_left = w.preloaded if initial and bookmarks else -1
        next_bookmark = _next_bookmark(time.monotonic(), deadline) if bookmarks else float("inf")
        last_rv = w.start_rv
        metrics.watch(kind.resource, +1)
        try:
            while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
                if initial_left == 0:
                    initial_left = -1
                    yield _line("BOOKMARK", _bookmark(kind, gv, w.start_rv, initial_end=True))
                if time.monotonic() >= next_bookmark:
                    next_bookmark = _next_bookmark(time.monotonic(), deadline)
                    # the newest version this watch has passed on: a resume from it misses nothing
                    yield _line("BOOKMARK", _bookmark(kind, gv, last_rv))
                event = w.next(max(0.0, min(left, 1.0, next_bookmark - time.monotonic())))
                if event is None:
                    yield b""  # idle: lets the HTTP layer notice a client that went away
                    continue
                # kube-apiserver flushes a watch only when no event is queued behind the one it wrote
                # (handlers/watch.go: `if len(ch) == 0 { flusher.Flush() }`): what is queued goes out as one
                # chunk, not one TLS record and one wake-up of the client per event. The initial-events-end
                # bookmark still follows the last initial event at once.
                lines: list[bytes] = []
                while event is not None:
                    initial_left -= 1 if initial_left > 0 else 0
                    rv, stored_type, _, obj, previous = event
                    last_rv = max(last_rv, rv)
                    etype = _as_seen(stored_type, match(obj), previous is not None and match(previous))
                    if etype is not None:
                        out = obj if obj.get("apiVersion") == gv else {**obj, "apiVersion": gv}
                        lines.append(_line(etype, table(kind.resource, [out], str(rv)) if as_table else out))
                    more = len(lines) < CHUNK_EVENTS and initial_left != 0
                    event = w.next_queued() if more else None
                if lines:
                    metrics.events_sent(len(lines))
                    yield b"".join(lines)
        finally:
            w.close()
            metrics.watch(kind.resource, -1)

    return events()
