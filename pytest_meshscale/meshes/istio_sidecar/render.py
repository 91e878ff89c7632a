"""Intent -> Istio sidecar-mode objects: one selector AuthorizationPolicy per intent and namespace, and STRICT
mTLS. Pure.

From istio.io (security/authorization, reference/config/security/authorization-policy) and istio/istio
pilot/pkg/networking/core/listener_inbound.go: in sidecar mode every policy is enforced by the destination
workload's own sidecar, which sees HTTP on an HTTP port, so L4 and L7 rules (methods, paths) sit in the same
selector policy; there is no waypoint and no targetRefs. On an HTTP port the sidecar's HTTP RBAC filter answers
every deny, an L4 one too, with 403 `RBAC: access denied` (listener_inbound.go: "Since this is HTTP, we only add
WASM network filters -- not TCP RBAC"); only a TCP port's network RBAC filter denies by closing the connection.
Each rule is ONE rule with `from` AND `to` (the seed's split tcp-policy is caught by lint and the policy suite).
Sources are identified by SPIFFE principal (namespace and service account), as in ambient: the same rule
builder (meshes/istio_ambient/render.py) serves both."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ...model import Intent, ProxyAccess
from ..istio_ambient.render import authz_policy, authz_rule, check_istio_intents
from ..render_common import Obj, effective_rules

__all__ = ["INJECTION_LABELS", "render_sidecar"]

INJECTION_LABELS = {"istio-injection": "enabled"}  # the default revision's injector selects these namespaces


def render_sidecar(intents: Sequence[Intent], labels: Mapping[str, str], *, proxy_access: ProxyAccess | None = None,
                   trust_domain: str = "cluster.local", mesh: str = "istio-sidecar") -> list[Obj]:
    """The policies only: injection is decided when a pod is created, so labelling a namespace here would not
    give its running pods a sidecar; the fleet's namespaces carry INJECTION_LABELS from their creation."""
    check_istio_intents(mesh, intents, proxy_access)
    objects = []
    for intent in intents:
        rules = effective_rules(intent)
        selector = {"selector": {"matchLabels": dict(intent.target.labels)}} if intent.target.labels else {}
        for ns in intent.target.namespaces:
            spec = {**selector, "action": "ALLOW"}
            objects.append(authz_policy(intent.name, ns, labels, spec, [authz_rule(r, ns, trust_domain, None)
                                                                           for r in rules]))
    return objects
