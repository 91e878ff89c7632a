"""Intent -> CiliumNetworkPolicy: the seed's policy, namespace scoping, default deny, the API server rule."""

from __future__ import annotations

from typing import Any

from pytest_meshscale.data.policies import load_policy_case, policy_names
from pytest_meshscale.meshes.cilium.render import render_cilium
from pytest_meshscale.meshes.lint import lint
from pytest_meshscale.model import Allow, Intent, L7Rule, PathMatch, Peer, Target
from pytest_meshscale.model.fleet_names import proxy_access

NAMESPACES = ["ns-001", "ns-002", "ns-003"]
RUN = {"meshscale.io/run": "r1"}
CLIENTS = {"app": "fortio-client", "io.cilium.k8s.policy.serviceaccount": "fortio-client"}


def _render(name: str) -> list[dict[str, Any]]:
    case = load_policy_case(name, NAMESPACES)
    return render_cilium(case.intents, RUN, proxy_access=proxy_access())


def test_seed_l7_is_the_seeds_cilium_l7_with_identity_and_anchored_path() -> None:
    objects = _render("seed-l7")
    assert [o["metadata"]["namespace"] for o in objects] == NAMESPACES
    cnp = objects[0]
    assert (cnp["apiVersion"], cnp["kind"]) == ("cilium.io/v2", "CiliumNetworkPolicy")
    assert cnp["metadata"] == {"name": "seed-l7", "namespace": "ns-001", "labels": RUN}
    assert cnp["spec"]["endpointSelector"] == {"matchLabels": {"app": "loadservice"}}
    assert cnp["spec"]["ingress"] == [
        {
            "fromEndpoints": [{"matchLabels": CLIENTS}],
            "toPorts": [
                {
                    "ports": [{"port": "8080", "protocol": "TCP"}],
                    "rules": {"http": [{"method": "GET", "path": "/$"}]},
                }
            ],
        }
    ]


def test_default_deny_is_an_empty_ingress_rule() -> None:
    (cnp,) = _render("default-deny")
    assert cnp["spec"]["ingress"] == [{}]
    assert "enableDefaultDeny" not in cnp["spec"]


def test_cross_namespace_peers_name_the_namespace_label() -> None:
    (cnp,) = _render("cross-namespace")
    selectors = [r["fromEndpoints"][0] for r in cnp["spec"]["ingress"]]
    assert [s["matchLabels"]["k8s:io.kubernetes.pod.namespace"] for s in selectors] == ["ns-002", "ns-003"]
    assert cnp["spec"]["ingress"][1]["toPorts"][0]["rules"] == {
        "http": [{"method": "GET", "path": "/api/.*"}]
    }


def _intent(peer: Peer, labels: dict[str, str] | None = None, default_deny: bool = True) -> Intent:
    target = Target(("ns-001",), labels if labels is not None else {"app": "loadservice"}, "loadservice")
    return Intent("i", "d", target, (Allow((peer,), (8080,)),), default_deny)


def test_any_and_several_namespaces_use_expressions() -> None:
    (any_ns,) = render_cilium([_intent(Peer(("*",)))], RUN)
    assert any_ns["spec"]["ingress"][0]["fromEndpoints"] == [
        {"matchExpressions": [{"key": "k8s:io.kubernetes.pod.namespace", "operator": "Exists"}]}
    ]
    (several,) = render_cilium([_intent(Peer(("ns-002", "ns-003"), {"app": "x"}))], RUN)
    assert several["spec"]["ingress"][0]["fromEndpoints"] == [
        {
            "matchLabels": {"app": "x"},
            "matchExpressions": [
                {"key": "k8s:io.kubernetes.pod.namespace", "operator": "In", "values": ["ns-002", "ns-003"]}
            ],
        }
    ]


def test_api_server_rule_only_when_the_probe_clients_are_selected() -> None:
    on_clients = _intent(Peer(), labels={"app": "fortio-client"})
    (cnp,) = render_cilium([on_clients], RUN, proxy_access=proxy_access())
    assert cnp["spec"]["ingress"][-1] == {
        "fromEntities": ["kube-apiserver"],
        "toPorts": [{"ports": [{"port": "8080", "protocol": "TCP"}]}],
    }
    for obj in _render("l4-namespace"):
        assert all("fromEntities" not in r for r in obj["spec"]["ingress"])


def test_allow_only_intent_opts_out_of_default_deny() -> None:
    (cnp,) = render_cilium([_intent(Peer(), default_deny=False)], RUN)
    assert cnp["spec"]["enableDefaultDeny"] == {"ingress": False}


def test_an_http_rule_made_moot_by_an_l4_rule_is_not_rendered() -> None:
    peer = Peer((), {"app": "fortio-client"})
    rules = (Allow((peer,), (8080,), L7Rule(("GET",), (PathMatch("/"),))), Allow((peer,), (8080,)))
    (cnp,) = render_cilium([Intent("i", "d", Target(("ns-001",), {"app": "loadservice"}), rules)], RUN)
    assert len(cnp["spec"]["ingress"]) == 1
    assert "rules" not in cnp["spec"]["ingress"][0]["toPorts"][0]


def test_rendered_policies_are_lint_clean_and_labelled() -> None:
    for name in policy_names():
        objects = _render(name)
        assert lint(objects, load_policy_case(name, NAMESPACES).intents) == [], name
        assert all(o["metadata"]["labels"] == RUN for o in objects)
