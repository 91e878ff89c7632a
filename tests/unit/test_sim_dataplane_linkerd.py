"""Linkerd's semantics in the sim's data plane: injection, default inbound policy, opaque vs HTTP denials, route
choice (404 without a match, the proxy's tie-breaks), mTLS on the wire and on 4143, the identity controller and
the identity-missing fault; on kwok the same injector served as the agent's webhook and the same identity Events
posted by the agent through the API."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from test_sim_dataplane_istio_sidecar import _apply
from test_sim_dataplane_world import World, plane

from pytest_meshscale.data.profiles import load_profile
from pytest_meshscale.sim.agent.admission import review_response
from pytest_meshscale.sim.agent.mirror import Mirror
from pytest_meshscale.sim.dataplane import Verdict
from pytest_meshscale.sim.faults import Faults
from pytest_meshscale.sim.meshes.base import SimContext
from pytest_meshscale.sim.meshes.linkerd import LinkerdSim
from pytest_meshscale.sim.meshes.linkerd.identity import IdentityController, event_name
from pytest_meshscale.sim.meshes.linkerd.identity_writer import IdentityWriter

G = "policy.linkerd.io"
INJECT = {"linkerd.io/inject": "enabled"}
STAMPED = ("firstTimestamp", "lastTimestamp", "message", "metadata")  # when it was issued (the store adds metadata)


def linkerd_world(annotations: dict[str, str] | None = None) -> tuple[World, dict[str, Any], dict[str, Any]]:
    """ns-001 (meshed) with a fortio client and a load pod; ns-002 with a meshed client; ns-003 unmeshed."""
    w = World()
    w.store.admission.append(lambda resource, obj: LinkerdSim().admit(w.store, resource, obj))
    for name, ip in (("client-1", "192.168.0.10"), ("server-1", "192.168.0.11")):
        w.node(name, ip)
    for ns, ann in (("ns-001", {**INJECT, **(annotations or {})}), ("ns-002", INJECT), ("ns-003", {})):
        w.store.create("namespaces", {"metadata": {"name": ns, "annotations": ann}})
    client = w.pod("ns-001", "fortio-client", "client-1", {"app": "fortio-client"}, sa="fortio-client")
    w.pod("ns-001", "loadservice-a", "server-1", {"app": "loadservice"}, "gcr.io/istio-testing/isotope:0.0.3")
    w.svc("ns-001", "loadservice", {"app": "loadservice"})
    other = w.pod("ns-002", "fortio-client", "client-1", {"app": "fortio-client"}, sa="fortio-client")
    w.pod("ns-003", "outside", "client-1", {"app": "outside"})
    return w, client, other


def _server(w: World, name: str, protocol: str, port: int | str = 8080) -> None:
    spec = {"podSelector": {"matchLabels": {"app": "loadservice"}}, "port": port, "proxyProtocol": protocol}
    w.add(f"servers.{G}", {"metadata": {"name": name, "namespace": "ns-001"}, "spec": spec})


def _allow(w: World, name: str, kind: str, target: str, identities: list[str]) -> None:
    w.add(f"meshtlsauthentications.{G}", {"metadata": {"name": name, "namespace": "ns-001"},
                                          "spec": {"identities": identities}})
    spec = {"targetRef": {"group": G, "kind": kind, "name": target},
            "requiredAuthenticationRefs": [{"group": G, "kind": "MeshTLSAuthentication", "name": name}]}
    w.add(f"authorizationpolicies.{G}", {"metadata": {"name": name, "namespace": "ns-001"}, "spec": spec})


def _route(w: World, name: str, path: dict[str, str], method: str | None = None) -> None:
    match: dict[str, Any] = {"path": path, **({"method": method} if method else {})}
    spec = {"parentRefs": [{"group": G, "kind": "Server", "name": "srv"}], "rules": [{"matches": [match]}]}
    w.add(f"httproutes.{G}", {"metadata": {"name": name, "namespace": "ns-001"}, "spec": spec})


OWN = "fortio-client.ns-001.serviceaccount.identity.linkerd.cluster.local"


def test_the_injector_adds_the_proxy_only_where_the_namespace_opts_in_and_copies_its_config() -> None:
    w, client, _ = linkerd_world({"config.linkerd.io/default-inbound-policy": "deny"})
    names = [c["name"] for c in client["spec"]["containers"]]
    assert names == ["main", "linkerd-proxy"] and client["metadata"]["labels"]["linkerd.io/control-plane-ns"]
    assert client["metadata"]["annotations"]["config.linkerd.io/default-inbound-policy"] == "deny"
    outside = w.store.get("pods", "ns-003", "outside")
    assert [c["name"] for c in outside["spec"]["containers"]] == ["main"]


def test_without_a_server_the_default_policy_decides_and_the_pod_keeps_what_it_was_created_with() -> None:
    w, client, other = linkerd_world()
    assert plane(w, "linkerd").decide(other, "loadservice.ns-001", 8080).allowed  # all-unauthenticated
    w2, client2, _ = linkerd_world({"config.linkerd.io/default-inbound-policy": "all-authenticated"})
    outside = w2.store.get("pods", "ns-003", "outside")
    assert plane(w2, "linkerd").decide(client2, "loadservice.ns-001", 8080).allowed
    denied = plane(w2, "linkerd").decide(outside, "loadservice.ns-001", 8080)
    assert (denied.verdict, denied.status) == (Verdict.DENY_L7, 403)  # HTTP detected: a 403, not a drop


def test_an_opaque_server_fails_the_connection_and_an_http_one_answers_403() -> None:
    w, client, other = linkerd_world()
    _server(w, "srv", "opaque")
    _allow(w, "own", "Server", "srv", [OWN])
    assert plane(w, "linkerd").decide(client, "loadservice.ns-001", 8080).allowed
    opaque = plane(w, "linkerd").decide(other, "loadservice.ns-001", 8080)
    assert (opaque.verdict, opaque.how, opaque.status) == (Verdict.DENY_L4, "reset", None)
    w.store.mutate(f"servers.{G}", "ns-001", "srv", lambda o: o["spec"].update(proxyProtocol="HTTP/1"))
    http = plane(w, "linkerd").decide(other, "loadservice.ns-001", 8080)
    assert (http.verdict, http.status) == (Verdict.DENY_L7, 403)


def test_a_named_port_and_a_namespace_target_and_identity_wildcards_work() -> None:
    w, client, other = linkerd_world()
    _server(w, "srv", "opaque", port="http-web")
    w.store.mutate("pods", "ns-001", "loadservice-a",
                   lambda o: o["spec"]["containers"][0]["ports"][0].update(name="http-web"))
    _allow(w, "ns-wide", "Namespace", "ns-001", ["*.ns-002.serviceaccount.identity.linkerd.cluster.local"])
    assert plane(w, "linkerd").decide(other, "loadservice.ns-001", 8080).allowed
    assert not plane(w, "linkerd").decide(client, "loadservice.ns-001", 8080).allowed


def test_routes_no_match_is_404_the_best_match_wins_and_ties_go_to_the_older_route() -> None:
    w, client, _ = linkerd_world()
    _server(w, "srv", "HTTP/1")
    _route(w, "a-api", {"type": "RegularExpression", "value": "/api/.*"}, "GET")
    _allow(w, "a-api", "HTTPRoute", "a-api", [OWN])
    _route(w, "b-exact", {"type": "Exact", "value": "/api/orders"})  # no authorization: 403 when chosen
    dp = plane(w, "linkerd")
    assert dp.decide(client, "loadservice.ns-001", 8080, "GET", "/api/items").allowed
    assert dp.decide(client, "loadservice.ns-001", 8080, "GET", "/api/orders").allowed  # same length, method wins
    post = dp.decide(client, "loadservice.ns-001", 8080, "POST", "/api/orders")
    assert (post.verdict, post.status) == (Verdict.DENY_L7, 403)
    none = dp.decide(client, "loadservice.ns-001", 8080, "GET", "/other")
    assert (none.verdict, none.status) == (Verdict.DENY_L7, 404)
    _route(w, "c-prefix", {"type": "PathPrefix", "value": "/api/"})  # trailing slash ignored: matches /api
    assert dp.decide(client, "loadservice.ns-001", 8080, "GET", "/api").status == 403


def test_meshed_pairs_are_mtls_on_4143_and_an_unmeshed_end_is_plaintext() -> None:
    w, client, _ = linkerd_world()
    server = w.store.get("pods", "ns-001", "loadservice-a")
    seen = plane(w, "linkerd").wire(client, server, 8080)
    assert (seen.protocol, seen.port, seen.tls_version, seen.fips) == ("linkerd-mtls", 4143, "TLSv1.3", False)
    outside = w.store.get("pods", "ns-003", "outside")
    assert plane(w, "linkerd").wire(outside, server, 8080).protocol == "plaintext"


def test_identity_events_are_issued_per_account_except_the_faulted_one_whose_pods_cannot_be_reached() -> None:
    w, client, other = linkerd_world()
    healthy = IdentityController(w.store, Faults())
    for pod in w.store.list("pods")[0]:
        for key in healthy.route("ADDED", "pods", pod):
            healthy.reconcile(key)
    events = {e["involvedObject"]["name"]: e["message"] for e in w.store.list("events", "ns-001")[0]}
    assert set(events) == {"default", "fortio-client"} and events["default"].startswith(
        "issued certificate for default.ns-001.serviceaccount.identity.linkerd.cluster.local until ")
    broken = plane(w, "linkerd", identity_missing=True)
    failed = broken.decide(other, "loadservice.ns-001", 8080)
    assert (failed.verdict, failed.how, failed.status) == (Verdict.DENY_L4, "reset", 502)
    server = w.store.get("pods", "ns-001", "loadservice-a")
    sim, faults = LinkerdSim(), Faults(identity_missing=True)
    assert sim.tls_listener(broken.topo, faults, server, 4143) is None
    assert sim.tls_listener(broken.topo, Faults(), server, 4143) is not None
    assert sim.tls_listener(broken.topo, faults, client, 4143) is not None  # fortio-client: not the faulted one


class _Api:
    """The API server as the agent's identity writer sees it: POSTs kept, a second one of a name is a 409 (None)."""

    def __init__(self) -> None:
        self.posted: dict[tuple[str, str], dict[str, Any]] = {}
        self.posts = 0

    def create(self, obj: dict[str, Any]) -> Any:
        self.posts += 1
        key = (obj["metadata"]["namespace"], obj["metadata"]["name"])
        return None if key in self.posted else self.posted.setdefault(key, obj)


