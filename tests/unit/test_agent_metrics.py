"""metrics.k8s.io as the agent serves it (and the embedded sim, from the same sim/metrics_api.py): the discovery
documents, PodMetrics and NodeMetrics in metrics-server's shape, namespaces and selectors, one-line errors, and
the TLS endpoint the API server's aggregator dials (only its front-proxy client certificate is served). The
APIService on a real kube-apiserver: test_control_plane_cluster.py and the scale suite on kwok."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from pathlib import Path

import pytest

from pytest_meshscale.sim.agent.metrics import MetricsEndpoint, serving_context
from pytest_meshscale.sim.agent.mirror import Mirror
from pytest_meshscale.sim.control_plane import aggregated
from pytest_meshscale.sim.control_plane.pki import make_pki
from pytest_meshscale.sim.metrics_api import ResourceMetrics
from pytest_meshscale.sim.runtime import ContainerUsage
from pytest_meshscale.sim.server.storetypes import ApiError

NOW = 1_700_000_000.0


def _pod(ns: str, name: str, node: str, labels: dict[str, str], phase: str = "Running") -> dict:
    return {"metadata": {"name": name, "namespace": ns, "labels": labels, "resourceVersion": "1"},
            "spec": {"nodeName": node, "containers": [{"name": "app"}, {"name": "proxy"}]},
            "status": {"phase": phase}}


def _usage(pod: dict) -> list[ContainerUsage]:
    """0.25 cores + 64 MiB in `app`, 0.001 cores + 10 MiB in `proxy` for every pod."""
    return [ContainerUsage("app", 0.25, 64 * 1024 * 1024), ContainerUsage("proxy", 0.001, 10 * 1024 * 1024)]


@pytest.fixture
def metrics() -> ResourceMetrics:
    mirror = Mirror()
    mirror.replace("nodes", [{"metadata": {"name": n, "labels": {"pool": p}, "resourceVersion": "1"}}
                             for n, p in (("n1", "server"), ("n2", "client"), ("n3", "server"))])
    mirror.replace("pods", [_pod("a", "web-1", "n1", {"app": "web"}), _pod("a", "web-2", "n2", {"app": "web"}),
                            _pod("a", "db", "n1", {"app": "db"}), _pod("b", "web-3", "n1", {"app": "web"}),
                            _pod("b", "pending", "n2", {"app": "web"}, phase="Pending")])
    return ResourceMetrics(mirror, _usage, clock=lambda: NOW)


def _names(doc: dict) -> list[str]:
    return sorted(f"{i['metadata'].get('namespace', '')}/{i['metadata']['name']}" for i in doc["items"])


def test_discovery_names_both_resources_as_metrics_server_does(metrics: ResourceMetrics):
    listing = metrics.get("/apis/metrics.k8s.io/v1beta1", {})
    assert listing["kind"] == "APIResourceList" and listing["groupVersion"] == "metrics.k8s.io/v1beta1"
    assert [(r["name"], r["kind"], r["namespaced"], r["verbs"]) for r in listing["resources"]] == [
        ("nodes", "NodeMetrics", False, ["get", "list"]), ("pods", "PodMetrics", True, ["get", "list"])]
    group = metrics.get("/apis/metrics.k8s.io", {})
    assert group["kind"] == "APIGroup" and group["preferredVersion"]["version"] == "v1beta1"
    assert [g["name"] for g in metrics.get("/apis", {})["groups"]] == ["metrics.k8s.io"]
    # what kube-apiserver's OpenAPI aggregation downloads: valid and empty (a 404 is an error it requeues)
    assert metrics.get("/openapi/v2", {})["swagger"] == "2.0" and metrics.get("/openapi/v3", {}) == {"paths": {}}


def test_pod_metrics_have_metrics_servers_shape_and_say_simulated(metrics: ResourceMetrics):
    item = metrics.get("/apis/metrics.k8s.io/v1beta1/namespaces/a/pods/web-1", {})
    assert item["kind"] == "PodMetrics" and item["apiVersion"] == "metrics.k8s.io/v1beta1"
    assert item["metadata"]["labels"] == {"app": "web"} and item["metadata"]["namespace"] == "a"
    assert item["metadata"]["annotations"] == {"meshscale.io/simulated": "true"}
    assert item["timestamp"] == "2023-11-14T22:13:20Z" and item["window"] == "15s"
    assert item["containers"] == [{"name": "app", "usage": {"cpu": "250000000n", "memory": "65536Ki"}},
                                  {"name": "proxy", "usage": {"cpu": "1000000n", "memory": "10240Ki"}}]


def test_pod_lists_by_namespace_and_selectors_skip_pods_not_running(metrics: ResourceMetrics):
    base = "/apis/metrics.k8s.io/v1beta1"
    everything = metrics.get(f"{base}/pods", {})
    assert everything["kind"] == "PodMetricsList" and _names(everything) == ["a/db", "a/web-1", "a/web-2", "b/web-3"]
    assert _names(metrics.get(f"{base}/namespaces/a/pods", {"labelSelector": "app=web"})) == ["a/web-1", "a/web-2"]
    assert _names(metrics.get(f"{base}/pods", {"labelSelector": "app in (db),app!=web"})) == ["a/db"]
    assert _names(metrics.get(f"{base}/pods", {"fieldSelector": "spec.nodeName=n2"})) == ["a/web-2"]
    assert _names(metrics.get(f"{base}/namespaces/c/pods", {})) == []


def test_node_metrics_sum_their_running_pods(metrics: ResourceMetrics):
    base = "/apis/metrics.k8s.io/v1beta1"
    n1 = metrics.get(f"{base}/nodes/n1", {})
    assert n1["kind"] == "NodeMetrics" and n1["metadata"]["labels"] == {"pool": "server"}
    assert n1["usage"] == {"cpu": f"{3 * 251_000_000}n", "memory": f"{3 * 74 * 1024}Ki"}  # web-1, db, web-3
    listed = metrics.get(f"{base}/nodes", {})
    assert listed["kind"] == "NodeMetricsList" and [i["usage"]["cpu"] for i in listed["items"]] == [
        "753000000n", "251000000n", "0n"]  # n2's pending pod counts for nothing
    assert _names(metrics.get(f"{base}/nodes", {"labelSelector": "pool=client"})) == ["/n2"]


@pytest.mark.parametrize(("path", "query", "code", "message"), [
    ("/apis/metrics.k8s.io/v1beta1/namespaces/a/pods/nope", {}, 404, 'podmetrics.metrics.k8s.io "a/nope" not found'),
    ("/apis/metrics.k8s.io/v1beta1/namespaces/b/pods/pending", {}, 404, '"b/pending" not found'),
    ("/apis/metrics.k8s.io/v1beta1/nodes/n9", {}, 404, 'nodemetrics.metrics.k8s.io "n9" not found'),
    ("/apis/metrics.k8s.io/v1beta1/pods", {"labelSelector": "app in web"}, 400, "unable to parse"),
    ("/apis/metrics.k8s.io/v1beta1/services", {}, 404, "could not find the requested resource"),
])
def test_bad_requests_get_one_status_line(metrics: ResourceMetrics, path: str, query: dict, code: int, message: str):
    with pytest.raises(ApiError) as caught:
        metrics.get(path, query)
    assert caught.value.code == code and message in caught.value.message and "\n" not in caught.value.message


# ---- the TLS endpoint the aggregator dials ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory):
    return make_pki(tmp_path_factory.mktemp("pki"))


def _client(pki, cert: str) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki.path("ca.crt")))
    ctx.load_cert_chain(str(pki.path(f"{cert}.crt")), str(pki.path(f"{cert}.key")))
    return ctx


def _ask(endpoint: MetricsEndpoint, pki, cert: str, path: str) -> str:
    """One CONNECT's tunnel as the API server uses it: TLS to meshscale-metrics.kube-system.svc, then a GET."""
    ours, theirs = socket.socketpair()
    worker = threading.Thread(target=endpoint.connect, args=("10.127.0.10:4443", ours), daemon=True)
    worker.start()
    assert theirs.recv(39) == b"HTTP/1.1 200 Connection established\r\n\r\n"
    name = ".".join(reversed(aggregated.METRICS_SERVICE)) + ".svc"
    try:
        with _client(pki, cert).wrap_socket(theirs, server_hostname=name) as tls:
            tls.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            reply = b""
            while chunk := tls.recv(65536):
                reply += chunk
    except (ssl.SSLError, OSError) as exc:
        return f"refused: {exc}"
    finally:
        worker.join(5)
    return reply.decode()


