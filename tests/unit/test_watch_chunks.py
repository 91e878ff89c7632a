"""A watch's queued events leave the sim in one chunk, as kube-apiserver flushes only when nothing is queued
(the agent decoding 100,000 pod events at full scale paid for one TLS record and one wake-up per event), and the
agent's informer reads such chunks as blocks and splits them into lines wherever the reads cut them."""

from __future__ import annotations

import json
import threading
from typing import Any

from pytest_meshscale.sim.agent.informer import _lines
from pytest_meshscale.sim.server.auth import Identity
from pytest_meshscale.sim.server.kinds import by_resource
from pytest_meshscale.sim.server.messages import Request
from pytest_meshscale.sim.server.metrics import Metrics
from pytest_meshscale.sim.server.routing import Target
from pytest_meshscale.sim.server.watch import CHUNK_EVENTS, watch_stream
from pytest_meshscale.sim.store import Store


def _store(configmaps: int) -> Store:
    store = Store()
    store.create("namespaces", {"metadata": {"name": "a"}})
    for i in range(configmaps):
        store.create("configmaps", {"metadata": {"name": f"cm{i}", "namespace": "a"}, "data": {"i": str(i)}})
    return store


def _stream(store: Store, **query: str) -> Any:
    kind = by_resource("configmaps")
    assert kind is not None
    req = Request("GET", "/api/v1/namespaces/a/configmaps", {"watch": "1", "timeoutSeconds": "5", **query}, {}, b"",
                  Identity("admin", None))
    return watch_stream(store, kind, Target("", "v1", "configmaps", "a"), req, Metrics(), threading.Event(), 0.0)


def _chunk_events(chunk: bytes) -> list[tuple[str, str]]:
    events = [json.loads(line) for line in chunk.splitlines()]
    return [(e["type"], e["object"]["metadata"].get("name", "")) for e in events]


def test_queued_events_leave_in_one_chunk_and_the_initial_end_bookmark_right_after_them() -> None:
    store = _store(5)
    stream = _stream(store, resourceVersion="", allowWatchBookmarks="true")
    store.create("configmaps", {"metadata": {"name": "late", "namespace": "a"}})  # queued behind the initial 5
    first = _chunk_events(next(stream))
    assert first == [("ADDED", f"cm{i}") for i in range(5)], "the 5 initial events should come as one chunk"
    bookmark = json.loads(next(stream))
    assert bookmark["type"] == "BOOKMARK"
    assert bookmark["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert _chunk_events(next(stream)) == [("ADDED", "late")]
    stream.close()


def test_a_chunk_holds_at_most_chunk_events_and_none_is_lost() -> None:
    store = _store(0)
    stream = _stream(store, resourceVersion=store.resource_version)
    for i in range(CHUNK_EVENTS + 7):  # all queued before the stream is read
        store.create("configmaps", {"metadata": {"name": f"cm{i}", "namespace": "a"}})
    sizes = [len(_chunk_events(next(stream))), len(_chunk_events(next(stream)))]
    assert sizes == [CHUNK_EVENTS, 7]
    stream.close()


class _Blocks:
    """A watch response whose read1 hands out the stream in the given pieces."""

    def __init__(self, data: bytes, cuts: list[int]) -> None:
        edges = [0, *cuts, len(data)]
        self.pieces = [data[a:b] for a, b in zip(edges, edges[1:], strict=False)]

    def read1(self, _n: int) -> bytes:
        return self.pieces.pop(0) if self.pieces else b""


def test_the_informer_rebuilds_lines_cut_anywhere_by_its_reads() -> None:
    lines = [json.dumps({"type": "ADDED", "object": {"n": i}}).encode() for i in range(4)]
    data = b"\n".join(lines) + b"\n"
    for cuts in ([], [1], [len(lines[0]), len(lines[0]) + 1], [5, 30, 31, 60], list(range(1, len(data)))):
        assert list(_lines(_Blocks(data, cuts), threading.Event())) == lines, cuts
    stop = threading.Event()
    stop.set()
    assert list(_lines(_Blocks(data, []), stop)) == [], "a stopped informer reads nothing more"


def test_a_stream_cut_mid_chunk_ends_like_a_watch_the_server_closed() -> None:
    import http.client

    class Cut(_Blocks):
        def read1(self, n: int) -> bytes:
            if not self.pieces:
                raise http.client.IncompleteRead(b"")
            return super().read1(n)

    assert list(_lines(Cut(b'{"a":1}\n{"b"', []), threading.Event())) == [b'{"a":1}']
