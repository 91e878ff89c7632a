"""A client and a server pod on different nodes, the pair every encryption check looks at, and the two
captures on the wire between them (the app port in plaintext, and the mesh's encrypted channel)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from pytest_meshscale.meshes.base import EncryptionFacts
from pytest_meshscale.report import attach_manifests
from pytest_meshscale.scenario.encryption import Capture, capture_during_traffic, server_pods
from pytest_meshscale.scenario.load import ClientPod
from pytest_meshscale.scenario.workloads import SERVER_PORT


@dataclass(frozen=True)
class CrossNodePair:
    client: ClientPod
    client_ip: str
    server: dict
    server_ip: str
    server_node_ip: str


@dataclass(frozen=True)
class WireCaptures:
    plain: Capture  # the app port between the two pod IPs: must stay empty
    control: Capture  # the encrypted channel the driver names: must not, or the capture is blind


def _node_ip(cluster, node: str) -> str:
    addresses = (cluster.get("v1", "Node", node) or {}).get("status", {}).get("addresses", [])
    return next((a["address"] for a in addresses if a["type"] == "InternalIP"), "")


@pytest.fixture
def cross_node_pair(cluster, fleet) -> CrossNodePair:
    ns = fleet.namespaces[0]
    client = next(c for c in fleet.clients(cluster) if c.namespace == ns)
    client_pod = cluster.get("v1", "Pod", client.name, ns)
    servers = [s for s in server_pods(cluster, ns) if s["spec"]["nodeName"] != client_pod["spec"]["nodeName"]]
    if not servers:
        pytest.fail(f"no server pod in {ns} on another node than the client: the check would prove nothing")
    server = servers[0]
    return CrossNodePair(
        client, client_pod["status"]["podIP"], server, server["status"]["podIP"],
        _node_ip(cluster, server["spec"]["nodeName"]),
    )  # fmt: skip


@pytest.fixture
def wire(cluster, cross_node_pair) -> Callable[[EncryptionFacts], WireCaptures]:
    """Two captures at once on the server's node while the client sends requests, both attached to the report."""

    def capture(facts: EncryptionFacts) -> WireCaptures:
        pair = cross_node_pair
        plaintext_filter = facts.plaintext_filter(pair.client_ip, pair.server_ip, SERVER_PORT)
        encrypted_filter = facts.capture_filter(pair.client_ip, pair.server_ip, pair.server_node_ip, SERVER_PORT)
        plain, control = capture_during_traffic(cluster, pair.client, pair.server, (plaintext_filter, encrypted_filter))
        attach_manifests({"captures": f"# plaintext filter\n{plain.log}\n# encrypted-channel control\n{control.log}"})
        return WireCaptures(plain, control)

    return capture
