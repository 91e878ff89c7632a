"""Intent -> Istio ambient: enrolment, waypoints, one from AND to rule, targetRefs for L7, STRICT mTLS."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_meshscale.data.policies import load_policy_case, policy_names
from pytest_meshscale.meshes.istio_ambient.render import render_istio, render_strict_mtls
from pytest_meshscale.meshes.lint import lint
from pytest_meshscale.model import Allow, Intent, L7Rule, PathMatch, Peer, Target, Unsupported
from pytest_meshscale.model.fleet_names import proxy_access

NAMESPACES = ["ns-001", "ns-002", "ns-003"]
RUN = {"meshscale.io/run": "r1"}


def _render(name: str) -> list[dict[str, Any]]:
    return render_istio(load_policy_case(name, NAMESPACES).intents, RUN, proxy_access=proxy_access())


def _kinds(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {
        f"{o['metadata'].get('namespace', '')}/{o['metadata']['name']}": o
        for o in objects
        if o["kind"] == kind
    }


def test_seed_l7_waypoint_per_namespace_and_paths_in_the_waypoint_policy() -> None:
    objects = _render("seed-l7")
    namespaces = _kinds(objects, "Namespace")
    assert {o["metadata"]["labels"]["istio.io/use-waypoint"] for o in namespaces.values()} == {"waypoint"}
    assert all(o["metadata"]["labels"]["istio.io/dataplane-mode"] == "ambient" for o in namespaces.values())
    gateway = _kinds(objects, "Gateway")["ns-001/waypoint"]
    assert gateway["spec"] == {
        "gatewayClassName": "istio-waypoint",
        "listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE"}],
    }
    policies = _kinds(objects, "AuthorizationPolicy")
    assert len(policies) == 2 * len(NAMESPACES)
    l7 = policies["ns-001/seed-l7-waypoint"]["spec"]
    assert l7["targetRefs"] == [{"group": "", "kind": "Service", "name": "loadservice"}]
    assert l7["rules"] == [
        {
            "from": [{"source": {"principals": ["cluster.local/ns/ns-001/sa/fortio-client"]}}],
            "to": [{"operation": {"ports": ["8080"], "methods": ["GET"], "paths": ["/"]}}],
        }
    ]


def test_behind_a_waypoint_the_ztunnel_policy_admits_the_waypoint_identity_only() -> None:
    l4 = _kinds(_render("seed-l7"), "AuthorizationPolicy")["ns-002/seed-l7"]["spec"]
    assert l4["selector"] == {"matchLabels": {"app": "loadservice"}}
    assert "targetRefs" not in l4
    assert l4["rules"] == [
        {
            "from": [{"source": {"principals": ["cluster.local/ns/ns-002/sa/waypoint"]}}],
            "to": [{"operation": {"ports": ["8080"]}}],
        }
    ]


def test_l4_only_intent_is_one_rule_with_from_and_to_and_no_waypoint() -> None:
    objects = _render("l4-namespace")
    assert not _kinds(objects, "Gateway")
    assert all(
        "istio.io/use-waypoint" not in o["metadata"]["labels"] for o in _kinds(objects, "Namespace").values()
    )
    spec = _kinds(objects, "AuthorizationPolicy")["ns-003/l4-namespace"]["spec"]
    assert spec == {
        "selector": {"matchLabels": {"app": "loadservice"}},
        "action": "ALLOW",
        "rules": [
            {
                "from": [{"source": {"principals": ["cluster.local/ns/ns-003/sa/fortio-client"]}}],
                "to": [{"operation": {"ports": ["8080"]}}],
            }
        ],
    }


def test_default_deny_is_an_allow_policy_without_rules() -> None:
    (policy,) = _kinds(_render("default-deny"), "AuthorizationPolicy").values()
    assert policy["spec"] == {"selector": {"matchLabels": {"app": "loadservice"}}, "action": "ALLOW"}


def test_cross_namespace_l4_rule_is_enforced_at_the_waypoint_and_directly() -> None:
    policies = _kinds(_render("cross-namespace"), "AuthorizationPolicy")
    direct = policies["ns-001/cross-namespace"]["spec"]["rules"]
    assert [r["from"][0]["source"]["principals"][0] for r in direct] == [
        "cluster.local/ns/ns-002/sa/fortio-client",
        "cluster.local/ns/ns-001/sa/waypoint",
    ]
    waypoint = policies["ns-001/cross-namespace-waypoint"]["spec"]["rules"]
    assert [r["to"][0]["operation"] for r in waypoint] == [
        {"ports": ["8080"]},
        {"ports": ["8080"], "methods": ["GET"], "paths": ["/api/*"]},
    ]


def test_enrolment_covers_peer_namespaces_and_the_fleet() -> None:
    intents = load_policy_case("l7-method-path", NAMESPACES).intents
    names = [
        o["metadata"]["name"]
        for o in render_istio(intents, RUN, enroll=NAMESPACES)
        if o["kind"] == "Namespace"
    ]
    assert names == NAMESPACES


def _intent(
    peer: Peer,
    *,
    labels: dict[str, str] | None = None,
    service: str | None = "loadservice",
    default_deny: bool = True,
    http: L7Rule | None = None,
) -> Intent:
    target = Target(("ns-001",), {"app": "loadservice"} if labels is None else labels, service)
    return Intent("i", "d", target, (Allow((peer,), (8080,), http),), default_deny)


@pytest.mark.parametrize(
    ("intent", "reason"),
    [
        (_intent(Peer((), {"app": "fortio-client"})), "identified by service account, not pod labels"),
        (_intent(Peer(), service=None, http=L7Rule(("GET",), ())), "binds to a Service; give target.service"),
        (_intent(Peer(), default_deny=False), "default_deny: false"),
        (_intent(Peer(), labels={"app": "fortio-client"}), "selects the probe clients"),
    ],
)
def test_unsupported_intents_give_a_reason(intent: Intent, reason: str) -> None:
    with pytest.raises(Unsupported) as err:
        render_istio([intent], RUN, proxy_access=proxy_access())
    assert err.value.mesh == "istio"
    assert reason in err.value.reason


def test_any_namespace_peer() -> None:
    (ap,) = _kinds(
        render_istio([_intent(Peer(("*",), {}, "fortio-client"))], RUN), "AuthorizationPolicy"
    ).values()
    assert ap["spec"]["rules"][0]["from"] == [{"source": {"principals": ["*/sa/fortio-client"]}}]
    (anyone,) = _kinds(render_istio([_intent(Peer(("*",)))], RUN), "AuthorizationPolicy").values()
    assert anyone["spec"]["rules"] == [{"to": [{"operation": {"ports": ["8080"]}}]}]


def test_strict_mtls_keeps_the_probe_port_permissive() -> None:
    objects = render_strict_mtls(["ns-001", "ns-002"], RUN, proxy_access=proxy_access())
    assert [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects] == [
        ("ns-001", "strict-mtls"),
        ("ns-001", "probe-port-permissive"),
        ("ns-002", "strict-mtls"),
        ("ns-002", "probe-port-permissive"),
    ]
    assert objects[0]["spec"] == {"mtls": {"mode": "STRICT"}}
    assert objects[1]["spec"] == {
        "selector": {"matchLabels": {"app": "fortio-client"}},
        "mtls": {"mode": "STRICT"},
        "portLevelMtls": {"8080": {"mode": "PERMISSIVE"}},
    }
    assert len(render_strict_mtls(["ns-001"], RUN)) == 1


def test_rendered_objects_are_lint_clean_and_labelled() -> None:
    for name in policy_names():
        objects = _render(name)
        assert lint(objects, load_policy_case(name, NAMESPACES).intents) == [], name
        assert all(o["metadata"]["labels"].items() >= RUN.items() for o in objects)


def test_path_constraints_survive_into_every_waypoint_policy() -> None:
    intent = _intent(Peer((), {}, "fortio-client"), http=L7Rule((), (PathMatch("/api/*"),)))
    policies = _kinds(render_istio([intent], RUN), "AuthorizationPolicy")
    assert policies["ns-001/i-waypoint"]["spec"]["rules"][0]["to"][0]["operation"] == {
        "ports": ["8080"],
        "paths": ["/api/*"],
    }
