"""Intent -> Kubernetes NetworkPolicy (no mesh): L4 only, and a reason for what it cannot say."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_meshscale.data.policies import load_policy_case
from pytest_meshscale.meshes.baseline.render import render_baseline
from pytest_meshscale.model import Allow, Intent, Peer, Target, Unsupported
from pytest_meshscale.model.fleet_names import proxy_access

NAMESPACES = ["ns-001", "ns-002", "ns-003"]
RUN = {"meshscale.io/run": "r1"}


def _render(name: str) -> list[dict[str, Any]]:
    return render_baseline(load_policy_case(name, NAMESPACES).intents, RUN, proxy_access=proxy_access())


def test_l4_namespace_is_one_networkpolicy_per_namespace() -> None:
    objects = _render("l4-namespace")
    assert [(o["kind"], o["metadata"]["namespace"]) for o in objects] == [
        ("NetworkPolicy", ns) for ns in NAMESPACES
    ]
    assert objects[0]["spec"] == {
        "podSelector": {"matchLabels": {"app": "loadservice"}},
        "policyTypes": ["Ingress"],
        "ingress": [
            {
                "from": [{"podSelector": {"matchLabels": {"app": "fortio-client"}}}],
                "ports": [{"protocol": "TCP", "port": 8080}],
            }
        ],
    }
    assert all(o["metadata"]["labels"] == RUN for o in objects)


def test_default_deny_and_cross_namespace_peers() -> None:
    (deny,) = _render("default-deny")
    assert deny["spec"]["ingress"] == []
    (port,) = _render("l4-port")
    assert port["spec"]["ingress"][1]["from"] == [
        {
            "podSelector": {"matchLabels": {"app": "fortio-client"}},
            "namespaceSelector": {
                "matchExpressions": [
                    {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["ns-002"]}
                ]
            },
        }
    ]
    target = Target(("ns-001",), {"app": "loadservice"})
    (anyone,) = render_baseline([Intent("i", "d", target, (Allow((Peer(("*",)),), (8080,)),))], RUN)
    assert anyone["spec"]["ingress"][0]["from"] == [
        {"podSelector": {"matchLabels": {}}, "namespaceSelector": {}}
    ]


@pytest.mark.parametrize("name", ["seed-l7", "l7-method-path", "cross-namespace"])
def test_l7_intents_are_unsupported_with_the_skip_reason(name: str) -> None:
    with pytest.raises(Unsupported) as err:
        _render(name)
    assert err.value.reason.startswith("baseline has no L7 policy: intent ")


def test_service_account_only_peer_is_unsupported() -> None:
    target = Target(("ns-001",), {"app": "loadservice"})
    intent = Intent("i", "d", target, (Allow((Peer((), {}, "fortio-client"),), (8080,)),))
    with pytest.raises(Unsupported, match="only by service account"):
        render_baseline([intent], RUN)
