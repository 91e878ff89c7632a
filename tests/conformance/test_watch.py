"""List-then-watch as the plugin does it (cluster/watching.py), the 410 Gone it recovers from, and bookmarks."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from conformance_kit import RUN_LABEL, call

from pytest_meshscale.cluster import watching
from pytest_meshscale.cluster.errors import Target
from pytest_meshscale.cluster.kube import KubeCluster
from pytest_meshscale.cluster.watching import iter_events, list_all, watch_until

Obj = dict[str, Any]


def _cm(name: str, ns: str) -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}, "data": {"a": "1"}}


def _cnp(name: str, ns: str) -> Obj:
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy", "metadata": {"name": name, "namespace": ns},
            "spec": {"endpointSelector": {"matchLabels": {"app": name}}, "ingress": [{"fromEndpoints": [{}]}]}}


class Recorder:
    """A WatchHandler that keeps (event type, name) and counts lists; done once `until` says so."""

    def __init__(self, until: Any) -> None:
        self.events: list[tuple[str, str]] = []
        self.lists = 0
        self.until = until

    def reset(self) -> None:
        self.lists += 1

    def event(self, kind: str, obj: Obj) -> None:
        self.events.append((kind, str(obj["metadata"]["name"])))

    def done(self) -> bool:
        return bool(self.until(self))


def _events(admin: KubeCluster, path: str, query: dict[str, Any], stop: Any, timeout: float) -> list[Obj]:
    """Watch events until stop(events) or the server ends the watch."""
    reply = admin.api.open_stream(Target("watch", path), path, {"watch": True, **query}, timeout)
    seen: list[Obj] = []
    try:
        if reply.status == 410:
            return [{"type": "ERROR", "object": {"code": 410, "http": True}}]
        for event in iter_events(reply.chunks()):
            seen.append(event)
            if stop(seen):
                break
    finally:
        reply.close()
    return seen


def test_create_list_watch_sees_added_modified_deleted(admin: KubeCluster, namespace: str) -> None:
    admin.apply([_cm("watched", namespace)])
    res = admin.discovery.resource("v1", "ConfigMap")
    items, rv = list_all(admin.api, res, namespace, f"{RUN_LABEL}={admin.run_id}")
    assert [i["metadata"]["name"] for i in items] == ["watched"] and rv
    handler = Recorder(lambda h: ("DELETED", "watched") in h.events)
    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(watch_until(
        admin.api, res, handler, deadline=time.monotonic() + 60, namespace=namespace)))
    thread.start()
    deadline = time.monotonic() + 30
    while ("ADDED", "watched") not in handler.events and time.monotonic() < deadline:
        time.sleep(0.05)
    admin.label("v1", "ConfigMap", "watched", {"step": "two"}, namespace)
    admin.delete("v1", "ConfigMap", "watched", namespace)
    thread.join(70)
    mine = [e for e in handler.events if e[1] == "watched"]
    assert result == [True] and mine == [("ADDED", "watched"), ("MODIFIED", "watched"), ("DELETED", "watched")]


def test_watch_from_a_too_old_resource_version_is_410_and_watch_until_lists_again(
    admin: KubeCluster, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CRD-served kind's watch cache starts when its CRD is established: resourceVersion 1 is older."""
    admin.apply([_cnp("old", namespace)])
    res = admin.discovery.resource("cilium.io/v2", "CiliumNetworkPolicy")
    events = _events(admin, res.path(namespace), {"resourceVersion": "1", "timeoutSeconds": 5}, lambda s: True, 10)
    assert events and events[0]["type"] == "ERROR" and events[0]["object"]["code"] == 410, events
    real_list_all = watching.list_all

    def stale_first(*args: Any, **kw: Any) -> tuple[list[Obj], str]:
        items, rv = real_list_all(*args, **kw)
        return items, ("1" if handler.lists == 1 else rv)  # the first list hands out a long-gone version

    monkeypatch.setattr(watching, "list_all", stale_first)
    handler = Recorder(lambda h: h.lists >= 2 and ("ADDED", "old") in h.events[1:])
    relists = admin.stats.relists
    assert watch_until(admin.api, res, handler, deadline=time.monotonic() + 30, namespace=namespace)
    assert handler.lists == 2 and admin.stats.relists == relists + 1


def test_initial_events_end_with_a_bookmark(admin: KubeCluster, namespace: str) -> None:
    """client-go's WatchList (kubectl wait): current state, then a BOOKMARK annotated initial-events-end."""
    admin.apply([_cm("present", namespace)])
    path = admin.discovery.resource("v1", "ConfigMap").path(namespace)
    query = {"sendInitialEvents": True, "resourceVersionMatch": "NotOlderThan", "allowWatchBookmarks": True,
             "timeoutSeconds": 10}
    events = _events(admin, path, query, lambda s: s[-1]["type"] == "BOOKMARK", 15)
    names = {e["object"]["metadata"].get("name") for e in events if e["type"] == "ADDED"}
    assert "present" in names and events[-1]["type"] == "BOOKMARK", events
    annotations = events[-1]["object"]["metadata"].get("annotations") or {}
    assert annotations.get("k8s.io/initial-events-end") == "true"
    status, body = call(admin, "GET", path, query={"watch": True, "sendInitialEvents": True, "timeoutSeconds": 1},
                        accept=(422,))
    assert status == 422 and "resourceVersionMatch" in body["message"], body


def test_a_watch_with_bookmarks_gets_a_bookmark_within_a_minute(admin: KubeCluster, namespace: str) -> None:
    """kube-apiserver sends a BOOKMARK about every minute (and 2 s before the watch's timeout) to a quiet watch
    that allows them, so a resumed watch starts from a recent resourceVersion."""
    path = admin.discovery.resource("v1", "ConfigMap").path(namespace)
    _, listed = call(admin, "GET", path)
    rv = listed["metadata"]["resourceVersion"]
    query = {"resourceVersion": rv, "allowWatchBookmarks": True, "timeoutSeconds": 70}
    start = time.monotonic()
    events = _events(admin, path, query, lambda s: s[-1]["type"] == "BOOKMARK", 80)
    assert events and events[-1]["type"] == "BOOKMARK", events
    assert time.monotonic() - start < 69 and int(events[-1]["object"]["metadata"]["resourceVersion"]) >= int(rv)
    quiet = _events(admin, path, {"resourceVersion": rv, "timeoutSeconds": 3}, lambda s: False, 10)
    assert not [e for e in quiet if e["type"] == "BOOKMARK"]  # never without allowWatchBookmarks
