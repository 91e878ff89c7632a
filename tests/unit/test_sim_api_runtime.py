"""Pod proxy, pod logs and metrics.k8s.io answered by a PodRuntime, driven through Api.handle in-process."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_meshscale.sim.runtime import ContainerUsage, JobOutcome, ProxyResult
from pytest_meshscale.sim.server.api import Api
from pytest_meshscale.sim.server.auth import Authorizer
from pytest_meshscale.sim.store import Store


class RecordingRuntime:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def proxy(self, pod: dict, port: int, method: str, path: str, query: str, body: bytes) -> ProxyResult:
        self.calls.append((pod["metadata"]["name"], port, method, path, query, body))
        return ProxyResult(418, b"from the pod", {"Content-Type": "application/json", "X-Sim": "1"})

    def logs(self, pod: dict, container: str | None) -> str:
        return f"line1 {container}\nline2\n"

    def run_job_pod(self, pod: dict) -> JobOutcome:
        return JobOutcome(0, "")

    def pod_usage(self, pod: dict) -> list[ContainerUsage]:
        return [ContainerUsage("web", 0.25, 64 * 1024 * 1024)]

    def node_kernel_cores(self, node: dict) -> float:
        return 0.0  # nothing beyond the pods: node metrics here are the pods' sum


@pytest.fixture
def api() -> tuple[Api, RecordingRuntime]:
    store, runtime = Store(), RecordingRuntime()
    store.create("namespaces", {"metadata": {"name": "ns"}})
    container = {"name": "web", "ports": [{"containerPort": 8080, "name": "http"}]}
    store.create(
        "pods",
        {
            "metadata": {"name": "p", "namespace": "ns"},
            "spec": {"containers": [container]},
            "status": {"phase": "Running"},
        },
    )
    return Api(store, runtime, Authorizer("tok")), runtime


def _call(api: Api, method: str, path: str, query: str = "", body: bytes = b"") -> Any:
    q = dict(p.split("=", 1) for p in query.split("&") if p)
    return api.handle(method, path, q, {"authorization": "Bearer tok"}, body, query)


def test_proxy_with_and_without_port(api: tuple[Api, RecordingRuntime]) -> None:
    server, runtime = api
    resp = _call(server, "POST", "/api/v1/namespaces/ns/pods/p:9090/proxy/fortio/rest/run", "async=on", b"{}")
    assert (resp.status, resp.body, resp.content_type, resp.headers) == (
        418,
        b"from the pod",
        "application/json",
        {"X-Sim": "1"},
    )
    _call(server, "GET", "/api/v1/namespaces/ns/pods/p/proxy/")
    _call(server, "GET", "/api/v1/namespaces/ns/pods/https:p:http/proxy/x")
    assert runtime.calls == [
        ("p", 9090, "POST", "/fortio/rest/run", "async=on", b"{}"),
        ("p", 8080, "GET", "/", "", b""),
        ("p", 8080, "GET", "/x", "", b""),
    ]
    assert _call(server, "GET", "/api/v1/namespaces/ns/pods/missing:80/proxy/").status == 404


def test_logs_container_and_tail(api: tuple[Api, RecordingRuntime]) -> None:
    server, _ = api
    resp = _call(server, "GET", "/api/v1/namespaces/ns/pods/p/log", "container=web&tailLines=1")
    assert (resp.status, resp.body, resp.content_type) == (200, b"line2\n", "text/plain")
    assert _call(server, "GET", "/api/v1/namespaces/ns/pods/p/log", "container=nope").status == 400


def test_pod_metrics_shape(api: tuple[Api, RecordingRuntime]) -> None:
    server, _ = api
    body = json.loads(_call(server, "GET", "/apis/metrics.k8s.io/v1beta1/namespaces/ns/pods").body)
    assert body["kind"] == "PodMetricsList"
    [item] = body["items"]
    assert item["containers"] == [{"name": "web", "usage": {"cpu": "250000000n", "memory": "65536Ki"}}]
    assert item["metadata"]["annotations"]["meshscale.io/simulated"] == "true"


def test_node_metrics_and_discovery_as_on_kwok(api: tuple[Api, RecordingRuntime]) -> None:
    """The embedded sim serves metrics.k8s.io from the same code as the agent (sim/metrics_api.py)."""
    server, _ = api
    server.store.create("nodes", {"metadata": {"name": "n1", "labels": {"pool": "a"}}})
    pod = server.store.get("pods", "ns", "p")
    server.store.update("pods", {**pod, "spec": {**pod["spec"], "nodeName": "n1"}})
    listing = json.loads(_call(server, "GET", "/apis/metrics.k8s.io/v1beta1").body)
    assert [r["kind"] for r in listing["resources"]] == ["NodeMetrics", "PodMetrics"]
    node = json.loads(_call(server, "GET", "/apis/metrics.k8s.io/v1beta1/nodes/n1").body)
    assert node["kind"] == "NodeMetrics" and node["usage"] == {"cpu": "250000000n", "memory": "65536Ki"}
    nodes = json.loads(_call(server, "GET", "/apis/metrics.k8s.io/v1beta1/nodes", "labelSelector=pool=b").body)
    assert nodes["kind"] == "NodeMetricsList" and nodes["items"] == []
    assert _call(server, "DELETE", "/apis/metrics.k8s.io/v1beta1/nodes/n1").status == 405
