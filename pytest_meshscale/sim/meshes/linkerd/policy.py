"""Linkerd's inbound policy, as the destination pod's proxy applies it (../domain/linkerd.md §1).

Sources: linkerd.io/2-edge/reference/authorization-policy, .../features/server-policy, .../reference/httproute;
linkerd2 policy-controller (defaults.rs, inbound index), linkerd2-proxy (inbound policy, http route matching).
- Only a meshed pod (one running linkerd-proxy) enforces anything. The client's identity is its proxy's mTLS
  identity; a source without a proxy (or the API server's pod proxy) is unauthenticated.
- A `Server` selecting the pod's port (podSelector, port number or container port name; the oldest wins on an
  overlap) decides; without one, the default policy: the pod's `config.linkerd.io/default-inbound-policy`
  (copied from its namespace when it was injected), else the cluster's (policy controller --default-policy):
  all-unauthenticated, all-authenticated, cluster-unauthenticated, cluster-authenticated, deny, audit.
- An AuthorizationPolicy applies when it targets the Server, the pod's Namespace, or (HTTP) the chosen route, and
  ALL its requiredAuthenticationRefs match: MeshTLSAuthentication (identities "*", "*.<suffix>" or exact, or
  identityRefs ServiceAccount/Namespace), NetworkAuthentication (source IP in networks, minus except),
  ServiceAccount. A reference to a missing object voids the authorization. No authorization: the Server's
  accessPolicy (default deny).
- proxyProtocol opaque (or TLS): denied connections fail ("Connection denied"; the client's own proxy had accepted
  it: a reset). Anything else is HTTP here (the sim's requests are HTTP/1.1; `unknown` detects it): a denied
  request is answered 403. With HTTPRoutes parented to the Server, the request takes the best-matching route
  (longest path match, exact and regex counting the whole path; then a method match; ties to the older, then
  the alphabetically first route); none matches: 404. A route's authorizations are its own plus the Server's.
  Without routes every request takes the Server's default route.
"""

from __future__ import annotations

import re
from typing import Any

from ...dataplane.outcome import Outcome, Request, Verdict, allow, deny_l4, deny_l7
from ...dataplane.peer import Peer, in_cidr
from ...dataplane.ports import container_ports
from ...dataplane.topology import Topology, labels_of, pod_key
from ...faults import Faults
from ...server.selectors import match_labels
from .components import DEFAULT_POLICY, policy_args
from .identity import identity, identity_missing
from .inject import meshed

__all__ = ["HTTP_BY", "OPAQUE_BY", "evaluate_linkerd"]

Obj = dict[str, Any]
G = "policy.linkerd.io"
HTTP_BY, OPAQUE_BY = "linkerd-proxy (inbound HTTP policy)", "linkerd-proxy (inbound TCP policy)"
DEFAULT_POLICY_ANNOTATION = "config.linkerd.io/default-inbound-policy"
CLUSTER_NETWORKS = "10.0.0.0/8,100.64.0.0/10,172.16.0.0/12,192.168.0.0/16,fd00::/8"  # values.yaml clusterNetworks


def _age(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("creationTimestamp", "")), str(meta.get("name", ""))


def _server(store: Any, dst: Obj, port: int) -> Obj | None:
    ns, labels = pod_key(dst)[0], labels_of(dst)
    named = {name for name, number in container_ports(dst).items() if number == port}
    found = [s for s in store.list(f"servers.{G}", ns)[0]
             if match_labels((s.get("spec") or {}).get("podSelector") or {}, labels)
             and str((s.get("spec") or {}).get("port")) in {str(port), *named}]
    return min(found, key=_age) if found else None


def _client_id(topo: Topology, faults: Faults, src: Peer, src_pod: Obj | None) -> str:
    if src_pod is None or not meshed(src_pod) or identity_missing(topo.store, faults, src_pod):
        return ""
    return identity(src.service_account, src.namespace)


