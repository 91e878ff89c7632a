"""Cilium semantics in the data-plane model: each row is (policies, request) -> verdict, from the docs."""

from __future__ import annotations

from typing import Any

import pytest
from test_sim_dataplane_world import plane, seed_world

from pytest_meshscale.sim.dataplane import Verdict
from pytest_meshscale.sim.meshes.cilium.policy import ACCESS_DENIED_CILIUM

CNP, CCNP = "ciliumnetworkpolicies.cilium.io", "ciliumclusterwidenetworkpolicies.cilium.io"


def cnp(
    name: str, ingress: list[dict[str, Any]], ns: str = "ns-001", sel: str = "loadservice", section: str = "ingress"
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": ns},
        "spec": {"endpointSelector": {"matchLabels": {"app": sel}}, section: ingress},
    }


def seed_l7(path: str = "/") -> dict[str, Any]:
    """The seed's `cilium-l7` CNP (templates/server.yaml)."""
    return cnp(
        "cilium-l7",
        [
            {
                "fromEndpoints": [{"matchLabels": {"app": "fortio-client"}}],
                "toPorts": [
                    {
                        "ports": [{"port": "8080", "protocol": "TCP"}],
                        "rules": {"http": [{"method": "GET", "path": path}]},
                    }
                ],
            }
        ],
    )


def l4_rule(name: str = "cilium-l4") -> dict[str, Any]:
    return cnp(
        name,
        [
            {
                "fromEndpoints": [{"matchLabels": {"app": "fortio-client"}}],
                "toPorts": [{"ports": [{"port": "8080", "protocol": "TCP"}]}],
            }
        ],
    )


def test_no_policy_allows() -> None:
    w, client, _ = seed_world()
    assert plane(w, "cilium").decide(client, "loadservice", 8080).verdict is Verdict.ALLOW


@pytest.mark.parametrize(
    ("method", "path", "verdict"),
    [
        ("GET", "/", Verdict.ALLOW),
        ("GET", "/admin", Verdict.DENY_L7),
        ("POST", "/", Verdict.DENY_L7),
        ("GET", "//", Verdict.DENY_L7),  # the regex must match the whole path
    ],
)
def test_seed_l7_policy_filters_by_method_and_path(method: str, path: str, verdict: Verdict) -> None:
    w, client, _ = seed_world()
    w.add(CNP, seed_l7())
    out = plane(w, "cilium").decide(client, "loadservice", 8080, method, path)
    assert out.verdict is verdict
    if verdict is Verdict.DENY_L7:
        assert (out.status, out.body, out.by) == (403, ACCESS_DENIED_CILIUM, "cilium-envoy (L7 policy)")


def test_path_is_an_anchored_regex() -> None:
    w, client, _ = seed_world()
    w.add(CNP, seed_l7("/v1/.*"))
    dp = plane(w, "cilium")
    assert dp.decide(client, "loadservice", 8080, "GET", "/v1/items").allowed
    assert not dp.decide(client, "loadservice", 8080, "GET", "/v2/v1/x").allowed


def test_other_namespace_is_dropped_by_the_implicit_namespace_scope() -> None:
    w, _, other = seed_world()
    w.add(CNP, seed_l7())
    out = plane(w, "cilium").decide(other, "loadservice.ns-001", 8080)
    assert (out.verdict, out.how) == (Verdict.DENY_L4, "timeout")


def test_explicit_namespace_label_crosses_namespaces() -> None:
    w, _, other = seed_world()
    sel = {"matchLabels": {"app": "fortio-client", "k8s:io.kubernetes.pod.namespace": "ns-002"}}
    w.add(CNP, cnp("cross", [{"fromEndpoints": [sel]}]))
    assert plane(w, "cilium").decide(other, "loadservice.ns-001", 8080).allowed


def test_l4_only_rule_on_the_same_port_overrides_the_l7_rule() -> None:
    w, client, _ = seed_world()
    w.add(CNP, seed_l7())
    dp = plane(w, "cilium")
    assert dp.decide(client, "loadservice", 8080, "GET", "/admin").verdict is Verdict.DENY_L7
    w.add(CNP, l4_rule())
    assert dp.decide(client, "loadservice", 8080, "GET", "/admin").allowed


