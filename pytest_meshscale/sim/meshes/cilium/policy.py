"""Cilium ingress policy: CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy and NetworkPolicy.

Semantics (docs in ../domain/cilium-and-policy.md §3): an endpoint selected by any ingress rule is
default-deny for ingress (unless enableDefaultDeny.ingress is false); ingressDeny wins over allow; an
L4-only allow on the port overrides the L7 parts of other rules; otherwise the request must match one
http rule (method/path/host are extended regexes matched against the whole value). Drops time out
(eBPF), L7 denies are Envoy's 403 `Access denied`. CNP selectors are scoped to the policy's namespace
unless they name `k8s:io.kubernetes.pod.namespace`. Egress policy is not modelled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ...dataplane.netpol import selecting_netpols
from ...dataplane.outcome import Outcome, Request, allow, deny_l4, deny_l7
from ...dataplane.peer import Peer, in_cidr
from ...dataplane.ports import port_matches
from ...server.selectors import match_labels

__all__ = ["ACCESS_DENIED_CILIUM", "evaluate_cilium", "identity_labels"]

Obj = dict[str, Any]
NS_KEY = "io.kubernetes.pod.namespace"
EBPF, ENVOY = "cilium-agent (eBPF policy)", "cilium-envoy (L7 policy)"
ACCESS_DENIED_CILIUM = "Access denied\r\n"  # the body of Envoy's L7 deny (Cilium demo.rst)
ENTITIES = {"pod": {"all", "cluster"}, "apiserver": {"all", "cluster", "kube-apiserver"}}


def identity_labels(peer: Peer) -> dict[str, str]:
    """The labels Cilium derives for an identity (source prefix `k8s:` dropped; entities as reserved:)."""
    if peer.kind != "pod":
        return {f"reserved:{e}": "" for e in ENTITIES[peer.kind] - {"all", "cluster"}}
    labels = dict(peer.labels)
    labels[NS_KEY] = peer.namespace
    labels["io.cilium.k8s.policy.serviceaccount"] = peer.service_account
    labels.update({f"io.cilium.k8s.namespace.labels.{k}": v for k, v in peer.ns_labels.items()})
    return labels


def _key(key: str) -> str:
    for prefix in ("k8s:", "any:"):
        if key.startswith(prefix):
            return key[len(prefix) :]
    return key


def _normalise(sel: Obj) -> Obj:
    exprs = [{**e, "key": _key(str(e.get("key", "")))} for e in sel.get("matchExpressions") or []]
    return {"matchLabels": {_key(k): v for k, v in (sel.get("matchLabels") or {}).items()}, "matchExpressions": exprs}


def _selects(sel: Obj | None, labels: dict[str, str], scope_ns: str | None) -> bool:
    """A Cilium EndpointSelector; scope_ns adds the implicit namespace match of a namespaced policy."""
    norm = _normalise(sel or {})
    names_ns = NS_KEY in norm["matchLabels"] or any(e["key"] == NS_KEY for e in norm["matchExpressions"])
    reserved = any(k.startswith("reserved:") for k in norm["matchLabels"])
    if scope_ns is not None and not names_ns and not reserved and labels.get(NS_KEY) != scope_ns:
        return False
    return match_labels(norm, labels)


@dataclass(frozen=True, slots=True)
class _Match:
    name: str
    http: tuple[Obj, ...] | None  # None = L4-only on this port


class _Policy:
    def __init__(self, obj: Obj, spec: Obj) -> None:
        self.ns = obj["metadata"].get("namespace")  # None for the clusterwide kind
        kind = "CiliumNetworkPolicy" if self.ns else "CiliumClusterwideNetworkPolicy"
        self.name = f"{kind} {(self.ns + '/') if self.ns else ''}{obj['metadata'].get('name')}"
        self.spec = spec

    def selects(self, dst_labels: dict[str, str]) -> bool:
        sel = self.spec.get("endpointSelector")
        return sel is not None and _selects(sel, dst_labels, self.ns)

    def enforces(self) -> bool:
        default_deny = (self.spec.get("enableDefaultDeny") or {}).get("ingress", True)
        return bool(default_deny) and ("ingress" in self.spec or "ingressDeny" in self.spec)

    def matches(self, section: str, src: Peer, dst: Obj, port: int) -> list[_Match]:
        found: list[_Match] = []
        for rule in self.spec.get(section) or []:
            if self._peer(rule, src):
                found += self._ports(rule, dst, port)
        return found

    def _peer(self, rule: Obj, src: Peer) -> bool:
        keys = ("fromEndpoints", "fromEntities", "fromCIDR", "fromCIDRSet")
        if not any(rule.get(k) for k in keys):
            # no L3 part: an L4 rule admits every source; an empty rule `{}` admits nothing (the docs'
            # examples/policies/l3/egress-default-deny uses `- {}` for an explicit default deny)
            return bool(rule.get("toPorts"))
        labels = identity_labels(src)
        if any(_selects(s, labels, self.ns) for s in rule.get("fromEndpoints") or []):
            return True
        if set(rule.get("fromEntities") or []) & ENTITIES[src.kind]:
            return True
        cidrs = [{"cidr": c} for c in rule.get("fromCIDR") or []] + list(rule.get("fromCIDRSet") or [])
        return any(in_cidr(src.ip, str(c.get("cidr", "")), c.get("except")) for c in cidrs)

    def _ports(self, rule: Obj, dst: Obj, port: int) -> list[_Match]:
        if not rule.get("toPorts"):
            return [_Match(self.name, None)]
        found = []
        for tp in rule["toPorts"]:
            if any(
                _proto_ok(p) and port_matches(p.get("port"), p.get("endPort"), dst, port)
                for p in tp.get("ports") or [{}]
            ):
                http = (tp.get("rules") or {}).get("http")
                found.append(_Match(self.name, tuple(http) if http else None))
        return found


def _proto_ok(p: Obj) -> bool:
    return str(p.get("protocol") or "ANY").upper() in ("TCP", "ANY")


def _policies(store: Any, ns: str) -> list[_Policy]:
    found = []
    scopes = (("ciliumnetworkpolicies.cilium.io", ns), ("ciliumclusterwidenetworkpolicies.cilium.io", None))
    for resource, scope in scopes:
        for obj in store.list(resource, scope)[0]:
            spec = obj.get("spec")
            specs = ([spec] if spec else []) + list(obj.get("specs") or [])
            found += [_Policy(obj, s) for s in specs]
    return found


def _full(pattern: Any, value: str) -> bool:
    if pattern in (None, ""):
        return True
    try:
        return re.fullmatch(str(pattern), value) is not None
    except re.error:
        return False  # an invalid regex matches nothing (Cilium rejects the rule)


def http_rule_matches(rule: Obj, req: Request) -> bool:
    if rule.get("headers") or rule.get("headerMatches"):
        return False  # the sim's requests carry no custom headers
    return (
        _full(rule.get("method"), req.method)
        and _full(rule.get("path"), req.path)
        and _full(rule.get("host"), req.host)
    )


def evaluate_cilium(store: Any, src: Peer, req: Request, dst_peer: Peer, l7_bypass: bool) -> Outcome:
    dst, port = req.dst, req.target_port
    policies = [p for p in _policies(store, dst_peer.namespace) if p.selects(identity_labels(dst_peer))]
    netpols = selecting_netpols(store, dst)
    if not any(p.enforces() for p in policies) and netpols is None:
        return allow("cilium-agent (no ingress policy selects the destination)", dst)
    denies = [m for p in policies for m in p.matches("ingressDeny", src, dst, port)]
    if denies:
        return deny_l4(EBPF, "timeout", f"POLICY_DENY by {denies[0].name}", dst)
    matches = [m for p in policies for m in p.matches("ingress", src, dst, port)]
    matches += [_Match(r.name, None) for r in netpols or [] if r.admits(src, dst, port)]
    if not matches:
        return deny_l4(EBPF, "timeout", "POLICY_DENIED: default deny, no rule admits this source/port", dst)
    l4_only = [m for m in matches if m.http is None]
    if l4_only:
        return allow(EBPF, dst, f"L4 rule of {l4_only[0].name}")
    for m in matches:
        if any(http_rule_matches(r, req) for r in m.http or ()):
            return allow(ENVOY, dst, f"http rule of {m.name}")
    if l7_bypass:
        return allow(ENVOY, dst, "l7-bypass fault: the http rules were not enforced")
    return deny_l7(
        ENVOY, ACCESS_DENIED_CILIUM, f"no http rule of {matches[0].name} matches {req.method} {req.path}", dst
    )
