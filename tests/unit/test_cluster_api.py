"""ApiCluster's verbs against a function-based fake transport: labels, 409 handling, retries, proxy
replies passed through, watches resumed from the last resourceVersion, teardown by label."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from pytest_meshscale.cluster.api import Api
from pytest_meshscale.cluster.base import RUN_LABEL, ClusterError, ForeignObject, MetricsForbidden, planes
from pytest_meshscale.cluster.client import ApiCluster
from pytest_meshscale.cluster.ratelimit import RateLimit
from pytest_meshscale.cluster.retry import RetryPolicy, TransientError

DISCOVERY = {
    "/api/v1": [("pods", "Pod", True), ("namespaces", "Namespace", False), ("configmaps", "ConfigMap", True)],
    "/apis/apps/v1": [("deployments", "Deployment", True)],
}


class FakeReply:
    def __init__(self, status: int, body: Any = b"", headers: Mapping[str, str] | None = None) -> None:
        self.status, self.headers = status, dict(headers or {})
        self._parts = (
            body
            if isinstance(body, list)
            else [body if isinstance(body, bytes) else json.dumps(body).encode()]
        )

    def read(self) -> bytes:
        return b"".join(p for p in self._parts if isinstance(p, bytes))

    def chunks(self) -> Iterator[bytes]:
        for part in self._parts:
            if isinstance(part, Exception):
                raise part
            yield part

    def close(self) -> None:
        pass


Handler = Callable[[str, str, Any], FakeReply | None]


class FakeTransport:
    """Serves discovery itself; every other request goes to `handler` (and is recorded)."""

    def __init__(self, handler: Handler) -> None:
        self.handler, self.sent = handler, []

    def send(
        self, method: str, path: str, body: bytes | None, headers: Mapping[str, str], timeout: float
    ) -> FakeReply:
        if method == "GET" and path in DISCOVERY:
            rows = [{"name": n, "kind": k, "namespaced": ns} for n, k, ns in DISCOVERY[path]]
            return FakeReply(200, {"resources": rows})
        parsed = json.loads(body) if body and body[:1] in b"{[" else body
        self.sent.append((method, path, parsed))
        reply = self.handler(method, path, parsed)
        return reply if reply is not None else FakeReply(404, {"kind": "Status", "message": "not found"})

    def close(self) -> None:
        pass


def _cluster(handler: Handler, policy: RetryPolicy | None = None) -> tuple[ApiCluster, FakeTransport]:
    transport = FakeTransport(handler)
    api = Api(transport, RateLimit(1000, 1000), policy or RetryPolicy(base_s=0.001))
    return ApiCluster(
        api, kubeconfig="k", run_id="run-1", kind="sim", name="t", rate=api.bucket.rate
    ), transport


def _ns(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def _existing(labels: dict[str, str]) -> Any:
    """A fake API where istio-system exists with `labels`: POST is 409, GET returns it, PATCH echoes."""
    def handler(method: str, path: str, body: Any) -> FakeReply:
        if method == "POST" and body["metadata"]["name"] == "istio-system":
            return FakeReply(409, {"kind": "Status", "code": 409, "message": "exists"})
        if method == "GET":
            return FakeReply(200, _ns("istio-system") | {"metadata": {"name": "istio-system", "labels": labels}})
        return FakeReply(201 if method == "POST" else 200, body)

    return handler


def test_apply_labels_new_objects_and_never_changes_one_it_did_not_create() -> None:
    cluster, transport = _cluster(_existing({"x": "y"}))
    ours = _ns("ns-001") | {"metadata": {"name": "ns-001", "labels": {"team": "a"}}}
    cluster.apply([ours])
    with pytest.raises(ForeignObject, match="^meshscale: Namespace istio-system already exists and was not "
                       "created by meshscale; refusing to adopt or change it$"):
        cluster.apply([_ns("istio-system")])
    (m1, p1, b1), (m2, _, _), (m3, p3, _) = transport.sent
    assert (m1, p1) == ("POST", "/api/v1/namespaces")
    assert b1["metadata"]["labels"] == {
        "team": "a",
        RUN_LABEL: "run-1",
        "app.kubernetes.io/managed-by": "pytest-meshscale",
    }
    assert ours["metadata"]["labels"] == {"team": "a"}  # the caller's manifest is not modified
    assert m2 == "POST" and (m3, p3) == ("GET", "/api/v1/namespaces/istio-system")
    assert len(transport.sent) == 3  # no PATCH: the object is left exactly as it was
    assert (cluster.applier.created, cluster.applier.updated) == (1, 0)


def test_an_object_of_another_run_is_named_with_that_run() -> None:
    cluster, transport = _cluster(_existing({RUN_LABEL: "run-0", "app.kubernetes.io/managed-by": "pytest-meshscale"}))
    with pytest.raises(ForeignObject, match="was left by meshscale run run-0"):
        cluster.apply([_ns("istio-system")])
    assert [m for m, _, _ in transport.sent] == ["POST", "GET"]


def test_an_object_of_this_run_converges_through_a_patch() -> None:
    cluster, transport = _cluster(_existing({RUN_LABEL: "run-1", "app.kubernetes.io/managed-by": "pytest-meshscale"}))
    cluster.apply([_ns("istio-system")])  # e.g. a retried POST whose first try landed
    (_, _, _), (_, _, _), (m3, p3, b3) = transport.sent
    assert (m3, p3) == ("PATCH", "/api/v1/namespaces/istio-system")
    assert b3["metadata"]["labels"][RUN_LABEL] == "run-1"
    assert (cluster.applier.created, cluster.applier.updated) == (0, 1)


def test_namespaced_kind_without_namespace_is_one_clear_error() -> None:
    cluster, _ = _cluster(lambda *_: FakeReply(201, {}))
    with pytest.raises(ClusterError, match="^apply ConfigMap c: a namespaced kind needs metadata.namespace$"):
        cluster.apply([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}])


def test_transient_errors_are_retried_and_counted_others_fail_at_once() -> None:
    answers = [FakeReply(429, {"kind": "Status"}, {"Retry-After": "0"}), FakeReply(500, {"kind": "Status"})]

    def handler(method: str, path: str, body: Any) -> FakeReply:
        if "bad" in path:
            return FakeReply(422, {"kind": "Status", "code": 422, "message": "spec.x: Invalid value"})
        return answers.pop(0) if answers else FakeReply(200, {"metadata": {"name": "a"}})

    cluster, transport = _cluster(handler)
    assert cluster.get("v1", "ConfigMap", "a", "ns") == {"metadata": {"name": "a"}}
    assert dict(cluster.stats.retries) == {"429": 1, "500": 1}
    assert cluster.stats.requests["get"] == 3
    with pytest.raises(ClusterError) as err:
        cluster.get("v1", "ConfigMap", "bad", "ns")
    assert str(err.value) == "get ConfigMap ns/bad: HTTP 422 Unprocessable Entity: spec.x: Invalid value"
    assert len(transport.sent) == 4  # the 422 was not retried


def test_connection_errors_are_retried_until_the_budget_is_spent() -> None:
    def handler(method: str, path: str, body: Any) -> FakeReply:
        raise TransientError("connection failed: reset")

    cluster, _ = _cluster(handler, RetryPolicy(attempts=3, base_s=0.001))
    with pytest.raises(
        ClusterError, match=r"^get Pod ns/p: connection failed: reset \(gave up after 3 attempts"
    ):
        cluster.get("v1", "Pod", "p", "ns")
    assert cluster.stats.retries["connection"] == 2


def test_get_missing_is_none_and_delete_missing_is_fine() -> None:
    cluster, transport = _cluster(lambda *_: None)
    assert cluster.get("v1", "Pod", "p", "ns") is None
    cluster.delete("v1", "Pod", "p", "ns")
    assert transport.sent[-1][:2] == ("DELETE", "/api/v1/namespaces/ns/pods/p?propagationPolicy=Background")


def test_proxy_returns_the_pods_own_status_and_body_but_retries_the_api_servers_429() -> None:
    answers = [FakeReply(429, {"kind": "Status", "code": 429}), FakeReply(503, b"upstream down", {"X": "1"})]
    cluster, transport = _cluster(lambda *_: answers.pop(0))
    resp = cluster.proxy_post("client-0", "ns-001", 8080, "/fortio/rest/run?async=on", b'{"qps": 10}')
    assert (resp.status, resp.body, resp.headers["X"]) == (503, b"upstream down", "1")
    assert transport.sent[-1] == (
        "POST",
        "/api/v1/namespaces/ns-001/pods/client-0:8080/proxy/fortio/rest/run?async=on",
        {"qps": 10},
    )
    assert cluster.stats.retries["429"] == 1


def test_label_merge_patch_with_none_and_run_label_refused() -> None:
    cluster, transport = _cluster(lambda *_: FakeReply(200, {}))
    cluster.label("v1", "Namespace", "ns-001", {"a": "1", "b": None})
    assert transport.sent[-1] == (
        "PATCH",
        "/api/v1/namespaces/ns-001",
        {"metadata": {"labels": {"a": "1", "b": None}}},
    )
    with pytest.raises(ClusterError, match="is set only by apply"):
        cluster.label("v1", "Namespace", "ns-001", {RUN_LABEL: "other"})


def _dep(name: str, ready: int, rv: str, want: int = 2) -> dict[str, Any]:
    conditions = [{"type": "Available", "status": "True" if ready >= want else "False"}]
    status = {
        "observedGeneration": 1,
        "updatedReplicas": ready,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "conditions": conditions,
    }
    meta = {"name": name, "namespace": "ns-1", "generation": 1, "resourceVersion": rv}
    return {"metadata": meta, "spec": {"replicas": want}, "status": status}


def _event(kind: str, obj: dict[str, Any]) -> bytes:
    return json.dumps({"type": kind, "object": obj}).encode() + b"\n"


def test_wait_deployments_uses_one_watch_and_resumes_after_a_drop() -> None:
    watches: list[str] = []

    def handler(method: str, path: str, body: Any) -> FakeReply:
        if "watch=true" not in path:
            items = [_dep("a", 0, "5"), _dep("b", 2, "6")]
            return FakeReply(200, {"metadata": {"resourceVersion": "6"}, "items": items})
        watches.append(path)
        if len(watches) == 1:  # one event and half of the next, then the connection drops
            events = [_event("MODIFIED", _dep("a", 1, "7")), _event("MODIFIED", _dep("a", 1, "8"))[:10]]
            return FakeReply(200, [*events, TransientError("reset")])
        return FakeReply(200, [_event("MODIFIED", _dep("a", 1, "8")), _event("MODIFIED", _dep("a", 2, "9"))])

    cluster, _ = _cluster(handler)
    seen: list[tuple[int, int]] = []
    cluster.wait_deployments_available(["ns-1"], 5, progress=lambda a, t: seen.append((a, t)))
    assert seen[0] == (1, 2)
    assert seen[-1] == (2, 2)
    assert all(
        "/apis/apps/v1/deployments?" in w and "labelSelector=meshscale.io%2Frun-id%3Drun-1" in w
        for w in watches
    )
    assert "resourceVersion=6" in watches[0]
    assert "resourceVersion=7" in watches[1]  # resumed after the last event seen, no new list
    assert cluster.stats.requests["list"] == 1
    assert cluster.stats.watch_resumes == 1


def test_wait_for_times_out_naming_what() -> None:
    def handler(method: str, path: str, body: Any) -> FakeReply:
        if "watch=true" in path:
            return FakeReply(200, [])
        return FakeReply(200, {"metadata": {"resourceVersion": "1"}, "items": []})

    cluster, _ = _cluster(handler)
    with pytest.raises(ClusterError, match="^timed out after 0.3s waiting for job capture to finish$"):
        cluster.wait_for(
            "v1", "Pod", lambda p: True, name="p", namespace="ns", timeout_s=0.3, what="job capture to finish"
        )


def test_delete_run_objects_deletes_labelled_strays_and_run_namespaces_only() -> None:
    ns_events = [_event("DELETED", {"metadata": {"name": "ns-001", "resourceVersion": "3"}})]

    def handler(method: str, path: str, body: Any) -> FakeReply | None:
        if method == "DELETE":
            return FakeReply(200, {})
        if path.startswith("/api/v1/namespaces?") and "watch=true" in path:
            return FakeReply(200, ns_events)
        if path.startswith("/api/v1/namespaces?"):
            assert "labelSelector=meshscale.io%2Frun-id%3Drun-1" in path
            return FakeReply(
                200, {"metadata": {"resourceVersion": "2"}, "items": [{"metadata": {"name": "ns-001"}}]}
            )
        if path.startswith("/api/v1/configmaps?"):
            items = [
                {"metadata": {"name": "in-run-ns", "namespace": "ns-001"}},
                {"metadata": {"name": "stray", "namespace": "default"}},
                {"metadata": {"name": "owned", "namespace": "default", "ownerReferences": [{"uid": "x"}]}},
            ]
            return FakeReply(200, {"metadata": {}, "items": items})
        if "?" in path and method == "GET":
            return FakeReply(200, {"metadata": {}, "items": []})
        return None

    cluster, transport = _cluster(handler)
    assert cluster.delete_run_objects(timeout_s=5) == 2
    deletes = [p.split("?")[0] for m, p, _ in transport.sent if m == "DELETE"]
    assert deletes == ["/api/v1/namespaces/default/configmaps/stray", "/api/v1/namespaces/ns-001"]


def test_proxy_post_is_not_repeated_after_a_failure_that_may_have_reached_the_pod() -> None:
    def handler(method: str, path: str, body: Any) -> FakeReply:
        raise TransientError("connection failed: reset")

    cluster, transport = _cluster(handler)
    with pytest.raises(
        ClusterError, match=r"reset \(not retried: the request may already have reached the pod\)"
    ):
        cluster.proxy_post("client-0", "ns-001", 8080, "/fortio/rest/run", b"{}")
    assert len(transport.sent) == 1
    with pytest.raises(ClusterError, match=r"gave up after 10 attempts"):
        cluster.proxy_get("client-0", "ns-001", 8080, "/fortio/rest/status")  # a GET may be repeated


def test_a_repeatable_proxy_post_is_retried_after_api_server_errors_and_drops() -> None:
    """A probe is one synchronous request: 500 and 429 Status answers of the API server itself, and a
    dropped connection, are retried; the pod's own answer (even a 503 without a Status) is returned."""
    replies = iter([
        FakeReply(500, {"kind": "Status", "code": 500, "message": "internal error"}),
        TransientError("connection failed: reset"),
        FakeReply(429, {"kind": "Status", "code": 429, "message": "slow down"}),
        FakeReply(503, {"fortio": "the pod's own 503"}),
    ])

    def handler(method: str, path: str, body: Any) -> FakeReply:
        reply = next(replies)
        if isinstance(reply, Exception):
            raise reply
        return reply

    cluster, transport = _cluster(handler)
    resp = cluster.proxy_post("client-0", "ns-001", 8080, "/fortio/rest/run", b"{}", repeatable=True)
    assert resp.status == 503 and resp.json() == {"fortio": "the pod's own 503"}
    assert len(transport.sent) == 4


