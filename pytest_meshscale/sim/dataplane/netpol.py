"""Kubernetes NetworkPolicy, ingress side (enforced by Cilium and by the baseline CNI): L4 only.

Semantics (kubernetes.io NetworkPolicy docs): a pod selected by any policy whose policyTypes include
Ingress is isolated; a connection is allowed if any rule of any such policy admits its source and port.
Egress is not modelled (the suites only write ingress policy).
"""

from __future__ import annotations

from typing import Any

from ..server.selectors import match_labels
from .outcome import Outcome, Request, allow, deny_l4
from .peer import Peer, in_cidr
from .ports import port_matches

__all__ = ["NetpolRule", "enforce_netpols", "selecting_netpols"]

Obj = dict[str, Any]
CNI = "CNI (NetworkPolicy)"


class NetpolRule:
    """One ingress rule of one NetworkPolicy, as a matcher."""

    def __init__(self, policy: Obj, rule: Obj) -> None:
        self.policy_ns = str(policy["metadata"].get("namespace", ""))
        self.name = f"NetworkPolicy {self.policy_ns}/{policy['metadata'].get('name')}"
        self.peers = rule.get("from")
        self.ports = rule.get("ports")

    def admits(self, src: Peer, dst: Obj, port: int) -> bool:
        return self._peer_ok(src) and self._port_ok(dst, port)

    def _peer_ok(self, src: Peer) -> bool:
        if not self.peers:
            return True  # absent/empty `from` admits every source
        return any(self._one_peer(p, src) for p in self.peers)

    def _one_peer(self, peer: Obj, src: Peer) -> bool:
        if "ipBlock" in peer:
            block = peer["ipBlock"] or {}
            return in_cidr(src.ip, str(block.get("cidr", "")), block.get("except"))
        if src.kind != "pod":
            return False  # pod/namespace selectors never match the API server
        if "namespaceSelector" in peer:
            if not match_labels(peer["namespaceSelector"], src.ns_labels):
                return False
        elif src.namespace != self.policy_ns:
            return False
        return "podSelector" not in peer or match_labels(peer["podSelector"], src.labels)

    def _port_ok(self, dst: Obj, port: int) -> bool:
        if not self.ports:
            return True
        return any(
            str(p.get("protocol") or "TCP").upper() == "TCP"
            and port_matches(p.get("port"), p.get("endPort"), dst, port)
            for p in self.ports
        )


def selecting_netpols(store: Any, dst: Obj) -> list[NetpolRule] | None:
    """The ingress rules that apply to dst, or None when no NetworkPolicy isolates it."""
    ns = str(dst["metadata"].get("namespace", ""))
    labels = dst["metadata"].get("labels") or {}
    rules: list[NetpolRule] | None = None
    for pol in store.list("networkpolicies.networking.k8s.io", ns)[0]:
        spec = pol.get("spec") or {}
        types = spec.get("policyTypes") or ["Ingress"]
        if "Ingress" not in types or not match_labels(spec.get("podSelector") or {}, labels):
            continue
        rules = rules or []
        rules += [NetpolRule(pol, r) for r in spec.get("ingress") or []]
    return rules


def enforce_netpols(store: Any, src: Peer, req: Request, mesh_outcome: Outcome | None) -> Outcome:
    """Kubernetes NetworkPolicy by the node's CNI (the baseline; also under a mesh that leaves it to the CNI),
    after the mesh allowed the request with `mesh_outcome` (None: no mesh decided)."""
    rules = selecting_netpols(store, req.dst)
    if rules is None:
        return mesh_outcome or allow("CNI (no NetworkPolicy isolates the destination)", req.dst)
    admitted = next((r for r in rules if r.admits(src, req.dst, req.target_port)), None)
    if admitted is None:
        return deny_l4(CNI, "timeout", "no NetworkPolicy rule admits this source and port", req.dst)
    return mesh_outcome or allow(CNI, req.dst, f"admitted by {admitted.name}")
