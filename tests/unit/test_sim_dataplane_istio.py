"""Istio ambient semantics in the data-plane model, including the seed's policy defects."""

from __future__ import annotations

from typing import Any

import pytest
from test_sim_dataplane_world import AMBIENT, World, plane, seed_world

from pytest_meshscale.sim.dataplane import Verdict
from pytest_meshscale.sim.meshes.istio_ambient.policy import ACCESS_DENIED_ISTIO, UPSTREAM_RESET_BODY

AP = "authorizationpolicies.security.istio.io"
PA = "peerauthentications.security.istio.io"
WAYPOINT_REF = [{"name": "waypoint", "kind": "Gateway", "group": "gateway.networking.k8s.io"}]


def ap(
    name: str,
    rules: list[dict[str, Any]],
    ns: str = "ns-001",
    action: str = "ALLOW",
    target: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"action": action, "rules": rules}
    spec.update({"targetRefs": target} if target else {"selector": {"matchLabels": {"app": "loadservice"}}})
    return {"metadata": {"name": name, "namespace": ns}, "spec": spec}


def ambient_world(waypoint: bool = False) -> tuple[World, dict[str, Any], dict[str, Any]]:
    w, client, other = seed_world(AMBIENT)
    if waypoint:
        w.gateway("ns-001")
        w.store.mutate(
            "namespaces",
            None,
            "ns-001",
            lambda o: o["metadata"]["labels"].update({"istio.io/use-waypoint": "waypoint"}),
        )
    return w, client, other


def test_seed_l4_policy_with_two_rules_allows_every_namespace() -> None:
    w, _, other = ambient_world()
    w.add(
        AP,
        ap(
            "tcp-policy",
            [{"from": [{"source": {"namespaces": ["ns-001"]}}]}, {"to": [{"operation": {"ports": ["8080"]}}]}],
        ),
    )
    assert plane(w, "istio-ambient").decide(other, "loadservice.ns-001", 8080).allowed


def test_l4_policy_with_one_rule_resets_other_namespaces() -> None:
    w, client, other = ambient_world()
    w.add(
        AP,
        ap(
            "tcp-policy",
            [{"from": [{"source": {"namespaces": ["ns-001"]}}], "to": [{"operation": {"ports": ["8080"]}}]}],
        ),
    )
    dp = plane(w, "istio-ambient")
    assert dp.decide(client, "loadservice", 8080).allowed
    out = dp.decide(other, "loadservice.ns-001", 8080)
    assert (out.verdict, out.how, out.by) == (Verdict.DENY_L4, "reset", "ztunnel (destination node)")


def seed_l7(paths: list[str] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"ports": ["8080"], "methods": ["GET"]}
    if paths:
        op["paths"] = paths
    return ap(
        "tcp-policy",
        [{"from": [{"source": {"namespaces": ["ns-001"]}}], "to": [{"operation": op}]}],
        target=WAYPOINT_REF,
    )


@pytest.mark.parametrize(
    ("paths", "method", "path", "allowed"),
    [
        (None, "GET", "/admin", True),  # the seed's L7 policy has no paths: any path passes
        (None, "POST", "/", False),
        (["/"], "GET", "/admin", False),
        (["/"], "GET", "/", True),
        (["/api/{*}"], "GET", "/api/x", True),
        (["/api/{*}"], "GET", "/api/x/y", False),
    ],
)
def test_waypoint_policy_sees_methods_and_paths(paths: list[str] | None, method: str, path: str, allowed: bool) -> None:
    w, client, _ = ambient_world(waypoint=True)
    w.add(AP, seed_l7(paths))
    out = plane(w, "istio-ambient").decide(client, "loadservice", 8080, method, path)
    assert out.allowed is allowed
    if not allowed:
        assert (out.verdict, out.status, out.body) == (Verdict.DENY_L7, 403, ACCESS_DENIED_ISTIO)
        assert out.by == "waypoint ns-001/waypoint"


def test_waypoint_policy_is_ignored_without_the_use_waypoint_label() -> None:
    w, client, _ = ambient_world()
    w.gateway("ns-001")
    w.add(AP, seed_l7(["/"]))
    assert plane(w, "istio-ambient").decide(client, "loadservice", 8080, "POST", "/x").allowed


