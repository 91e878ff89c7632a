"""Linkerd's renderer: every object of every shipped policy case (and STRICT mTLS) validates against the upstream
CRD schemas of Linkerd 2.20, and the objects say what the intent says (L4 -> opaque Server, HTTP -> HTTP/1 Server
with routes whose authorizations cover every request they match, a catch-all route answering 403)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft7Validator

from pytest_meshscale.data.policies import load_policy_case, policy_names
from pytest_meshscale.meshes.linkerd.driver import LinkerdDriver
from pytest_meshscale.meshes.linkerd.render import identity, render_linkerd, render_strict_mtls
from pytest_meshscale.model import Allow, Intent, L7Rule, PathMatch, Peer, Target, Unsupported
from pytest_meshscale.model.fleet_names import proxy_access
from tests.unit.test_policy_schemas import SCHEMAS, needs_schemas

NAMESPACES = ["ns-001", "ns-002", "ns-003"]
RUN = {"meshscale.io/run": "r1"}
SCHEMA_FILES = {
    ("policy.linkerd.io/v1beta3", "Server"): "server_v1beta3.json",
    ("policy.linkerd.io/v1alpha1", "AuthorizationPolicy"): "authorizationpolicy_v1alpha1.json",
    ("policy.linkerd.io/v1alpha1", "MeshTLSAuthentication"): "meshtlsauthentication_v1alpha1.json",
    ("policy.linkerd.io/v1beta3", "HTTPRoute"): "httproute_v1beta3.json",
}


def _rendered() -> list[tuple[str, dict[str, Any]]]:
    driver, out = LinkerdDriver(), []
    for name in policy_names():
        out += [(name, o) for o in driver.render(load_policy_case(name, NAMESPACES).intents, NAMESPACES, RUN)]
    out += [("strict-mtls", o) for o in driver.strict_mtls(NAMESPACES, RUN, proxy_access())]
    return [(f"{src}/{o['kind']}/{o['metadata']['namespace']}/{o['metadata']['name']}", o) for src, o in out]


RENDERED = _rendered()


@cache
def _validator(key: tuple[str, str]) -> Draft7Validator:
    return Draft7Validator(json.loads((SCHEMAS / "policy.linkerd.io" / SCHEMA_FILES[key]).read_text()))


def test_every_linkerd_kind_is_rendered_and_only_those() -> None:
    kinds = {(o["apiVersion"], o["kind"]) for _, o in RENDERED}
    assert kinds == set(SCHEMA_FILES) == set(LinkerdDriver.policy_kinds)


@needs_schemas
@pytest.mark.parametrize("obj", [o for _, o in RENDERED], ids=[i for i, _ in RENDERED])
def test_rendered_object_validates_against_the_upstream_schema(obj: dict[str, Any]) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
              for e in _validator((obj["apiVersion"], obj["kind"])).iter_errors(obj)]
    assert errors == []


@needs_schemas
@pytest.mark.parametrize("obj", [
    {"apiVersion": "policy.linkerd.io/v1beta3", "kind": "Server", "metadata": {"name": "x"},
     "spec": {"podSelector": {}}},  # no port
    {"apiVersion": "policy.linkerd.io/v1alpha1", "kind": "AuthorizationPolicy", "metadata": {"name": "x"},
     "spec": {"targetRef": {"kind": "Server", "name": "s"}}},  # no requiredAuthenticationRefs
    {"apiVersion": "policy.linkerd.io/v1beta3", "kind": "HTTPRoute", "metadata": {"name": "x"},
     "spec": {"rules": [{"matches": [{"path": {"type": "Prefix", "value": "/"}}]}]}},  # not a path type
], ids=["server-no-port", "authz-no-authentication", "route-bad-path-type"])
def test_the_schemas_reject_a_broken_object(obj: dict[str, Any]) -> None:
    assert list(_validator((obj["apiVersion"], obj["kind"])).iter_errors(obj))


def _by(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def _case(name: str) -> list[dict[str, Any]]:
    return LinkerdDriver().render(load_policy_case(name, NAMESPACES).intents, NAMESPACES, RUN)


def test_an_l4_intent_is_an_opaque_server_with_one_authorization_per_port() -> None:
    objects = _case("l4-port")
    servers = _by(objects, "Server")
    assert {n: (s["spec"]["port"], s["spec"]["proxyProtocol"]) for n, s in servers.items()} == {
        "l4-port-8080": (8080, "opaque"), "l4-port-9080": (9080, "opaque")}
    authn = _by(objects, "MeshTLSAuthentication")
    assert authn["l4-port-8080"]["spec"]["identities"] == [identity("fortio-client", "ns-001")]
    assert authn["l4-port-9080"]["spec"]["identities"] == [identity("fortio-client", "ns-002")]
    assert not _by(objects, "HTTPRoute")


def test_default_deny_closes_the_served_port_with_no_authorization() -> None:
    objects = _case("default-deny")
    assert [(o["kind"], o["spec"]["port"]) for o in objects] == [("Server", 8080)]


def test_http_rules_get_routes_whose_authorizations_cover_every_request_and_a_catch_all_without() -> None:
    objects = _case("l7-method-path")
    assert _by(objects, "Server")["l7-method-path-8080"]["spec"]["proxyProtocol"] == "HTTP/1"
    routes = _by(objects, "HTTPRoute")
    matches = {n: r["spec"]["rules"][0]["matches"][0] for n, r in routes.items()}
    assert list(matches.values())[-1] == {"path": {"type": "PathPrefix", "value": "/"}}  # emitted last
    assert {"method": "GET", "path": {"type": "RegularExpression", "value": "/api/.*"}} in matches.values()
    assert {"method": "POST", "path": {"type": "Exact", "value": "/api/orders"}} in matches.values()
    authorized = {o["spec"]["targetRef"]["name"] for o in objects if o["kind"] == "AuthorizationPolicy"}
    assert authorized == set(routes) - {"l7-method-path-8080-rest"}
    assert all(r["spec"]["parentRefs"] == [{"group": "policy.linkerd.io", "kind": "Server",
                                            "name": "l7-method-path-8080"}] for r in routes.values())


def test_an_l4_rule_beside_http_rules_authorizes_the_whole_server() -> None:
    objects = _case("cross-namespace")
    targets = {o["spec"]["targetRef"]["kind"]: o for o in objects if o["kind"] == "AuthorizationPolicy"}
    assert targets["Server"]["spec"]["targetRef"]["name"] == "cross-namespace-8080"
    server_authn = _by(objects, "MeshTLSAuthentication")["cross-namespace-8080"]
    assert server_authn["spec"]["identities"] == [identity("fortio-client", "ns-002")]


def _intent(*rules: Allow, labels: dict[str, str] | None = None) -> Intent:
    return Intent("i", "", Target(("ns-001",), labels or {"app": "loadservice"}, "loadservice"), rules)


def test_a_route_is_authorized_only_for_rules_that_admit_all_its_requests() -> None:
    peer_a, peer_b = Peer(("ns-002",), service_account="a"), Peer(("ns-003",), service_account="b")
    broad = Allow((peer_a,), (8080,), L7Rule(("GET",), (PathMatch("/api/*"),)))
    narrow = Allow((peer_b,), (8080,), L7Rule((), (PathMatch("/api/orders"),)))
    objects = render_linkerd([_intent(broad, narrow)], RUN)
    routes = {n: r["spec"]["rules"][0]["matches"][0] for n, r in _by(objects, "HTTPRoute").items()}
    authn = {n: set(a["spec"]["identities"]) for n, a in _by(objects, "MeshTLSAuthentication").items()}
    a, b = identity("a", "ns-002"), identity("b", "ns-003")
    named = {(m.get("method"), m["path"]["value"]): authn.get(n, set()) for n, m in routes.items()}
    # GET /api/orders: a regular expression and an exact path both match the whole path and the method decides,
    # so neither rule's own route may take it: their intersection does, first in order, for both peers
    assert named == {("GET", "/api/orders"): {a, b}, ("GET", "/api/.*"): {a}, (None, "/api/orders"): {b},
                     (None, "/"): set()}
    assert list(named)[0] == ("GET", "/api/orders") and list(routes) == sorted(routes)


@pytest.mark.parametrize(("peer", "reason"), [
    (Peer(("ns-002",), labels={"app": "x"}), "not pod labels"),
    (Peer(("*",), service_account="a"), "any namespace"),
])
def test_what_linkerd_identities_cannot_say_is_unsupported(peer: Peer, reason: str) -> None:
    with pytest.raises(Unsupported, match=reason):
        render_linkerd([_intent(Allow((peer,), (8080,)))], RUN)


def test_any_namespace_without_an_account_is_any_meshed_client_and_namespace_only_a_wildcard() -> None:
    objects = render_linkerd([_intent(Allow((Peer(("*",)), Peer(("ns-002",))), (8080,)))], RUN)
    ids = _by(objects, "MeshTLSAuthentication")["i-8080"]["spec"]["identities"]
    assert ids == ["*", "*.ns-002.serviceaccount.identity.linkerd.cluster.local"]


def test_a_portless_intent_on_an_unknown_workload_and_two_servers_on_one_port_are_unsupported() -> None:
    with pytest.raises(Unsupported, match="names no port"):
        render_linkerd([Intent("i", "", Target(("ns-001",), {"app": "db"}, "db"))], RUN)
    rule = Allow((Peer(service_account="a"),), (8080,))
    with pytest.raises(Unsupported, match="one Server per pod port"):
        render_linkerd([_intent(rule), Intent("j", "", _intent().target, (rule,))], RUN)


def test_strict_mtls_admits_any_meshed_client_everywhere_but_the_probe_clients_port() -> None:
    objects = render_strict_mtls(["ns-001"], RUN, (8080,), proxy_access=proxy_access())
    server = _by(objects, "Server")["strict-mtls-8080"]
    assert server["spec"]["podSelector"] == {"matchExpressions": [
        {"key": "app", "operator": "NotIn", "values": ["fortio-client"]}]}
    assert _by(objects, "MeshTLSAuthentication")["strict-mtls-8080"]["spec"]["identities"] == ["*"]

