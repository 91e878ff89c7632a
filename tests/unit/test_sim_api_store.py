"""The sim's object store and selectors on their own (no HTTP): the contract the controllers code against."""

from __future__ import annotations

import threading

import pytest

from pytest_meshscale.sim.server.selectors import (
    SelectorError,
    field_predicate,
    label_predicate,
    match_labels,
)
from pytest_meshscale.sim.store import ApiError, Store


def _pod(name: str, ns: str = "a", labels: dict[str, str] | None = None, **spec: object) -> dict:
    return {
        "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
        "spec": dict(spec),
        "status": {"phase": "Pending"},
    }


@pytest.fixture
def store() -> Store:
    s = Store()
    s.create("namespaces", {"metadata": {"name": "a"}})
    return s


def test_create_assigns_identity_and_rejects_duplicates(store: Store) -> None:
    pod = store.create("pods", _pod("p"))
    meta = pod["metadata"]
    assert meta["uid"]
    assert meta["generation"] == 1
    assert meta["creationTimestamp"].endswith("Z")
    assert pod["apiVersion"] == "v1"
    assert pod["kind"] == "Pod"
    with pytest.raises(ApiError) as err:
        store.create("pods", _pod("p"))
    assert (err.value.code, err.value.reason) == (409, "AlreadyExists")
    assert err.value.status_body()["details"] == {"name": "p", "kind": "pods"}


def test_admission_mutates_a_created_object_before_it_is_stored_and_leaves_the_callers(store: Store) -> None:
    def inject(resource: str, obj: dict) -> None:
        if resource == "pods":
            obj["spec"] = {**obj["spec"], "containers": [*obj["spec"].get("containers", []), {"name": "sidecar"}]}
            obj["metadata"] = {**obj["metadata"], "labels": {**obj["metadata"]["labels"], "injected": "yes"}}

    store.admission.append(inject)
    sent = _pod("p", containers=[{"name": "app"}])
    stored = store.create("pods", sent)
    assert [c["name"] for c in stored["spec"]["containers"]] == ["app", "sidecar"]
    assert stored["metadata"]["labels"] == {"injected": "yes"} and stored["metadata"]["resourceVersion"]
    assert sent["spec"]["containers"] == [{"name": "app"}] and sent["metadata"]["labels"] == {}
    assert store.create("configmaps", {"metadata": {"name": "c", "namespace": "a"}})["metadata"].get("labels") is None


def test_create_needs_the_namespace_and_a_valid_name(store: Store) -> None:
    with pytest.raises(ApiError) as err:
        store.create("pods", _pod("p", ns="missing"))
    assert err.value.code == 404
    assert 'namespaces "missing" not found' in err.value.message
    with pytest.raises(ApiError) as err:
        store.create("pods", _pod("Bad_Name"))
    assert err.value.code == 422
    assert "metadata.name" in err.value.message
    with pytest.raises(ApiError) as err:
        store.create("pods", _pod("p", labels={"app": "not valid!"}))
    assert err.value.code == 422
    assert "metadata.labels" in err.value.message


def test_generate_name(store: Store) -> None:
    pod = store.create("pods", {"metadata": {"generateName": "web-", "namespace": "a"}})
    assert pod["metadata"]["name"].startswith("web-")
    assert len(pod["metadata"]["name"]) == 9


def test_update_conflict_status_rules_and_generation(store: Store) -> None:
    dep = store.create("deployments.apps", {"metadata": {"name": "d", "namespace": "a"}, "spec": {"replicas": 1}})
    newer = store.update("deployments.apps", {**dep, "spec": {"replicas": 2}, "status": {"replicas": 9}})
    assert newer["metadata"]["generation"] == 2
    assert "status" not in newer
    with pytest.raises(ApiError) as err:
        store.update("deployments.apps", {**dep, "spec": {"replicas": 3}})  # dep's resourceVersion is stale
    assert err.value.code == 409
    assert err.value.reason == "Conflict"
    status = store.update("deployments.apps", {**newer, "spec": {"replicas": 7}, "status": {"replicas": 2}}, "status")
    assert status["status"] == {"replicas": 2}
    assert status["spec"] == {"replicas": 2}
    assert status["metadata"]["generation"] == 2


def test_noop_update_keeps_resource_version(store: Store) -> None:
    cm = store.create("configmaps", {"metadata": {"name": "c", "namespace": "a"}, "data": {"k": "v"}})
    assert store.update("configmaps", dict(cm))["metadata"]["resourceVersion"] == cm["metadata"]["resourceVersion"]


