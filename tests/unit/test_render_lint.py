"""meshes.lint finds the seed's policy defects (manifests rebuilt from the seed chart) and gives a reason."""

from __future__ import annotations

import copy
from typing import Any

from pytest_meshscale.data.policies import load_policy_case
from pytest_meshscale.meshes.lint import Finding, lint

NS = "ns-001"
META = {"name": "tcp-policy", "namespace": NS}
# templates/server.yaml, istioL4: two separate rules (ORed).
SEED_ISTIO_L4: dict[str, Any] = {
    "apiVersion": "security.istio.io/v1",
    "kind": "AuthorizationPolicy",
    "metadata": META,
    "spec": {
        "selector": {"matchLabels": {"app": "loadservice"}},
        "action": "ALLOW",
        "rules": [
            {"from": [{"source": {"namespaces": [NS]}}]},
            {"to": [{"operation": {"ports": ["8080"]}}]},
        ],
    },
}
SEED_WAYPOINT: dict[str, Any] = {
    "apiVersion": "gateway.networking.k8s.io/v1",
    "kind": "Gateway",
    "metadata": {"name": "waypoint", "namespace": NS},
    "spec": {
        "gatewayClassName": "istio-waypoint",
        "listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE"}],
    },
}
# istioL7: bound to the waypoint, methods but no paths.
SEED_ISTIO_L7: dict[str, Any] = {
    "apiVersion": "security.istio.io/v1",
    "kind": "AuthorizationPolicy",
    "metadata": META,
    "spec": {
        "targetRefs": [{"name": "waypoint", "kind": "Gateway", "group": "gateway.networking.k8s.io"}],
        "action": "ALLOW",
        "rules": [
            {
                "from": [{"source": {"namespaces": [NS]}}],
                "to": [{"operation": {"ports": ["8080"], "methods": ["GET"]}}],
            }
        ],
    },
}
# ciliumL7 (selector app: service-graph as in the chart).
SEED_CILIUM_L7: dict[str, Any] = {
    "apiVersion": "cilium.io/v2",
    "kind": "CiliumNetworkPolicy",
    "metadata": {"name": "cilium-l7", "namespace": NS},
    "spec": {
        "endpointSelector": {"matchLabels": {"app": "service-graph"}},
        "ingress": [
            {
                "fromEndpoints": [{"matchLabels": {"app": "fortio-client"}}],
                "toPorts": [
                    {
                        "ports": [{"port": "8080", "protocol": "TCP"}],
                        "rules": {"http": [{"method": "GET", "path": "/"}]},
                    }
                ],
            }
        ],
    },
}
SEED_PROXYCONFIG: dict[str, Any] = {
    "kind": "ProxyConfig",
    "metadata": {"name": "my-proxyconfig", "namespace": "istio-system"},
    "spec": {"concurrency": 0},
}


def _codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def test_seed_tcp_policy_split_rules_allow_everyone() -> None:
    (finding,) = lint([SEED_ISTIO_L4])
    assert finding.code == "istio-split-from-to"
    assert finding.object == "AuthorizationPolicy ns-001/tcp-policy"
    assert "ORed" in finding.reason
    assert "ONE rule" in finding.reason


def test_seed_istio_l7_without_paths_against_the_intent_and_against_cilium() -> None:
    intents = load_policy_case("seed-l7", [NS, "ns-002"]).intents
    assert _codes(lint([SEED_WAYPOINT, SEED_ISTIO_L7], intents)) == ["istio-l7-missing-paths"]
    assert _codes(lint([SEED_WAYPOINT, SEED_ISTIO_L7, SEED_CILIUM_L7])) == ["istio-l7-missing-paths"]
    assert lint([SEED_WAYPOINT, SEED_ISTIO_L7]) == []  # nothing says paths were wanted


def test_seed_l4_and_l7_together_share_a_name() -> None:
    codes = _codes(lint([SEED_ISTIO_L4, SEED_WAYPOINT, SEED_ISTIO_L7]))
    assert codes.count("duplicate-name") == 1
    assert "istio-split-from-to" in codes


def test_seed_proxyconfig_has_no_api_version() -> None:
    (finding,) = lint([SEED_PROXYCONFIG])
    assert finding.code == "missing-api-version"
    assert finding.object == "ProxyConfig istio-system/my-proxyconfig"


def test_l7_attributes_on_a_selector_policy_fail_closed() -> None:
    bad = copy.deepcopy(SEED_ISTIO_L7)
    bad["spec"] = {
        "selector": {"matchLabels": {"app": "loadservice"}},
        **{k: v for k, v in bad["spec"].items() if k != "targetRefs"},
    }
    assert "istio-l7-on-ztunnel" in _codes(lint([bad]))


def test_cilium_l4_rule_beside_an_l7_rule_on_the_same_port() -> None:
    assert lint([SEED_CILIUM_L7]) == []
    bad = copy.deepcopy(SEED_CILIUM_L7)
    l4 = copy.deepcopy(bad["spec"]["ingress"][0])
    del l4["toPorts"][0]["rules"]
    bad["spec"]["ingress"].append(l4)
    (finding,) = lint([bad])
    assert finding.code == "cilium-l4-shadows-l7"
    assert "8080/TCP" in finding.reason
    other_peer = copy.deepcopy(bad)
    other_peer["spec"]["ingress"][1] = {"fromEntities": ["kube-apiserver"], "toPorts": l4["toPorts"]}
    assert lint([other_peer]) == []


def test_selector_policy_behind_a_waypoint_must_admit_the_waypoint() -> None:
    fixed = copy.deepcopy(SEED_ISTIO_L4)
    fixed["spec"]["rules"] = [
        {"from": [{"source": {"namespaces": [NS]}}], "to": [{"operation": {"ports": ["8080"]}}]}
    ]
    assert lint([fixed]) == []
    (finding,) = lint([fixed, SEED_WAYPOINT])
    assert finding.code == "istio-waypoint-identity"