def _identity_matches(pattern: str, client: str) -> bool:
    if not client:
        return False
    if pattern == "*":
        return True
    return client.endswith(pattern[1:]) if pattern.startswith("*.") else client == pattern


def _authn(store: Any, ref: Obj, ns: str, src: Peer, client: str) -> bool | None:
    """Whether one required authentication matches; None when the referenced object does not exist."""
    kind, name, where = ref.get("kind"), str(ref.get("name", "")), str(ref.get("namespace") or ns)
    if kind == "ServiceAccount":
        return _identity_matches(identity(name, where), client)
    resource = {"MeshTLSAuthentication": f"meshtlsauthentications.{G}",
                "NetworkAuthentication": f"networkauthentications.{G}"}.get(str(kind))
    obj = store.try_get(resource, where, name) if resource else None
    if obj is None:
        return None
    spec = obj.get("spec") or {}
    if kind == "NetworkAuthentication":
        return any(in_cidr(src.ip, str(n.get("cidr", "")), n.get("except")) for n in spec.get("networks") or [])
    patterns = list(spec.get("identities") or [])
    for r in spec.get("identityRefs") or []:
        rns = str(r.get("namespace") or where)
        if r.get("kind") == "ServiceAccount":
            patterns.append(identity(str(r.get("name", "")), rns))
        elif r.get("kind") == "Namespace":
            patterns.append(f"*.{r.get('name') or rns}.serviceaccount.identity.linkerd.cluster.local")
    return any(_identity_matches(str(p), client) for p in patterns)


def _authorized(store: Any, ns: str, targets: set[tuple[str, str]], src: Peer, client: str) -> str:
    """The name of an AuthorizationPolicy targeting one of (kind, name) that admits the client, or ''."""
    for ap in store.list(f"authorizationpolicies.{G}", ns)[0]:
        spec = ap.get("spec") or {}
        ref = spec.get("targetRef") or {}
        if (str(ref.get("kind")), str(ref.get("name"))) not in targets:
            continue
        results = [_authn(store, r, ns, src, client) for r in spec.get("requiredAuthenticationRefs") or []]
        if results and all(r is True for r in results):
            return str(ap["metadata"]["name"])
    return ""


def _default_allows(policy: str, src: Peer, client: str) -> bool:
    in_cluster = any(in_cidr(src.ip, c) for c in CLUSTER_NETWORKS.split(","))
    return {"all-unauthenticated": True, "audit": True, "all-authenticated": bool(client),
            "cluster-unauthenticated": in_cluster, "cluster-authenticated": in_cluster and bool(client),
            "deny": False}.get(policy, False)


def evaluate_linkerd(topo: Topology, faults: Faults, src: Peer, src_pod: Obj | None, req: Request) -> Outcome:
    dst, store = req.dst, topo.store
    if not meshed(dst):
        return allow("no mesh enforcement (destination has no linkerd-proxy)", dst)
    client = _client_id(topo, faults, src, src_pod)
    if src_pod is not None and meshed(src_pod) and identity_missing(store, faults, dst):
        return Outcome(Verdict.DENY_L4, "linkerd-proxy (client outbound)", how="reset", status=502,
                       reason="mTLS handshake failed: the destination's proxy holds no identity certificate "
                              "(identity-missing fault)", dst_pod=dst)
    ns = pod_key(dst)[0]
    server = _server(store, dst, req.target_port)
    if server is None:
        pod_policy = ((dst.get("metadata") or {}).get("annotations") or {}).get(DEFAULT_POLICY_ANNOTATION)
        policy = str(pod_policy or policy_args(store).get("default-policy") or DEFAULT_POLICY)
        if _default_allows(policy, src, client):
            return allow(HTTP_BY, dst, f"no Server on port {req.target_port}: default policy {policy}")
        return deny_l7(HTTP_BY, "", f"no Server on port {req.target_port}: default policy {policy} denies", dst)
    spec, name = server.get("spec") or {}, str(server["metadata"]["name"])
    targets = {("Server", name), ("Namespace", ns)}
    fallback = _default_allows(str(spec.get("accessPolicy") or "deny"), src, client)
    if str(spec.get("proxyProtocol") or "unknown") in ("opaque", "TLS"):
        ap = _authorized(store, ns, targets, src, client)
        if ap or fallback:
            return allow(OPAQUE_BY, dst, f"Server {name}: {ap or 'accessPolicy'}")
        return deny_l4(OPAQUE_BY, "reset", f"Server {name}: Connection denied (no authorization)", dst)
    return _http(store, faults, server, targets, src, client, req, fallback)