def test_l7_bypass_fault_allows_what_the_http_rule_denies() -> None:
    w, client, _ = seed_world()
    w.add(CNP, seed_l7())
    assert plane(w, "cilium", l7_bypass=True).decide(client, "loadservice", 8080, "GET", "/admin").allowed


def test_ingress_deny_wins_over_allow() -> None:
    w, client, _ = seed_world()
    w.add(CNP, l4_rule())
    w.add(CNP, cnp("deny", [{"fromEndpoints": [{"matchLabels": {"app": "fortio-client"}}]}], section="ingressDeny"))
    out = plane(w, "cilium").decide(client, "loadservice", 8080)
    assert (out.verdict, out.how) == (Verdict.DENY_L4, "timeout") and "POLICY_DENY " in out.reason


def test_namespace_labels_select_through_the_cilium_prefix() -> None:
    w, _, other = seed_world()
    w.store.mutate(
        "namespaces", None, "ns-002", lambda o: o["metadata"].setdefault("labels", {}).update({"policy-group": "1"})
    )
    sel = {"matchLabels": {"k8s:io.cilium.k8s.namespace.labels.policy-group": "1"}}
    w.add(
        CCNP,
        {
            "metadata": {"name": "groups"},
            "spec": {
                "endpointSelector": {"matchLabels": {"app": "loadservice"}},
                "ingress": [{"fromEndpoints": [sel]}],
            },
        },
    )
    assert plane(w, "cilium").decide(other, "loadservice.ns-001", 8080).allowed


def test_seed_commander_policy_blocks_the_api_server_proxy_until_kube_apiserver_is_allowed() -> None:
    w, client, _ = seed_world()
    ingress: list[dict[str, Any]] = [
        {
            "fromEndpoints": [{"matchLabels": {"app": "fortio-commander"}}],
            "toPorts": [{"ports": [{"port": "8080", "protocol": "TCP"}]}],
        }
    ]
    w.add(
        CCNP,
        {
            "metadata": {"name": "cilium-namespaces"},
            "spec": {"endpointSelector": {"matchLabels": {"app": "fortio-client"}}, "ingress": ingress},
        },
    )
    dp = plane(w, "cilium")
    assert not dp.admits_apiserver_proxy(client, 8080)
    ingress.append({"fromEntities": ["kube-apiserver"]})
    w.store.mutate(CCNP, None, "cilium-namespaces", lambda o: o["spec"].update(ingress=ingress))
    assert dp.admits_apiserver_proxy(client, 8080)


@pytest.mark.parametrize(("entity", "admitted"), [("cluster", True), ("all", True), ("world", False)])
def test_entities_that_cover_the_api_server(entity: str, admitted: bool) -> None:
    w, client, _ = seed_world()
    w.add(CNP, cnp("e", [{"fromEntities": [entity]}], sel="fortio-client"))
    assert plane(w, "cilium").admits_apiserver_proxy(client, 8080) is admitted


def test_kubernetes_networkpolicy_is_enforced_by_cilium() -> None:
    w, client, other = seed_world()
    w.add(
        "networkpolicies.networking.k8s.io",
        {
            "metadata": {"name": "np", "namespace": "ns-001"},
            "spec": {
                "podSelector": {"matchLabels": {"app": "loadservice"}},
                "ingress": [
                    {"from": [{"podSelector": {"matchLabels": {"app": "fortio-client"}}}], "ports": [{"port": 8080}]}
                ],
            },
        },
    )
    dp = plane(w, "cilium")
    assert dp.decide(client, "loadservice", 8080).allowed
    assert dp.decide(other, "loadservice.ns-001", 8080).how == "timeout"


def test_nothing_listening_is_refused() -> None:
    w, client, _ = seed_world()
    ip = w.store.get("pods", "ns-001", "loadservice-a")["status"]["podIP"]
    out = plane(w, "cilium").decide(client, ip, 9090)
    assert (out.verdict, out.how) == (Verdict.DENY_L4, "refused")


def test_empty_rule_is_an_explicit_default_deny_and_a_port_only_rule_admits_any_source() -> None:
    w, client, other = seed_world()
    w.add(CNP, cnp("deny", [{}]))
    dp = plane(w, "cilium")
    assert dp.decide(client, "loadservice", 8080).how == "timeout"
    w.add(CNP, cnp("port-only", [{"toPorts": [{"ports": [{"port": "8080", "protocol": "TCP"}]}]}]))
    assert dp.decide(other, "loadservice.ns-001", 8080).allowed