@pytest.mark.parametrize(("kind", "version", "said"), [
    ("sim", "v1.31.0-meshscale-sim", "control plane: SIMULATED (v1.31.0-meshscale-sim), data plane: SIMULATED"),
    ("existing", "v1.31.0-meshscale-sim", "control plane: SIMULATED (v1.31.0-meshscale-sim), data plane: SIMULATED"),
    ("kwok", "v1.37.2", "control plane: kube-apiserver v1.37.2 (real), data plane: SIMULATED"),
    ("kind", "v1.31.0", "control plane: kube-apiserver v1.31.0 (real), data plane: real"),
    ("existing", "v1.30.6", "control plane: kube-apiserver v1.30.6 (real), data plane: real"),
])
def test_planes_say_which_halves_of_the_cluster_are_real(kind: str, version: str, said: str) -> None:
    assert planes(kind, version) == said


def test_metrics_text_reads_the_servers_own_metrics_and_says_in_one_line_when_rbac_denies_it() -> None:
    text = "# TYPE apiserver_request_total counter\napiserver_request_total{verb=\"GET\"} 3\n"
    cluster, transport = _cluster(lambda m, p, b: FakeReply(200, text.encode()) if p == "/metrics" else None)
    assert cluster.metrics_text() == text and transport.sent == [("GET", "/metrics", None)]
    forbidden = {"kind": "Status", "code": 403, "reason": "Forbidden",
                 "message": 'forbidden: User "system:serviceaccount:ci:runner" cannot get path "/metrics"'}
    denied, _ = _cluster(lambda m, p, b: FakeReply(403, forbidden))
    with pytest.raises(MetricsForbidden) as caught:
        denied.metrics_text()
    assert str(caught.value) == ('get /metrics: HTTP 403 Forbidden: forbidden: User "system:serviceaccount:ci:runner" '
                                 'cannot get path "/metrics" (grant nonResourceURLs [/metrics] verbs [get], as '
                                 'fixtures/rbac/meshscale-clusterrole.yaml does)')
    assert isinstance(caught.value, ClusterError)
