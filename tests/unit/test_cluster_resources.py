"""Discovery maps apiVersion/kind to plural and scope, lazily, re-asking once for kinds it does not know."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_meshscale.cluster.base import ClusterError
from pytest_meshscale.cluster.resources import Discovery, Resource, group_version_path, parse_resource_list

CORE = {
    "kind": "APIResourceList",
    "groupVersion": "v1",
    "resources": [
        {"name": "pods", "kind": "Pod", "namespaced": True},
        {"name": "pods/proxy", "kind": "PodProxyOptions", "namespaced": True},
        {"name": "namespaces", "kind": "Namespace", "namespaced": False},
    ],
}
CILIUM = {"resources": [{"name": "ciliumnetworkpolicies", "kind": "CiliumNetworkPolicy", "namespaced": True}]}


def test_parse_skips_subresources() -> None:
    kinds = parse_resource_list("v1", CORE)
    assert kinds == {
        "Pod": Resource("v1", "Pod", "pods", True),
        "Namespace": Resource("v1", "Namespace", "namespaces", False),
    }


def test_paths_for_core_groups_namespaced_and_cluster_scoped() -> None:
    pod = Resource("v1", "Pod", "pods", True)
    assert group_version_path("apps/v1") == "/apis/apps/v1"
    assert pod.path("ns-1", "p:8080", "proxy") == "/api/v1/namespaces/ns-1/pods/p:8080/proxy"
    assert pod.path() == "/api/v1/pods"  # all namespaces
    ns = Resource("v1", "Namespace", "namespaces", False)
    assert ns.path("ignored", "ns-1") == "/api/v1/namespaces/ns-1"
    cnp = Resource("cilium.io/v2", "CiliumNetworkPolicy", "ciliumnetworkpolicies", True)
    assert cnp.path("a b") == "/apis/cilium.io/v2/namespaces/a%20b/ciliumnetworkpolicies"


def test_discovery_is_lazy_cached_and_refreshes_for_new_kinds() -> None:
    served: dict[str, Any] = {"/api/v1": CORE}
    asked: list[str] = []

    def fetch(path: str) -> Any:
        asked.append(path)
        return served.get(path)

    disco = Discovery(fetch)
    assert disco.resource("v1", "Pod").plural == "pods"
    assert disco.resource("v1", "Namespace").namespaced is False
    assert asked == ["/api/v1"]
    with pytest.raises(
        ClusterError, match="kind CiliumNetworkPolicy in apiVersion cilium.io/v2 is not served"
    ):
        disco.resource("cilium.io/v2", "CiliumNetworkPolicy")
    served["/apis/cilium.io/v2"] = CILIUM  # the CRD got installed
    assert disco.resource("cilium.io/v2", "CiliumNetworkPolicy").plural == "ciliumnetworkpolicies"
    assert asked.count("/apis/cilium.io/v2") == 2
