"""Intent -> Istio ambient objects: enrolment, waypoints, AuthorizationPolicies, STRICT mTLS. Pure.

From istio.io (ambient usage/l4-policy, usage/l7-features, usage/waypoint) and the API reference:
- ztunnel enforces `selector` policies at L4 only; a selector policy with methods or paths fails
  closed, so L7 rules go to a waypoint, bound with `targetRefs` (the target's Service).
- A namespace with any HTTP rule gets a waypoint (Gateway `waypoint`, class istio-waypoint, listener
  mesh/15008/HBONE) and `istio.io/use-waypoint: waypoint`. Service traffic then reaches the pods from
  the waypoint, so the destination ztunnel sees the waypoint's identity: the selector policy there
  allows the waypoint's service account (its principal), and every rule of the intent, L4 ones too,
  is also enforced at the waypoint (the real source is only known there). That is why, in such a
  namespace, a refused source is answered 403 (see model.policy.expected_verdict `l7_enforced`).
- Every rule is ONE rule with `from` AND `to`; separate from/to rules are ORed (the seed's tcp-policy).
- Istio identifies sources by namespace and service account, not pod labels: a peer's labels are
  not enforced (the fleet's service accounts match its labels one to one); a peer with labels but
  no service account is Unsupported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ...model import Allow, Intent, L7Rule, Peer, ProxyAccess, Unsupported, l7_namespaces
from ..render_common import (
    Obj,
    check_allow_only,
    check_proxy_access,
    effective_rules,
    metadata,
    namespace_patch,
)

__all__ = ["AMBIENT_LABELS", "WAYPOINT", "authz_policy", "authz_rule", "check_istio_intents", "render_istio",
           "render_strict_mtls", "waypoint_gateway"]

WAYPOINT = "waypoint"
AMBIENT_LABELS = {"istio.io/dataplane-mode": "ambient"}
_AUTHZ = {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy"}


def render_istio(
    intents: Sequence[Intent],
    labels: Mapping[str, str],
    *,
    proxy_access: ProxyAccess | None = None,
    enroll: Iterable[str] = (),
    trust_domain: str = "cluster.local",
) -> list[Obj]:
    """Namespace label patches (kind Namespace: merge-patch them), waypoints, then policies.

    Enrolled: every target namespace, every namespace a peer names, and `enroll` (pass the whole fleet:
    a source outside the mesh has no identity, so namespace rules cannot match it)."""
    _check(intents, proxy_access)
    waypoints = l7_namespaces(intents)
    objects = [_enrolment(ns, ns in waypoints, labels) for ns in sorted(_enrolled(intents, enroll))]
    objects += [waypoint_gateway(ns, labels) for ns in sorted(waypoints)]
    for intent in intents:
        for ns in intent.target.namespaces:
            objects += _policies(intent, ns, ns in waypoints, labels, trust_domain)
    return objects


def _check(intents: Sequence[Intent], proxy: ProxyAccess | None) -> None:
    check_istio_intents("istio", intents, proxy)
    waypoints = l7_namespaces(intents)
    for intent in intents:
        if intent.target.service is None and waypoints & set(intent.target.namespaces):
            reason = f"intent {intent.name}: a waypoint policy binds to a Service; give target.service"
            raise Unsupported("istio", reason)


def check_istio_intents(mesh: str, intents: Sequence[Intent], proxy: ProxyAccess | None) -> None:
    """What any Istio data plane needs of the intents: allow-only intents covered by a default deny, no policy
    on the probe clients, and sources named by service account (Istio identifies peers by it, not labels)."""
    check_allow_only(mesh, intents)
    check_proxy_access(mesh, intents, proxy)
    for intent in intents:
        for peer in (p for rule in intent.allow for p in rule.peers):
            if peer.labels and peer.service_account is None:
                reason = f"intent {intent.name}: sources are identified by service account, not pod labels"
                raise Unsupported(mesh, f"{reason} {dict(peer.labels)}; give the peer a service_account")


def _enrolled(intents: Sequence[Intent], extra: Iterable[str]) -> set[str]:
    named = {ns for i in intents for r in i.allow for p in r.peers for ns in p.namespaces if ns != "*"}
    return named | {ns for i in intents for ns in i.target.namespaces} | set(extra)


def _enrolment(ns: str, waypoint: bool, labels: Mapping[str, str]) -> Obj:
    add = {**AMBIENT_LABELS, **({"istio.io/use-waypoint": WAYPOINT} if waypoint else {})}
    return namespace_patch(ns, add, labels)


def waypoint_gateway(ns: str, labels: Mapping[str, str]) -> Obj:
    """The waypoint `istioctl waypoint apply` creates (for Service traffic)."""
    meta = metadata(WAYPOINT, ns, {**labels, "istio.io/waypoint-for": "service"})
    listener = {"name": "mesh", "port": 15008, "protocol": "HBONE"}
    spec = {"gatewayClassName": "istio-waypoint", "listeners": [listener]}
    return {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": meta, "spec": spec}


def _policies(intent: Intent, ns: str, waypoint: bool, labels: Mapping[str, str], td: str) -> list[Obj]:
    rules = effective_rules(intent)
    direct = [authz_rule(r, ns, td, None) for r in rules if r.http is None]
    if waypoint and rules:  # Service traffic arrives from the waypoint, which enforced the intent already
        ports = sorted({p for r in rules for p in r.ports})
        direct.append(authz_rule(Allow((), tuple(ports)), ns, td, [_principal(td, ns, WAYPOINT)]))
    selector = {"selector": {"matchLabels": dict(intent.target.labels)}} if intent.target.labels else {}
    policies = [authz_policy(intent.name, ns, labels, {**selector, "action": "ALLOW"}, direct)]
    if waypoint:
        ref = {"group": "", "kind": "Service", "name": intent.target.service}
        l7 = [authz_rule(r, ns, td, None) for r in rules]
        spec = {"targetRefs": [ref], "action": "ALLOW"}
        policies.append(authz_policy(f"{intent.name}-waypoint", ns, labels, spec, l7))
    return policies


def authz_policy(name: str, ns: str, labels: Mapping[str, str], spec: Obj, rules: list[Obj]) -> Obj:
    # No rules: an ALLOW policy that matches nothing, i.e. deny everything (the docs' allow-nothing).
    full = {**spec, "rules": rules} if rules else spec
    return {**_AUTHZ, "metadata": metadata(name, ns, labels), "spec": full}


def authz_rule(rule: Allow, ns: str, td: str, principals: list[str] | None) -> Obj:
    sources = [{"principals": principals}] if principals else [_source(p, ns, td) for p in rule.peers]
    operation: Obj = {"ports": [str(p) for p in rule.ports]}
    if rule.http is not None:
        operation.update(_http(rule.http))
    out: Obj = {"to": [{"operation": operation}]}
    if all(sources):  # an empty source would match anyone: leave `from` out rather than rely on that
        out = {"from": [{"source": s} for s in sources], **out}
    return out


def _http(http: L7Rule) -> Obj:
    fields = {"methods": list(http.methods), "paths": [p.istio() for p in http.paths]}
    return {k: v for k, v in fields.items() if v}


def _source(peer: Peer, ns: str, td: str) -> Obj:
    namespaces = peer.namespaces_for(ns)
    if peer.service_account is None:
        return {} if namespaces is None else {"namespaces": list(namespaces)}
    if namespaces is None:  # any namespace: suffix match on the SPIFFE path
        return {"principals": [f"*/sa/{peer.service_account}"]}
    return {"principals": [_principal(td, n, peer.service_account) for n in namespaces]}


def _principal(td: str, ns: str, account: str) -> str:
    return f"{td}/ns/{ns}/sa/{account}"


def render_strict_mtls(
    namespaces: Iterable[str], labels: Mapping[str, str], *, proxy_access: ProxyAccess | None = None
) -> list[Obj]:
    """PeerAuthentication STRICT per namespace; with `proxy_access`, a workload policy keeps the probe
    clients' REST port PERMISSIVE, because the API server's pod proxy speaks plaintext to it."""
    api = {"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication"}
    objects = []
    for ns in namespaces:
        strict = {"mtls": {"mode": "STRICT"}}
        objects.append({**api, "metadata": metadata("strict-mtls", ns, labels), "spec": strict})
        if proxy_access is not None:
            spec = {"selector": {"matchLabels": dict(proxy_access.labels)}, "mtls": {"mode": "STRICT"},
                    "portLevelMtls": {str(proxy_access.port): {"mode": "PERMISSIVE"}}}
            objects.append({**api, "metadata": metadata("probe-port-permissive", ns, labels), "spec": spec})
    return objects