def _on_kwok(w: World, faults: Faults) -> _Api:
    """The agent's identity writer over a Mirror holding the world's namespaces and pods, run to the end."""
    mirror, api = Mirror(), _Api()
    mirror.replace("namespaces", w.store.list("namespaces")[0])
    writer = IdentityWriter(api, mirror, faults, lambda line: None).start()
    pods = w.store.list("pods")[0]
    mirror.replace("pods", pods)
    mirror.replace("pods", [{**p, "metadata": {**p["metadata"], "resourceVersion": "9"}} for p in pods])  # relist
    writer.stop()
    writer._thread.join(5)
    return api


@pytest.mark.parametrize("faults", [Faults(), Faults(identity_missing=True)], ids=["healthy", "identity-missing"])
def test_on_kwok_the_agent_posts_the_identity_events_the_sims_controller_writes(faults: Faults) -> None:
    w, _, _ = linkerd_world()
    controller = IdentityController(w.store, faults)
    for pod in w.store.list("pods")[0]:
        for key in controller.route("ADDED", "pods", pod):
            controller.reconcile(key)
    sim = {(e["metadata"]["namespace"], e["metadata"]["name"]): e for e in w.store.list("events")[0]}
    api = _on_kwok(w, faults)
    assert sorted(api.posted) == sorted(sim) and api.posts == len(sim) >= 2  # once per ServiceAccount, relist too
    faulted = ("ns-001", event_name(w.store.get("pods", "ns-001", "loadservice-a"))[2])  # its account: default
    assert (faulted in api.posted) is not faults.identity_missing
    for key, event in api.posted.items():
        assert {k: v for k, v in event.items() if k not in STAMPED} == {
            k: v for k, v in sim[key].items() if k not in STAMPED}
        assert event["message"].split(" until ")[0] == sim[key]["message"].split(" until ")[0]