def _http(store: Any, faults: Faults, server: Obj, targets: set[tuple[str, str]], src: Peer, client: str,
          req: Request, fallback: bool) -> Outcome:
    ns, name, dst = pod_key(req.dst)[0], str(server["metadata"]["name"]), req.dst
    routes = _routes(store, ns, name)
    if routes:
        route = _best_route(routes, req)
        if route is None:
            return Outcome(Verdict.DENY_L7, HTTP_BY, status=404, reason=f"Server {name}: no route matches", dst_pod=dst)
        targets = targets | {("HTTPRoute", str(route["metadata"]["name"]))}
    ap = _authorized(store, ns, targets, src, client)
    if ap or fallback:
        return allow(HTTP_BY, dst, f"Server {name}: {ap or 'accessPolicy'}")
    if faults.l7_bypass:
        return allow(HTTP_BY, dst, "l7-bypass fault: the proxy's HTTP authorization was not enforced")
    return deny_l7(HTTP_BY, "", f"Server {name}: unauthorized request on route", dst)


def _routes(store: Any, ns: str, server: str) -> list[Obj]:
    found = []
    for resource in (f"httproutes.{G}", "httproutes.gateway.networking.k8s.io"):
        for route in store.list(resource, ns)[0]:
            parents = (route.get("spec") or {}).get("parentRefs") or []
            if any(p.get("kind") == "Server" and p.get("group", G) == G and p.get("name") == server for p in parents):
                found.append(route)
    return sorted(found, key=_age)  # the control plane hands the proxy the older routes first


def _best_route(routes: list[Obj], req: Request) -> Obj | None:
    best: tuple[tuple[int, bool], Obj] | None = None
    for route in routes:
        for rule in (route.get("spec") or {}).get("rules") or [{}]:
            for match in rule.get("matches") or [{}]:
                summary = _match(match, req)
                if summary is not None and (best is None or summary > best[0]):  # ties keep the first
                    best = (summary, route)
    return best[1] if best else None


def _match(match: Obj, req: Request) -> tuple[int, bool] | None:
    """(path match length, method matched) as linkerd2-proxy's RequestMatch orders them; None: no match."""
    if match.get("headers") or match.get("queryParams"):
        return None  # the sim's requests carry no custom headers or query parameters
    method = match.get("method")
    if method and method != req.method:
        return None
    path = match.get("path") or {"type": "PathPrefix", "value": "/"}
    kind, value, actual = path.get("type", "PathPrefix"), str(path.get("value", "/")), req.path.split("?")[0]
    if kind == "Exact":
        length = len(value) if actual == value else None
    elif kind == "RegularExpression":
        length = len(actual) if _fullmatch(value, actual) else None
    else:
        length = _prefix(value, actual)
    return None if length is None else (length, bool(method))


def _fullmatch(pattern: str, path: str) -> bool:
    try:
        return re.fullmatch(pattern, path) is not None
    except re.error:
        return False


def _prefix(prefix: str, path: str) -> int | None:
    """Whole path segments; a trailing slash ignored on both (linkerd/http/route match/path.rs)."""
    if prefix == "/":
        return 1
    trimmed = prefix.rstrip("/")
    rest = path.rstrip("/")
    if not rest.startswith(trimmed):
        return None
    suffix = rest[len(trimmed):]
    return len(trimmed) if suffix == "" or suffix.startswith("/") else None
