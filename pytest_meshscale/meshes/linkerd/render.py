"""Intent -> Linkerd 2.20 policy objects (policy.linkerd.io): Server, AuthorizationPolicy, MeshTLSAuthentication,
HTTPRoute. Pure.

From Linkerd's docs (../domain/linkerd.md §1; linkerd.io/2-edge/reference/authorization-policy, .../httproute,
.../features/server-policy) and the proxy's route matcher (linkerd2-proxy linkerd/http/route):
- A `Server` selects pods and ONE port; once a Server selects a pod's port, traffic to it is denied unless an
  AuthorizationPolicy admits it. One Server per intent, target namespace and port.
- Denial shapes: traffic the proxy knows to be HTTP is answered 403, anything else fails the connection. So an
  L4-only Server declares `proxyProtocol: opaque` (the proxy does not parse HTTP there, an L4 deny is a failed
  connection, as the intent says); a Server with HTTP rules declares `HTTP/1` (the fleet's protocol), where every
  deny, a refused source too, is a 403 (see LinkerdDriver.l7_enforced).
- Clients are identified by their mTLS identity `<sa>.<ns>.serviceaccount.identity.linkerd.<trust domain>`,
  never by pod labels: a peer with labels but no service account is Unsupported. A wildcard replaces only the
  leading labels (`*.<ns>.serviceaccount...`, or `*` for any meshed client), so a service account "in any
  namespace" is Unsupported.
- L4 rules -> one AuthorizationPolicy on the Server (a Server-level authorization also admits on every route).
- HTTP rules -> inbound HTTPRoutes parented to the Server, one per distinct (method, path) match, each with an
  AuthorizationPolicy for the rules that admit EVERY request the route matches. The proxy gives a request to
  the single best-matching route (longest path match, then a method match; ties to the older, then the
  alphabetically first route), so a route's authorizations must hold for all its requests. A catch-all route
  (`PathPrefix /`) takes what no rule names: a route without authorization answers 403; without it the proxy
  would answer 404 (no route). It is named and emitted last, so it loses every tie.
- Intent prefixes ("/api/*": "/api/" and below, NOT "/api") are `RegularExpression` matches `/api/.*`: Linkerd's
  `PathPrefix /api/` ignores the trailing slash and matches "/api" too (linkerd/http/route match/path.rs).
- `MeshTLSAuthentication.identities` are ORed; an AuthorizationPolicy needs ALL its required authentications.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ...model import Allow, Intent, L7Rule, PathMatch, Peer, ProxyAccess, Unsupported
from ..render_common import Obj, check_allow_only, check_proxy_access, effective_rules, metadata

__all__ = ["GROUP", "POLICY_KINDS", "identity", "render_linkerd", "render_strict_mtls"]

GROUP = "policy.linkerd.io"
SERVER_API = f"{GROUP}/v1beta3"  # the storage versions of the 2.20 CRDs (shared/upstream/crds/linkerd/SOURCE.txt)
AUTHZ_API = f"{GROUP}/v1alpha1"
ROUTE_API = f"{GROUP}/v1beta3"
POLICY_KINDS = ((SERVER_API, "Server"), (AUTHZ_API, "AuthorizationPolicy"), (AUTHZ_API, "MeshTLSAuthentication"),
                (ROUTE_API, "HTTPRoute"))
CATCH_ALL = "rest"
Match = tuple[str | None, PathMatch | None]  # (method or any, path or any)


def identity(service_account: str, namespace: str, trust_domain: str = "cluster.local") -> str:
    """A proxy's mTLS identity, as the identity controller issues it for the pod's ServiceAccount."""
    return f"{service_account}.{namespace}.serviceaccount.identity.linkerd.{trust_domain}"


def render_linkerd(
    intents: Sequence[Intent],
    labels: Mapping[str, str],
    *,
    proxy_access: ProxyAccess | None = None,
    served_ports: Mapping[str, tuple[int, ...]] | None = None,
    trust_domain: str = "cluster.local",
) -> list[Obj]:
    """Servers, then their authorizations and routes, per intent, target namespace and port.

    `served_ports`: Service name -> the ports its pods serve, for an intent that closes a workload without
    naming a port (a Server selects one port; there is no "every port" Server)."""
    check_allow_only("linkerd", intents)
    check_proxy_access("linkerd", intents, proxy_access)
    objects: list[Obj] = []
    taken: set[tuple[str, str, int]] = set()
    for intent in intents:
        for ns in intent.target.namespaces:
            for port in _ports(intent, served_ports or {}):
                key = (ns, repr(sorted(intent.target.labels.items())), port)
                if key in taken:
                    raise Unsupported("linkerd", f"intent {intent.name}: another intent already has a Server for "
                                      f"these pods' port {port} in {ns}; one Server per pod port: merge the intents")
                taken.add(key)
                objects += _port_policy(intent, ns, port, labels, trust_domain)
    return objects


def _ports(intent: Intent, served: Mapping[str, tuple[int, ...]]) -> list[int]:
    ports = sorted({p for r in effective_rules(intent) for p in r.ports})
    if ports:
        return ports
    service = intent.target.service
    if service is None or service not in served:
        raise Unsupported("linkerd", f"intent {intent.name} names no port and a Server selects one port; "
                          "give target.service of a workload whose ports are known")
    return sorted(served[service])


def _port_policy(intent: Intent, ns: str, port: int, labels: Mapping[str, str], td: str) -> list[Obj]:
    rules = [r for r in effective_rules(intent) if port in r.ports]
    l4 = [r for r in rules if r.http is None]
    l7 = [r for r in rules if r.http is not None]
    base = f"{intent.name}-{port}"
    protocol = "HTTP/1" if l7 else "opaque"
    objects = [_server(base, ns, labels, dict(intent.target.labels), port, protocol, intent.description)]
    if l4:
        objects += _authorization(base, ns, labels, ("Server", base), _identities(l4, ns, intent.name, td))
    if l7:
        objects += _routes(intent.name, base, ns, labels, l7, td)
    return objects


def _server(name: str, ns: str, labels: Mapping[str, str], select: Obj, port: int | str, protocol: str,
            description: str = "") -> Obj:
    # podSelector {} selects every pod of the namespace (the CRD: "Selects all if empty")
    selector = {"matchLabels": select} if select else {}
    spec = {"podSelector": selector, "port": port, "proxyProtocol": protocol, "accessPolicy": "deny"}
    meta = metadata(name, ns, labels)
    if description:
        meta["annotations"] = {"meshscale.io/intent": description}
    return {"apiVersion": SERVER_API, "kind": "Server", "metadata": meta, "spec": spec}


def _authorization(name: str, ns: str, labels: Mapping[str, str], target: tuple[str, str],
                   identities: list[str]) -> list[Obj]:
    authn = {"apiVersion": AUTHZ_API, "kind": "MeshTLSAuthentication", "metadata": metadata(name, ns, labels),
             "spec": {"identities": identities}}
    spec = {"targetRef": {"group": GROUP, "kind": target[0], "name": target[1]},
            "requiredAuthenticationRefs": [{"group": GROUP, "kind": "MeshTLSAuthentication", "name": name}]}
    policy = {"apiVersion": AUTHZ_API, "kind": "AuthorizationPolicy", "metadata": metadata(name, ns, labels),
              "spec": spec}
    return [authn, policy]


def _identities(rules: Sequence[Allow], ns: str, intent: str, td: str) -> list[str]:
    return list(dict.fromkeys(i for r in rules for p in r.peers for i in _peer_identities(p, ns, intent, td)))


def _peer_identities(peer: Peer, ns: str, intent: str, td: str) -> list[str]:
    if peer.labels and peer.service_account is None:
        raise Unsupported("linkerd", f"intent {intent}: sources are identified by their mTLS identity (service "
                          f"account), not pod labels {dict(peer.labels)}; give the peer a service_account")
    namespaces = peer.namespaces_for(ns)
    if namespaces is None:
        if peer.service_account is not None:
            raise Unsupported("linkerd", f"intent {intent}: service account {peer.service_account} in any "
                              "namespace: a MeshTLSAuthentication wildcard replaces only leading labels")
        return ["*"]  # any meshed (authenticated) client
    account = peer.service_account or "*"
    return [identity(account, n, td) for n in namespaces]


def _matches(rules: Sequence[Allow]) -> list[Match]:
    """Every rule's (method, path) matches, closed under intersection, most specific first, the catch-all last.

    Closed: the routes matching a request then have one most specific member (their intersection), and every
    rule admitting the request covers it. First: that member wins the proxy's ties (a regular expression and an
    exact path both match the whole path; ties go to the older, then the alphabetically first route)."""
    found: set[Match] = set()
    for rule in rules:
        http = rule.http or L7Rule()
        methods: list[str | None] = list(http.methods) or [None]
        paths: list[PathMatch | None] = list(http.paths) or [None]
        found |= {(m, p) for m in methods for p in paths}
    grown = True
    while grown:
        new = {i for a in found for b in found if (i := _intersection(a, b)) is not None} - found
        found |= new
        grown = bool(new)
    return sorted(found - {(None, None)}, key=_specificity) + [(None, None)]


def _specificity(match: Match) -> tuple[int, int, int, str, str]:
    method, path = match
    rank = 2 if path is None else 1 if path.is_prefix else 0
    return rank, -len(path.value) if path else 0, 0 if method else 1, path.value if path else "", method or ""


def _intersection(a: Match, b: Match) -> Match | None:
    if a[0] is not None and b[0] is not None and a[0] != b[0]:
        return None
    path = _path_intersection(a[1], b[1])
    return None if path is False else (a[0] or b[0], path)  # type: ignore[return-value]


def _path_intersection(a: PathMatch | None, b: PathMatch | None) -> PathMatch | None | bool:
    """The paths both match (None: any), or False when none."""
    if a is None or b is None:
        return b if a is None else a
    if _path_covers(a, b):
        return b
    if _path_covers(b, a):
        return a
    return False


def _covers(http: L7Rule, match: Match) -> bool:
    """The rule admits every request the route matches."""
    method, path = match
    method_ok = not http.methods or (method is not None and method in http.methods)
    return method_ok and (not http.paths or (path is not None and any(_path_covers(p, path) for p in http.paths)))


def _path_covers(rule: PathMatch, route: PathMatch) -> bool:
    if not route.is_prefix:
        return rule.matches(route.value)
    return rule.is_prefix and route.value[:-1].startswith(rule.value[:-1])


def _routes(intent: str, base: str, ns: str, labels: Mapping[str, str], rules: Sequence[Allow], td: str) -> list[Obj]:
    objects: list[Obj] = []
    matches = _matches(rules)
    for i, match in enumerate(matches):
        name = f"{base}-{CATCH_ALL}" if match == (None, None) else f"{base}-r{i:02d}"  # names sort as listed
        objects.append(_route(name, ns, labels, base, match))
        admitted = [r for r in rules if r.http is not None and _covers(r.http, match)]
        if admitted:
            objects += _authorization(name, ns, labels, ("HTTPRoute", name), _identities(admitted, ns, intent, td))
    return objects


def _route(name: str, ns: str, labels: Mapping[str, str], server: str, match: Match) -> Obj:
    method, path = match
    rule_match: Obj = {"path": _path(path)}
    if method is not None:
        rule_match["method"] = method
    spec = {"parentRefs": [{"group": GROUP, "kind": "Server", "name": server}], "rules": [{"matches": [rule_match]}]}
    return {"apiVersion": ROUTE_API, "kind": "HTTPRoute", "metadata": metadata(name, ns, labels), "spec": spec}


def _path(path: PathMatch | None) -> Obj:
    if path is None:
        return {"type": "PathPrefix", "value": "/"}
    if path.is_prefix:  # anchored at both ends by the proxy: "/api/.*" is "/api/" and below, not "/api"
        return {"type": "RegularExpression", "value": path.regex()}
    return {"type": "Exact", "value": path.value}


def render_strict_mtls(
    namespaces: Sequence[str], labels: Mapping[str, str], ports: Sequence[int], *,
    proxy_access: ProxyAccess | None = None, trust_domain: str = "cluster.local",
) -> list[Obj]:
    """Per namespace and port: a Server on every pod (but the probe clients, whose REST port the API server's
    plaintext pod proxy must reach) admitting any meshed client (`identities: ["*"]`), so plaintext from
    outside the mesh is refused (HTTP 403 on this HTTP port). mTLS itself is always on between meshed pods."""
    objects: list[Obj] = []
    for ns in namespaces:
        for port in ports:
            name = f"strict-mtls-{port}"
            server = _server(name, ns, labels, {}, port, "HTTP/1")
            if proxy_access is not None:
                exclude = [{"key": k, "operator": "NotIn", "values": [v]} for k, v in proxy_access.labels.items()]
                server["spec"]["podSelector"] = {"matchExpressions": exclude}
            objects += [server, *_authorization(name, ns, labels, ("Server", name), ["*"])]
    return objects
