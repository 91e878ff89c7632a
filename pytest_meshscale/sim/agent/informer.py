"""List + watch of one kind into the Mirror, as client-go's reflector does: a paged list, then a watch from
its resourceVersion (with bookmarks, so a quiet kind's version stays fresh), resumed from the last version
seen when the server ends it, and a new list when the server answers 410 Gone (the version was compacted).
No polling: between events the agent sends nothing.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from ..control_plane.kubeapi import ApiError
from .mirror import Mirror
from .resources import Watched

__all__ = ["Client", "Informer"]

PAGE = 500
READ_BYTES = 1 << 16
WATCH_S = 300  # a watch the server ends after this long is simply resumed
BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 5.0)


class Client(Protocol):
    def request(self, method: str, path: str, body: Any = None, ok: Any = (),
                content_type: str = "application/json") -> tuple[int, Any]: ...

    def open_watch(self, path: str, resource_version: str, timeout_s: int, bookmarks: bool = False) -> Any: ...

    def create(self, obj: dict[str, Any]) -> Any: ...

    def get_text(self, path: str) -> str: ...


SHARED_MAX = 64  # strings up to this long are shared between objects: keys, phases, images, node names, stamps


def _shared(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads gives every object its own copy of every key and value; the Mirror holds each object the whole
    # run, so equal strings are shared (sys.intern), which halves a pod's size (16 -> 8 KB: 0.5 GB at full scale)
    return {sys.intern(k): sys.intern(v) if type(v) is str and len(v) <= SHARED_MAX else v for k, v in pairs}


_decode = json.JSONDecoder(object_pairs_hook=_shared).decode


class _Gone(Exception):
    """The watch's resourceVersion is too old: list again."""


class Informer:
    def __init__(self, client: Client, mirror: Mirror, watched: Watched, version: str,
                 log: Callable[[str], None]) -> None:
        self.client, self.mirror, self.watched, self.log = client, mirror, watched, log
        self.path = watched.path(version)
        self.synced = threading.Event()
        self.lists = 0  # how many times it listed (1 + the 410s): shown by tests and the stop line
        self._stop = threading.Event()
        self._conn: Any = None
        self._thread = threading.Thread(target=self._run, name=f"meshscale-agent-{watched.resource}", daemon=True)

    def start(self) -> Informer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        conn = self._conn
        if conn is not None:
            try:  # unblocks the watch's read at once
                conn.sock.shutdown(2)
            except (OSError, AttributeError):
                pass

    def _run(self) -> None:
        failures = 0
        rv = ""
        while not self._stop.is_set():
            try:
                if not rv:
                    rv = self._list()
                rv = self._watch(rv)
                failures = 0
            except _Gone:
                rv = ""
            except (OSError, ApiError, ValueError) as exc:
                if self._stop.is_set():
                    return
                delay = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
                failures += 1
                if failures in (1, 10):
                    self.log(f"agent: watch of {self.watched.resource} failed ({exc}); retrying")
                self._stop.wait(delay)

    def _list(self) -> str:
        items: list[dict[str, Any]] = []
        token = ""
        while True:
            query = f"?limit={PAGE}" + (f"&continue={token}" if token else "")
            _, body = self.client.request("GET", self.path + query)
            items += body.get("items") or []
            meta = body.get("metadata") or {}
            token = meta.get("continue") or ""
            if not token:
                break
        kind = str(body.get("kind", "")).removesuffix("List")
        api_version = str(body.get("apiVersion", ""))
        for obj in items:  # list items come without these; watch events and the Store's objects have them
            obj.setdefault("kind", kind)
            obj.setdefault("apiVersion", api_version)
        self.mirror.replace(self.watched.resource, items)
        self.lists += 1
        self.synced.set()
        return str(meta.get("resourceVersion") or "")

    def _watch(self, rv: str) -> str:
        self._conn, resp = self.client.open_watch(self.path, rv, WATCH_S, bookmarks=True)
        try:
            for line in _lines(resp, self._stop):
                event = _decode(line.decode())
                obj, kind = event.get("object") or {}, event.get("type")
                if kind == "ERROR":
                    if obj.get("code") == 410:
                        raise _Gone
                    raise ApiError(int(obj.get("code") or 500), f"watch {self.path}", line)
                rv = str((obj.get("metadata") or {}).get("resourceVersion") or rv)
                if kind != "BOOKMARK":
                    self.mirror.apply(kind, self.watched.resource, obj)
            return rv  # the server ended the watch (or stop): resume from the last version seen
        finally:
            self._conn.close()
            self._conn = None


def _lines(resp: Any, stop: threading.Event) -> Iterator[bytes]:
    """The event lines of a watch response, read as blocks: an API server writes the events queued for a watch
    as one chunk, and reading them line by line through http.client cost the agent more than decoding them."""
    rest = b""
    while not stop.is_set():
        try:
            block = resp.read1(READ_BYTES)
        except http.client.IncompleteRead:  # the server went away mid-stream: resumed (or retried) like an end
            return
        if not block:
            return
        *lines, rest = (rest + block).split(b"\n") if rest else block.split(b"\n")
        yield from (line for line in lines if line)


def wait_synced(informers: list[Informer], timeout: float) -> list[str]:
    """Wait for every informer's first list; the resources still not listed after `timeout`."""
    deadline = time.monotonic() + timeout
    for informer in informers:
        informer.synced.wait(max(0.0, deadline - time.monotonic()))
    return [i.watched.resource for i in informers if not i.synced.is_set()]
