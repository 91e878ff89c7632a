"""A tiny seed-shaped world in the sim's real Store, shared by the data-plane, image and perf tests.

Other test modules import `seed_world` from here (tests/unit is on sys.path under pytest's default
import mode); the tests at the bottom check the topology lookups themselves.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_meshscale.sim.dataplane import DataPlane, Topology
from pytest_meshscale.sim.faults import Faults
from pytest_meshscale.sim.meshes import MESHES
from pytest_meshscale.sim.store import Store

AMBIENT = {"istio.io/dataplane-mode": "ambient"}


class World:
    def __init__(self) -> None:
        self.store = Store()
        self._ip = 10

    def ns(self, name: str, **labels: str) -> None:
        self.store.create("namespaces", {"metadata": {"name": name, "labels": dict(labels)}})

    def node(self, name: str, ip: str, wg: bool = True) -> None:
        self.store.create(
            "nodes", {"metadata": {"name": name}, "status": {"addresses": [{"type": "InternalIP", "address": ip}]}}
        )
        ann = {"network.cilium.io/wg-pub-key": f"key-{name}"} if wg else {}
        self.store.create("ciliumnodes.cilium.io", {"metadata": {"name": name, "annotations": ann}})

    def pod(
        self,
        ns: str,
        name: str,
        node: str,
        labels: dict[str, str],
        image: str = "fortio/fortio:latest",
        port: int = 8080,
        sa: str = "default",
        container: str = "main",
    ) -> dict[str, Any]:
        self._ip += 1
        return self.store.create(
            "pods",
            {
                "metadata": {"name": name, "namespace": ns, "labels": labels},
                "spec": {
                    "nodeName": node,
                    "serviceAccountName": sa,
                    "containers": [{"name": container, "image": image, "ports": [{"containerPort": port}]}],
                },
                "status": {
                    "phase": "Running",
                    "podIP": f"10.244.0.{self._ip}",
                    "conditions": [{"type": "Ready", "status": "True"}],
                },
            },
        )

    def svc(self, ns: str, name: str, selector: dict[str, str], port: int = 8080, **labels: str) -> None:
        self.store.create(
            "services",
            {
                "metadata": {"name": name, "namespace": ns, "labels": dict(labels)},
                "spec": {
                    "selector": selector,
                    "clusterIP": f"10.96.0.{self._ip}",
                    "ports": [{"name": "http-web", "port": port, "targetPort": port}],
                },
            },
        )

    def add(self, resource: str, obj: dict[str, Any]) -> dict[str, Any]:
        return self.store.create(resource, obj)

    def gateway(self, ns: str, name: str = "waypoint", programmed: bool = True) -> None:
        cond = {"type": "Programmed", "status": "True" if programmed else "False"}
        self.add(
            "gateways.gateway.networking.k8s.io",
            {
                "metadata": {"name": name, "namespace": ns},
                "spec": {
                    "gatewayClassName": "istio-waypoint",
                    "listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE"}],
                },
                "status": {"conditions": [cond]},
            },
        )
        self.pod(
            ns,
            f"{name}-abc",
            "server-1",
            {"gateway.networking.k8s.io/gateway-name": name},
            image="docker.io/istio/proxyv2:1.24.0",
            port=15008,
            sa=name,
            container="istio-proxy",
        )


def seed_world(ns_labels: dict[str, str] | None = None) -> tuple[World, dict[str, Any], dict[str, Any]]:
    """ns-001 (+ ns-002) with a fortio client on the client node and two load pods on two server nodes."""
    w = World()
    for name, ip in (("client-1", "192.168.0.10"), ("server-1", "192.168.0.11"), ("server-2", "192.168.0.12")):
        w.node(name, ip)
    for ns in ("ns-001", "ns-002"):
        w.ns(ns, **(ns_labels or {}))
    client = w.pod("ns-001", "fortio-client", "client-1", {"app": "fortio-client"})
    w.pod("ns-001", "loadservice-a", "server-1", {"app": "loadservice"}, "gcr.io/istio-testing/isotope:0.0.3")
    w.pod("ns-001", "loadservice-b", "server-2", {"app": "loadservice"}, "gcr.io/istio-testing/isotope:0.0.3")
    w.svc("ns-001", "loadservice", {"app": "loadservice"})
    other = w.pod("ns-002", "fortio-client", "client-1", {"app": "fortio-client"})
    return w, client, other


def plane(w: World, mesh: str, **faults: bool) -> DataPlane:
    return DataPlane(w.store, mesh, Faults(**faults))  # type: ignore[arg-type]


@pytest.mark.parametrize("host", ["loadservice", "loadservice.ns-001", "loadservice.ns-001.svc.cluster.local"])
def test_service_names_resolve_in_the_source_namespace(host: str) -> None:
    w, client, _ = seed_world()
    found = Topology(w.store).resolve(host, "ns-001")
    assert found.service is not None and len(found.pods) == 2


def test_short_name_from_another_namespace_does_not_resolve() -> None:
    w, _, _ = seed_world()
    assert Topology(w.store).resolve("loadservice", "ns-002").error == "lookup loadservice: no such host"


def test_pod_ip_index_follows_the_store() -> None:
    w, client, _ = seed_world()
    topo = Topology(w.store)
    ip = client["status"]["podIP"]
    assert topo.resolve(ip, "x").pods[0]["metadata"]["name"] == "fortio-client"
    w.store.delete("pods", "ns-001", "fortio-client")
    assert topo.pod_by_ip(ip) is None


def test_unknown_mesh_is_refused_with_the_accepted_names() -> None:
    w, _, _ = seed_world()
    with pytest.raises(ValueError, match=f"accepted: {', '.join(MESHES)}$"):  # the registry's order
        DataPlane(w.store, "nomesh")
