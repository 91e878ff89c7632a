"""A client and a server pod on different nodes, the pair every encryption check looks at."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pytest_meshscale.scenario.encryption import server_pods
from pytest_meshscale.scenario.load import ClientPod


@dataclass(frozen=True)
class CrossNodePair:
    client: ClientPod
    client_ip: str
    server: dict
    server_ip: str
    server_node_ip: str


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
