"""Nodes from the profiles: counts, names, labels, taints, capacity, unique addresses."""

from __future__ import annotations

import pytest
from test_sim_controllers_world import profile

from pytest_meshscale.sim.controllers import node_objects
from pytest_meshscale.sim.controllers.eligibility import eligible


def test_smoke_nodes_have_pool_labels_taints_and_capacity() -> None:
    nodes = node_objects(profile("smoke"))
    assert len(nodes) == 4
    clients = [n for n in nodes if n["metadata"]["labels"]["meshscale.io/pool"] == "client"]
    assert len(clients) == 1
    assert clients[0]["spec"]["taints"] == [{"key": "client", "value": "true", "effect": "NoSchedule"}]
    server = next(n for n in nodes if n not in clients)
    labels = server["metadata"]["labels"]
    assert labels["kubernetes.io/hostname"] == server["metadata"]["name"]
    assert labels["node.kubernetes.io/instance-type"] == "Standard_D8ds_v5"
    assert (labels["size"], labels["group"]) == ("small", "1")
    assert "taints" not in server["spec"]
    assert server["status"]["capacity"] == {"cpu": "8", "memory": f"{32 * 1024 * 1024}Ki", "pods": "250"}
    assert any(c["type"] == "Ready" and c["status"] == "True" for c in server["status"]["conditions"])


def test_full_profile_has_1000_distinct_nodes_named_like_aks() -> None:
    nodes = node_objects(profile("full"))
    assert len(nodes) == 1000
    names = [n["metadata"]["name"] for n in nodes]
    ips = [n["status"]["addresses"][0]["address"] for n in nodes]
    cidrs = [n["spec"]["podCIDR"] for n in nodes]
    assert len(set(names)) == len(set(ips)) == len(set(cidrs)) == 1000
    assert sum(name.startswith("aks-clientpool-") for name in names) == 100
    assert sum("taints" in n["spec"] for n in nodes) == 100
    assert all(ip.startswith("10.224.") for ip in ips)


def test_node_objects_are_deterministic_per_seed() -> None:
    names = lambda seed: [n["metadata"]["name"] for n in node_objects(profile("smoke"), seed)]  # noqa: E731
    assert names(1) == names(1)
    assert names(1) != names(2)


NODE = {
    "metadata": {"name": "n1", "labels": {"size": "large", "zone": "2"}},
    "spec": {"taints": [{"key": "client", "value": "true", "effect": "NoSchedule"}]},
}
TOLERATE = [{"key": "client", "operator": "Exists", "effect": "NoSchedule"}]


def _affinity(op: str, values: list[str]) -> dict[str, object]:
    expr = {"key": "zone", "operator": op, "values": values}
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [expr]}]}
        }
    }


@pytest.mark.parametrize(
    ("spec", "ok"),
    [
        ({}, False),  # untolerated taint
        ({"tolerations": TOLERATE}, True),
        ({"tolerations": [{"operator": "Exists"}]}, True),
        ({"tolerations": [{"key": "client", "value": "false", "effect": "NoSchedule"}]}, False),
        ({"tolerations": TOLERATE, "nodeSelector": {"size": "small"}}, False),
        ({"tolerations": TOLERATE, "affinity": _affinity("In", ["1", "2"])}, True),
        ({"tolerations": TOLERATE, "affinity": _affinity("In", ["1"])}, False),
        ({"tolerations": TOLERATE, "affinity": _affinity("NotIn", ["2"])}, False),
    ],
)
def test_eligibility_follows_scheduler_rules(spec: dict[str, object], ok: bool) -> None:
    assert eligible(spec, NODE) is ok
