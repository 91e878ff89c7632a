"""Helpers shared by the policy renderers (render_cilium, render_istio, render_baseline): pure functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..model import Allow, Intent, ProxyAccess, Unsupported, labels_match

__all__ = ["Obj", "check_allow_only", "check_proxy_access", "effective_rules", "metadata", "namespace_patch"]

Obj = dict[str, Any]  # one manifest, as the Kubernetes client takes it


def metadata(name: str, namespace: str, labels: Mapping[str, str]) -> Obj:
    return {"name": name, "namespace": namespace, "labels": dict(labels)}


def namespace_patch(namespace: str, add: Mapping[str, str], labels: Mapping[str, str]) -> Obj:
    """A Namespace manifest that only carries labels: apply it as a merge patch, never create or delete."""
    meta = {"name": namespace, "labels": {**labels, **add}}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def effective_rules(intent: Intent) -> tuple[Allow, ...]:
    """The allow rules minus HTTP rules made moot by an L4 rule for the same peers and ports.

    Both meshes take the union, so such an HTTP rule only misleads a reader (Cilium's docs: the L7
    part "will have no effect"); dropping it keeps rendered policies free of that defect.
    """
    l4 = [r for r in intent.allow if r.http is None]
    return tuple(r for r in intent.allow if r.http is None or not any(_shadows(q, r) for q in l4))


def _shadows(l4: Allow, l7: Allow) -> bool:
    return set(l7.ports) <= set(l4.ports) and all(p in l4.peers for p in l7.peers)


def check_allow_only(mesh: str, intents: Sequence[Intent]) -> None:
    """Istio ALLOW policies and NetworkPolicies deny whatever they do not match: an allow-only intent
    (default_deny: false) can only be rendered where a default-deny intent covers the same pods."""
    for intent in intents:
        if not intent.default_deny and not any(_covers(other, intent) for other in intents):
            raise Unsupported(mesh, f"intent {intent.name} has default_deny: false, and every {mesh} "
                              "allow policy denies what it does not match; add a default-deny intent")


def _covers(other: Intent, intent: Intent) -> bool:
    t, o = intent.target, other.target
    return other.default_deny and set(t.namespaces) <= set(o.namespaces) and labels_match(o.labels, t.labels)


def check_proxy_access(mesh: str, intents: Sequence[Intent], proxy: ProxyAccess | None) -> None:
    """Probes reach the clients through the API server's pod proxy, which has no pod identity or
    label; a policy on the client pods would have to open that port to every source."""
    for intent in intents:
        if proxy is not None and intent.default_deny and labels_match(intent.target.labels, proxy.labels):
            raise Unsupported(mesh, f"intent {intent.name} selects the probe clients ({dict(proxy.labels)}); "
                              f"the API server's pod proxy to port {proxy.port} cannot be told apart there")
