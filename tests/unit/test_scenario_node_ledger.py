"""NodeLedger: which node each pod's CPU belongs to, learnt gently (one list of every Pod, then only the
namespaces where new pods appeared), and the unaccounted cores per node from it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pytest_meshscale.scenario.metrics import METRICS_API, NodeLedger


class FakeCluster:
    """Just the lists NodeLedger makes, recorded."""

    def __init__(self) -> None:
        self.pods: dict[tuple[str, str], tuple[str, str]] = {}  # (namespace, name) -> (node, cpu)
        self.nodes: dict[str, str] = {}
        self.lists: list[tuple[str, str | None]] = []

    def list(self, api_version: str, kind: str, namespace: str | None = None,
             labels: str | None = None) -> list[dict[str, Any]]:
        self.lists.append((kind, namespace))
        if kind == "NodeMetrics":
            return [{"metadata": {"name": n}, "usage": {"cpu": cpu}} for n, cpu in self.nodes.items()]
        # a list of every pod (or every pod's metrics) held whole took ~0.5 GiB of the plugin at 54,000 pods
        raise AssertionError(f"{kind}: read page by page (each), not as one list")

    def each(self, api_version: str, kind: str, namespace: str | None = None,
             labels: str | None = None) -> Iterator[dict[str, Any]]:
        self.lists.append((kind, namespace))
        if kind == "PodMetrics":
            yield from [{"metadata": {"namespace": ns, "name": name}, "containers": [{"usage": {"cpu": cpu}}]}
                        for (ns, name), (_, cpu) in self.pods.items()]
            return
        assert (api_version, kind) == ("v1", "Pod")
        yield from [{"metadata": {"namespace": ns, "name": name}, "spec": {"nodeName": node}}
                    for (ns, name), (node, _) in self.pods.items() if namespace in (None, ns)]


def pod_lists(cluster: FakeCluster) -> list[str | None]:
    return [ns for kind, ns in cluster.lists if kind == "Pod"]


def test_unaccounted_cores_per_node_and_only_new_namespaces_listed_again() -> None:
    cluster = FakeCluster()
    cluster.nodes = {"n1": "1000m", "n2": "500m"}
    cluster.pods = {("a", "p1"): ("n1", "300m"), ("a", "p2"): ("n2", "100m"), ("b", "p3"): ("n1", "200m")}
    ledger = NodeLedger(cluster)  # type: ignore[arg-type]

    cores, rejected = ledger.sample() or (None, None)
    assert cores == pytest.approx((1.0 - 0.5) + (0.5 - 0.1)) and rejected == ()
    assert pod_lists(cluster) == [None]  # the first sample learns every pod once

    ledger.sample()
    assert pod_lists(cluster) == [None]  # nothing new: no Pod list at all

    cluster.pods[("b", "p4")] = ("n2", "400m")  # churn: a new replica in namespace b
    cores, _ = ledger.sample() or (None, None)
    assert pod_lists(cluster) == [None, "b"]  # only b, not every pod again
    assert cores == pytest.approx((1.0 - 0.5) + (0.5 - 0.5))


def test_a_node_its_pods_exceed_is_left_out_and_named() -> None:
    cluster = FakeCluster()
    cluster.nodes = {"n1": "100m", "n2": "500m"}
    cluster.pods = {("a", "p1"): ("n1", "900m"), ("a", "p2"): ("n2", "100m")}
    cores, rejected = NodeLedger(cluster).sample() or (None, None)  # type: ignore[arg-type]
    assert rejected == ("n1",) and cores == pytest.approx(0.4)


def test_no_node_metrics_means_no_reading() -> None:
    class Denied(FakeCluster):
        def list(self, api_version: str, kind: str, namespace: str | None = None,
                 labels: str | None = None) -> list[dict[str, Any]]:
            from pytest_meshscale.cluster.base import ClusterError
            if api_version == METRICS_API:
                raise ClusterError("the server could not find the requested resource")
            return super().list(api_version, kind, namespace, labels)

    assert NodeLedger(Denied()).sample() is None  # type: ignore[arg-type]