def test_l7_bypass_fault_lets_the_waypoint_deny_through() -> None:
    w, client, _ = ambient_world(waypoint=True)
    w.add(AP, seed_l7(["/"]))
    assert plane(w, "istio-ambient", l7_bypass=True).decide(client, "loadservice", 8080, "POST", "/x").allowed


def test_ztunnel_policy_with_l7_attributes_fails_closed() -> None:
    w, client, _ = ambient_world()
    w.add(AP, ap("l7-on-ztunnel", [{"to": [{"operation": {"methods": ["GET"]}}]}]))
    out = plane(w, "istio-ambient").decide(client, "loadservice", 8080, "GET", "/")
    assert (out.verdict, out.how) == (Verdict.DENY_L4, "reset")


def test_destination_ztunnel_sees_the_waypoint_identity() -> None:
    w, client, _ = ambient_world(waypoint=True)
    w.add(AP, ap("only-client", [{"from": [{"source": {"principals": ["cluster.local/ns/ns-001/sa/default"]}}]}]))
    out = plane(w, "istio-ambient").decide(client, "loadservice", 8080)
    assert (out.verdict, out.status, out.body) == (Verdict.DENY_L4, 503, UPSTREAM_RESET_BODY)
    w.store.delete(AP, "ns-001", "only-client")
    w.add(AP, ap("waypoint-sa", [{"from": [{"source": {"principals": ["cluster.local/ns/ns-001/sa/waypoint"]}}]}]))
    assert plane(w, "istio-ambient").decide(client, "loadservice", 8080).allowed


def test_waypoint_that_is_not_programmed_breaks_the_connection() -> None:
    w, client, _ = seed_world(AMBIENT)
    w.gateway("ns-001", programmed=False)
    w.svc("ns-001", "labelled", {"app": "loadservice"}, **{"istio.io/use-waypoint": "waypoint"})
    out = plane(w, "istio-ambient").decide(client, "labelled", 8080)
    assert (out.how, out.reason) == ("reset", "waypoint ns-001/waypoint is not Programmed")


def test_deny_policy_comes_first() -> None:
    w, client, _ = ambient_world()
    w.add(AP, ap("allow-all", [{}]))
    w.add(AP, ap("deny-ns1", [{"from": [{"source": {"namespaces": ["ns-001"]}}]}], action="DENY"))
    assert not plane(w, "istio-ambient").decide(client, "loadservice", 8080).allowed


def test_uncaptured_destination_is_not_enforced() -> None:
    w, client, _ = seed_world()
    w.add(AP, ap("deny-all", []))  # ALLOW with no rules denies everything -- when enforced
    assert plane(w, "istio-ambient").decide(client, "loadservice", 8080).allowed
    w2, client2, _ = ambient_world()
    w2.add(AP, ap("deny-all", []))
    assert not plane(w2, "istio-ambient").decide(client2, "loadservice", 8080).allowed


def test_strict_mtls_rejects_the_api_server_proxy_unless_the_port_is_permissive() -> None:
    w, client, _ = ambient_world()
    dp = plane(w, "istio-ambient")
    assert dp.admits_apiserver_proxy(client, 8080)
    w.ns("istio-system")
    w.add(PA, {"metadata": {"name": "default", "namespace": "istio-system"}, "spec": {"mtls": {"mode": "STRICT"}}})
    assert not dp.admits_apiserver_proxy(client, 8080)
    assert dp.apiserver_proxy_outcome(client, 8080).how == "reset"
    w.add(
        PA,
        {
            "metadata": {"name": "client", "namespace": "ns-001"},
            "spec": {
                "selector": {"matchLabels": {"app": "fortio-client"}},
                "portLevelMtls": {"8080": {"mode": "PERMISSIVE"}},
            },
        },
    )
    assert dp.admits_apiserver_proxy(client, 8080)


def test_strict_mtls_rejects_a_source_outside_the_mesh() -> None:
    w, _, _ = ambient_world()
    w.ns("plain")
    outsider = w.pod("plain", "curl", "client-1", {"app": "curl"})
    w.add(PA, {"metadata": {"name": "strict", "namespace": "ns-001"}, "spec": {"mtls": {"mode": "STRICT"}}})
    out = plane(w, "istio-ambient").decide(outsider, "loadservice.ns-001", 8080)
    assert (out.verdict, out.how) == (Verdict.DENY_L4, "reset")
