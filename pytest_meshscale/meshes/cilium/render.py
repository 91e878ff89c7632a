"""Intent -> CiliumNetworkPolicy (cilium.io/v2), one per intent and target namespace. Pure.

Follows Cilium's docs (policy/language, layer7.rst): selectors in a CNP are scoped to its namespace
unless they name `k8s:io.kubernetes.pod.namespace`; a peer's service account is the identity label
`io.cilium.k8s.policy.serviceaccount`; HTTP rules are extended POSIX regexes matched against the whole
method and path (see PathMatch.regex). A rule with no peers and no ports (`ingress: [{}]`) makes the
default deny explicit. When an intent selects the probe clients, a `fromEntities: [kube-apiserver]`
rule on their REST port keeps the API server's pod proxy (how probes are sent) working.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ...model import Allow, Intent, L7Rule, Peer, ProxyAccess, labels_match
from ..render_common import Obj, effective_rules, metadata

__all__ = ["NAMESPACE_LABEL", "SERVICE_ACCOUNT_LABEL", "render_cilium"]

NAMESPACE_LABEL = "k8s:io.kubernetes.pod.namespace"
SERVICE_ACCOUNT_LABEL = "io.cilium.k8s.policy.serviceaccount"


def render_cilium(
    intents: Sequence[Intent], labels: Mapping[str, str], *, proxy_access: ProxyAccess | None = None
) -> list[Obj]:
    """One CiliumNetworkPolicy per intent per target namespace, each carrying `labels`."""
    return [_policy(i, ns, labels, proxy_access) for i in intents for ns in i.target.namespaces]


def _policy(intent: Intent, ns: str, labels: Mapping[str, str], proxy: ProxyAccess | None) -> Obj:
    ingress = [_ingress(rule, ns) for rule in effective_rules(intent)]
    if proxy is not None and labels_match(intent.target.labels, proxy.labels):
        ingress.append({"fromEntities": ["kube-apiserver"], "toPorts": [_port_rule((proxy.port,), None)]})
    spec: Obj = {
        "description": intent.description,
        "endpointSelector": _selector(intent.target.labels),
        "ingress": ingress or [{}],
    }
    if not intent.default_deny:
        spec["enableDefaultDeny"] = {"ingress": False}
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
            "metadata": metadata(intent.name, ns, labels), "spec": spec}


def _selector(match: Mapping[str, str]) -> Obj:
    return {"matchLabels": dict(match)} if match else {}


def _ingress(rule: Allow, ns: str) -> Obj:
    peers = [_peer(p, ns) for p in rule.peers]
    return {"fromEndpoints": peers, "toPorts": [_port_rule(rule.ports, rule.http)]}


def _port_rule(ports: Sequence[int], http: L7Rule | None) -> Obj:
    rule: Obj = {"ports": [{"port": str(p), "protocol": "TCP"} for p in ports]}
    if http is not None:
        rule["rules"] = {"http": _http(http)}
    return rule


def _http(http: L7Rule) -> list[Obj]:
    """Methods x paths; a missing half means any (Cilium: an omitted field is not matched)."""
    methods: list[str | None] = list(http.methods) or [None]
    paths: list[str | None] = [p.regex() for p in http.paths] or [None]
    rules = [{"method": m, "path": p} for m in methods for p in paths]
    return [{k: v for k, v in r.items() if v is not None} for r in rules]


def _peer(peer: Peer, ns: str) -> Obj:
    match = dict(peer.labels)
    if peer.service_account is not None:
        match[SERVICE_ACCOUNT_LABEL] = peer.service_account
    namespaces = peer.namespaces_for(ns)
    expressions: list[Obj] = []
    if namespaces is None:  # any namespace: the docs' Exists expression lifts the namespace scoping
        expressions.append({"key": NAMESPACE_LABEL, "operator": "Exists"})
    elif len(namespaces) == 1 and namespaces[0] != ns:
        match[NAMESPACE_LABEL] = namespaces[0]
    elif len(namespaces) > 1:
        expressions.append({"key": NAMESPACE_LABEL, "operator": "In", "values": list(namespaces)})
    selector = _selector(match)
    if expressions:
        selector["matchExpressions"] = expressions
    return selector