def test_mutate_is_atomic_read_modify_write(store: Store) -> None:
    store.create("configmaps", {"metadata": {"name": "n", "namespace": "a"}, "data": {"count": "0"}})

    def bump(obj: dict) -> None:
        obj["data"]["count"] = str(int(obj["data"]["count"]) + 1)

    threads = [
        threading.Thread(target=lambda: [store.mutate("configmaps", "a", "n", bump) for _ in range(200)])
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get("configmaps", "a", "n")["data"]["count"] == "800"


def test_list_with_selectors(store: Store) -> None:
    store.create("pods", _pod("p1", labels={"app": "web", "tier": "front"}, nodeName="n1"))
    store.create("pods", _pod("p2", labels={"app": "db"}, nodeName="n2"))
    store.create("pods", _pod("p3", labels={"app": "web"}, nodeName="n2"))

    def names(**kw: str) -> list[str]:
        return [p["metadata"]["name"] for p in store.list("pods", **kw)[0]]

    assert names(label_selector="app=web") == ["p1", "p3"]
    assert names(label_selector="app in (db, web),tier") == ["p1"]
    assert names(label_selector="app notin (web),!tier") == ["p2"]
    assert names(label_selector="app!=web") == ["p2"]
    assert names(field_selector="spec.nodeName=n2,metadata.name!=p2") == ["p3"]
    assert names(namespace="other") == []
    with pytest.raises(ApiError) as err:
        store.list("pods", label_selector="app in (x")
    assert err.value.code == 400


def test_selector_parsing() -> None:
    assert label_predicate("") is None
    assert field_predicate(None) is None
    pred = label_predicate("a==1,b!=2,!c")
    assert pred is not None
    assert pred({"a": "1"})
    assert not pred({"a": "1", "c": ""})
    with pytest.raises(SelectorError):
        label_predicate("a b")
    assert match_labels({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1"]}]}, {"a": "1"})
    assert not match_labels({"matchLabels": {"a": "2"}}, {"a": "1"})


def test_namespace_delete_cascades_and_owner_gc(store: Store) -> None:
    dep = store.create("deployments.apps", {"metadata": {"name": "d", "namespace": "a"}, "spec": {}})
    owner = [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "d", "uid": dep["metadata"]["uid"]}]
    store.create("pods", {"metadata": {"name": "owned", "namespace": "a", "ownerReferences": owner}})
    store.create("pods", _pod("free"))
    store.delete("deployments.apps", "a", "d")
    assert store.try_get("pods", "a", "owned") is None
    assert store.try_get("pods", "a", "free") is not None
    store.delete("namespaces", None, "a")
    assert store.list("pods")[0] == []
    with pytest.raises(ApiError) as err:
        store.get("pods", "a", "free")
    assert err.value.code == 404


def test_subscribers_see_every_change_in_order(store: Store) -> None:
    seen: list[tuple[str, str]] = []

    def on_change(kind: str, resource: str, obj: dict) -> None:
        seen.append((kind, obj["metadata"]["name"]))
        if obj["metadata"]["name"] == "p" and kind == "ADDED":  # a controller reacting with a write
            store.create("pods", _pod("child"))

    store.subscribe(on_change)
    store.create("pods", _pod("p"))
    store.mutate("pods", "a", "p", lambda o: o["status"].update(phase="Running"))
    store.delete("pods", "a", "p")
    assert seen == [("ADDED", "p"), ("ADDED", "child"), ("MODIFIED", "p"), ("DELETED", "p")]


def test_watch_resumes_from_resource_version_and_expires(store: Store) -> None:
    first = store.create("configmaps", {"metadata": {"name": "c1", "namespace": "a"}})
    store.create("configmaps", {"metadata": {"name": "c2", "namespace": "a"}})
    with store.watch("configmaps", "a", first["metadata"]["resourceVersion"]) as w:
        event = w.next(1)
        assert event is not None
        assert event[1] == "ADDED"
        assert event[3]["metadata"]["name"] == "c2"
        store.delete("configmaps", "a", "c1")
        event = w.next(1)
        assert event is not None
        assert event[1] == "DELETED"
    small = Store(history=3)
    small.create("namespaces", {"metadata": {"name": "a"}})
    for i in range(5):
        small.create("configmaps", {"metadata": {"name": f"c{i}", "namespace": "a"}})
    with pytest.raises(ApiError) as err:
        small.watch("configmaps", "a", "1")
    assert err.value.code == 410


def test_create_rate_with_a_subscriber_is_above_target() -> None:
    """The full profile creates ~52,000 pods in-process: the brief asks >= 2,000 creates/s."""
    import time

    s = Store()
    s.create("namespaces", {"metadata": {"name": "a"}})
    s.subscribe(lambda *_: None)
    start = time.perf_counter()
    for i in range(3000):
        s.create("pods", _pod(f"p{i}", labels={"app": "web"}, nodeName="n1"))
    assert 3000 / (time.perf_counter() - start) >= 2000