def test_the_endpoint_serves_the_front_proxy_over_tls_and_nobody_else(metrics: ResourceMetrics, pki):
    endpoint = MetricsEndpoint(metrics, serving_context(pki.path("metrics-agent.crt"), pki.path("metrics-agent.key"),
                                                        pki.path("front-proxy-ca.crt")))
    reply = _ask(endpoint, pki, "front-proxy-client", "/apis/metrics.k8s.io/v1beta1/namespaces/a/pods")
    assert reply.startswith("HTTP/1.1 200 OK") and "application/json" in reply
    assert _names(json.loads(reply.split("\r\n\r\n", 1)[1])) == ["a/db", "a/web-1", "a/web-2"]
    missing = _ask(endpoint, pki, "front-proxy-client", "/apis/metrics.k8s.io/v1beta1/nodes/n9")
    assert missing.startswith("HTTP/1.1 404") and json.loads(missing.split("\r\n\r\n", 1)[1])["reason"] == "NotFound"
    assert "200 OK" not in _ask(endpoint, pki, "admin", "/apis/metrics.k8s.io/v1beta1/pods")  # not the front proxy


def test_the_apiservice_names_the_service_whose_endpoint_the_agent_answers(pki):
    service, endpoints, apiservice = aggregated.manifests(Path(pki.path("ca.crt")).read_bytes())
    assert apiservice["metadata"]["name"] == "v1beta1.metrics.k8s.io"
    assert apiservice["spec"]["service"] == {"namespace": "kube-system", "name": "meshscale-metrics", "port": 443}
    assert "selector" not in service["spec"] and service["spec"]["ports"][0]["name"] == "https"
    assert endpoints["metadata"]["labels"]["kubernetes.io/service-name"] == "meshscale-metrics"
    assert endpoints["endpoints"][0]["addresses"] == ["10.127.0.10"] and endpoints["ports"][0]["port"] == 4443
    assert all(o["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "meshscale-control-plane"
               for o in (service, endpoints, apiservice))


class _FakeApi:
    """kubeapi.Api's calls register() makes: the APIService's status comes in `events` (a watch), or never."""

    def __init__(self, events: list[dict]) -> None:
        self.created: list[str] = []
        self.events = events

    def create(self, obj: dict) -> dict:
        self.created.append(obj["kind"])
        return obj

    def get(self, path: str) -> dict:
        return {"metadata": {"name": aggregated.APISERVICE, "resourceVersion": "5"}, "status": {}}

    def watch_until(self, path: str, rv: str, done, timeout: float) -> None:
        assert (path, rv) == ("/apis/apiregistration.k8s.io/v1/apiservices", "5")
        for obj in self.events:
            if done("MODIFIED", obj):
                return
        raise TimeoutError("watch: not done")


def _apiservice(name: str, status: str, reason: str, message: str = "") -> dict:
    return {"metadata": {"name": name}, "status": {"conditions": [
        {"type": "Available", "status": status, "reason": reason, "message": message}]}}


def test_register_creates_the_three_objects_and_waits_for_available_by_watch():
    lines: list[str] = []
    api = _FakeApi([_apiservice("v1beta1.other.io", "True", "Passed"),
                    _apiservice(aggregated.APISERVICE, "False", "FailedDiscoveryCheck", "no agent yet"),
                    _apiservice(aggregated.APISERVICE, "True", "Passed")])
    aggregated.register(api, b"pem", lines.append, 5)  # type: ignore[arg-type]
    assert api.created == ["Service", "EndpointSlice", "APIService"]
    assert "Available after" in lines[-1] and "SIMULATED" in lines[-1]


def test_an_apiservice_never_available_is_one_line_with_the_api_servers_reason():
    api = _FakeApi([_apiservice(aggregated.APISERVICE, "False", "FailedDiscoveryCheck",
                                "failing or missing response from https://10.127.0.10:4443/apis/metrics.k8s.io/v1beta1")])
    with pytest.raises(TimeoutError) as caught:
        aggregated.register(api, b"pem", lambda _line: None, 5)  # type: ignore[arg-type]
    assert str(caught.value).startswith(
        "APIService v1beta1.metrics.k8s.io not Available after 5 s: FailedDiscoveryCheck: failing or missing")
    assert "\n" not in str(caught.value)


def test_a_failing_usage_model_is_one_internal_error_status_not_a_dropped_connection(metrics: ResourceMetrics, pki):
    def broken(pod: dict) -> list[ContainerUsage]:
        raise KeyError("perf parameter")

    endpoint = MetricsEndpoint(ResourceMetrics(metrics.store, broken), serving_context(
        pki.path("metrics-agent.crt"), pki.path("metrics-agent.key"), pki.path("front-proxy-ca.crt")))
    reply = endpoint.answer("GET", "/apis/metrics.k8s.io/v1beta1/pods", "", b"")
    body = json.loads(reply.body)
    assert reply.status == 500 and body["reason"] == "InternalError" and "perf parameter" in body["message"]
    assert endpoint.answer("POST", "/apis/metrics.k8s.io/v1beta1/pods", "", b"{}").status == 405
