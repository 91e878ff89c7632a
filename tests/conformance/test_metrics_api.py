"""metrics.k8s.io as the scale suite reads it (scenario/metrics.py): on the sim the embedded API server serves it,
on kwok the data-plane agent as an aggregated API behind the real kube-apiserver. Both from sim/metrics_api.py, so
these checks are about the path: discovery through the API server, PodMetrics by namespace and label selector
through the plugin's cluster layer, NodeMetrics, and the NotFound of a pod with no metrics."""

from __future__ import annotations

from conformance_kit import call, wait_until

from pytest_meshscale.cluster.kube import KubeCluster

METRICS = "metrics.k8s.io/v1beta1"


def test_discovery_serves_pod_and_node_metrics(admin: KubeCluster) -> None:
    _, doc = call(admin, "GET", "/apis/metrics.k8s.io/v1beta1")
    assert sorted((r["name"], r["kind"], r["namespaced"]) for r in doc["resources"]) == [
        ("nodes", "NodeMetrics", False), ("pods", "PodMetrics", True)]
    _, groups = call(admin, "GET", "/apis")
    assert "metrics.k8s.io" in {g["name"] for g in groups["groups"]}


def test_the_meshs_pods_have_simulated_podmetrics_by_label(admin: KubeCluster) -> None:
    found: list[dict] = []

    def listed() -> bool:  # on kwok the agent serves what its watch has seen: the DaemonSet's pods once Running
        found[:] = admin.list(METRICS, "PodMetrics", "kube-system", "k8s-app=cilium")
        return len(found) == 4

    wait_until("cilium-agent's PodMetrics on the 4 smoke nodes", listed)
    assert all(i["metadata"]["labels"]["k8s-app"] == "cilium" for i in found)
    assert all(i["metadata"]["annotations"]["meshscale.io/simulated"] == "true" for i in found)
    assert all(c["usage"]["cpu"].endswith("n") and c["usage"]["memory"].endswith("Ki")
               for i in found for c in i["containers"])


def test_node_metrics_cover_every_node_and_a_missing_pod_is_not_found(admin: KubeCluster) -> None:
    nodes = {n["metadata"]["name"] for n in admin.list("v1", "Node")}
    assert {n["metadata"]["name"] for n in admin.list(METRICS, "NodeMetrics")} == nodes
    status, body = call(admin, "GET", "/apis/metrics.k8s.io/v1beta1/namespaces/kube-system/pods/no-such-pod",
                        accept=(404,))
    assert status == 404 and body["reason"] == "NotFound" and "no-such-pod" in body["message"]