def test_on_kwok_the_injector_is_a_webhook_reading_the_agents_mirror() -> None:
    w, _, _ = linkerd_world()
    mirror = Mirror()
    mirror.replace("namespaces", w.store.list("namespaces")[0])
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"generateName": "loadservice-7f9-"},
           "spec": {"containers": [{"name": "main", "image": "gcr.io/istio-testing/isotope:0.0.3"}]}}
    review = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
              "request": {"uid": "u1", "operation": "CREATE", "namespace": "ns-001",
                          "resource": {"group": "", "version": "v1", "resource": "pods"}, "object": pod}}
    ctx = SimContext(load_profile("smoke"), Faults())
    answer = review_response(review, lambda r, o: LinkerdSim().admit(mirror, r, o, ctx))["response"]  # type: ignore[arg-type]
    patched = _apply(pod, json.loads(base64.b64decode(answer["patch"])))
    assert [c["name"] for c in patched["spec"]["containers"]] == ["main", "linkerd-proxy"]
    assert patched["metadata"]["labels"]["linkerd.io/control-plane-ns"] == "linkerd"
    unmeshed = {**review, "request": {**review["request"], "namespace": "ns-003"}}
    assert "patch" not in review_response(unmeshed, lambda r, o: LinkerdSim().admit(mirror, r, o, ctx))["response"]  # type: ignore[arg-type]
    assert LinkerdSim.admitted == ("pods",)
