"""The meshes' API-server clients as data: every shipped file parses, names a source for every client, watch
and write, and says what the issue asks (a cilium-agent per node with its watches, istiod cluster-wide, no
ztunnel client); bad files are one error naming the field."""

from __future__ import annotations

import pytest

from pytest_meshscale.data import data_path
from pytest_meshscale.data.api_clients import load_api_clients, load_crds
from pytest_meshscale.model.api_clients import parse_api_clients
from pytest_meshscale.model.errors import ModelError

SHIPPED = sorted(p.parent.name for p in data_path("meshes").glob("*/api-clients.yaml"))


def test_the_three_meshes_ship_their_clients() -> None:
    assert {"baseline", "cilium", "istio-ambient"} <= set(SHIPPED)


@pytest.mark.parametrize("mesh_file", SHIPPED)
def test_every_client_watch_and_write_names_its_source(mesh_file: str) -> None:
    clients = load_api_clients(mesh_file)
    assert clients.clients
    for c in clients.clients:
        assert c.source and all(w.source for w in c.watches) and all(w.source for w in c.writes), c.name
        assert all("{node}" not in w.field or c.per_node for w in c.watches), c.name


def test_cilium_is_an_agent_per_node_with_the_issue_s_watches_on_top_of_the_baseline() -> None:
    clients = {c.name: c for c in load_api_clients("cilium").clients}
    assert {"cilium-agent", "cilium-operator", "kube-proxy", "coredns"} == set(clients)
    agent = clients["cilium-agent"]
    assert agent.per_node and (agent.qps, agent.burst) == (10, 20)
    watched = {(w.resource, w.field) for w in agent.watches}
    assert {("ciliumnodes", ""), ("ciliumidentities", ""), ("ciliumendpointslices", ""), ("services", ""),
            ("endpointslices", ""), ("namespaces", ""), ("pods", "spec.nodeName={node}"), ("networkpolicies", ""),
            ("ciliumnetworkpolicies", ""), ("ciliumclusterwidenetworkpolicies", "")} <= watched
    assert {(w.when, w.verb, w.resource) for w in agent.writes} >= {("pod-running", "create", "ciliumendpoints"),
                                                                  ("pod-deleted", "delete", "ciliumendpoints")}
    assert {d["metadata"]["name"] for d in load_crds(load_api_clients("cilium"))} >= {
        "ciliumendpoints.cilium.io", "ciliumidentities.cilium.io", "ciliumendpointslices.cilium.io"}


def test_istio_ambient_has_istiod_cluster_wide_and_no_ztunnel_client() -> None:
    clients = {c.name: c for c in load_api_clients("istio-ambient").clients}
    assert not clients["ztunnel"].watches and not clients["ztunnel"].writes
    assert all(not w.field or "{node}" not in w.field for w in clients["istiod"].watches)
    assert not clients["istiod"].per_node and clients["istio-cni"].per_node


def test_a_bad_file_is_one_error_naming_the_field() -> None:
    good = {"name": "a", "per": "node", "qps": 5, "burst": 10, "source": "s", "watches": [], "writes": []}
    with pytest.raises(ModelError, match=r"clients\[0\] \(a\)\.writes\[0\]\.when: 'pod-born' is not one of"):
        parse_api_clients("m", {"clients": [{**good, "writes": [
            {"when": "pod-born", "verb": "create", "version": "v1", "resource": "x", "source": "s"}]}]}, "f")
    with pytest.raises(ModelError, match=r"clients\[0\] \(a\)\.qps: must be a number >= 0, got 'fast'"):
        parse_api_clients("m", {"clients": [{**good, "qps": "fast"}]}, "f")
    with pytest.raises(ModelError, match=r"unknown keys \['client'\]"):
        parse_api_clients("m", {"client": []}, "f")
    with pytest.raises(ModelError, match="has no api-clients.yaml"):
        load_api_clients("no-such-mesh")
