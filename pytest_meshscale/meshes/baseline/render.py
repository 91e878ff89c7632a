"""Intent -> Kubernetes NetworkPolicy (networking.k8s.io/v1): the no-mesh baseline, L4 only. Pure.

NetworkPolicy has no HTTP rules and no service-account peers: an intent with HTTP rules, or a peer
named only by service account, is Unsupported (the reason becomes the skip message). A peer with both
labels and a service account is rendered by its labels (the fleet's accounts match its labels).
Selecting pods isolates them for ingress, so default deny is implicit; `ingress: []` denies all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ...model import Allow, Intent, Peer, ProxyAccess, Unsupported
from ..render_common import Obj, check_allow_only, check_proxy_access, metadata

__all__ = ["render_baseline"]

_NAME_LABEL = "kubernetes.io/metadata.name"  # set on every namespace by the API server


def render_baseline(
    intents: Sequence[Intent], labels: Mapping[str, str], *, proxy_access: ProxyAccess | None = None
) -> list[Obj]:
    """One NetworkPolicy per intent per target namespace, each carrying `labels`."""
    _check(intents, proxy_access)
    return [_policy(i, ns, labels) for i in intents for ns in i.target.namespaces]


def _check(intents: Sequence[Intent], proxy: ProxyAccess | None) -> None:
    for intent in intents:
        if intent.has_l7:
            raise Unsupported("baseline", f"baseline has no L7 policy: intent {intent.name} has HTTP rules")
        if any(p.service_account and not p.labels for r in intent.allow for p in r.peers):
            raise Unsupported("baseline", f"intent {intent.name} names a peer only by service account")
    check_allow_only("baseline", intents)
    check_proxy_access("baseline", intents, proxy)


def _policy(intent: Intent, ns: str, labels: Mapping[str, str]) -> Obj:
    spec = {
        "podSelector": {"matchLabels": dict(intent.target.labels)},
        "policyTypes": ["Ingress"],
        "ingress": [_ingress(rule, ns) for rule in intent.allow],
    }
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": metadata(intent.name, ns, labels), "spec": spec}


def _ingress(rule: Allow, ns: str) -> Obj:
    ports = [{"protocol": "TCP", "port": p} for p in rule.ports]
    return {"from": [_peer(p, ns) for p in rule.peers], "ports": ports}


def _peer(peer: Peer, ns: str) -> Obj:
    out: Obj = {"podSelector": {"matchLabels": dict(peer.labels)}}
    namespaces = peer.namespaces_for(ns)
    if namespaces is None:
        out["namespaceSelector"] = {}
    elif namespaces != (ns,):  # a bare podSelector means the policy's own namespace
        expression = {"key": _NAME_LABEL, "operator": "In", "values": list(namespaces)}
        out["namespaceSelector"] = {"matchExpressions": [expression]}
    return out
