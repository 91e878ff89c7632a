"""Static checks for the policy defects found in the seed (therealmitchconnors/tools many-svc-scenario).

Works on rendered or user manifests (plain dicts). Each finding names the object and says why it
defeats the intent; the policy tests find the same defects by probing, lint explains them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..model import Intent

__all__ = ["Finding", "lint"]

Obj = Mapping[str, Any]
_L7_FIELDS = ("methods", "paths", "hosts", "notMethods", "notPaths", "notHosts")
_FROM_FIELDS = (
    "fromEndpoints", "fromEntities", "fromCIDR", "fromCIDRSet", "fromRequires", "fromNodes", "fromGroups"
)


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    object: str  # "Kind namespace/name"
    reason: str

    def __str__(self) -> str:
        return f"{self.object}: {self.code}: {self.reason}"


def lint(manifests: Iterable[Obj], intents: Sequence[Intent] = ()) -> list[Finding]:
    """Every defect found, in manifest order; `intents` enables the check against the intended paths."""
    objects = list(manifests)
    findings = _missing_api_version(objects) + _duplicates(objects)
    for obj in objects:
        if obj.get("kind") == "AuthorizationPolicy":
            findings += _split_rules(obj) + _l7_on_ztunnel(obj) + _missing_paths(obj, objects, intents)
            findings += _waypoint_identity(obj, objects)
        elif obj.get("kind") in ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"):
            findings += _l4_shadows_l7(obj)
    return findings


def _name(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    ns = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj.get('kind', '?')} {ns}{meta.get('name', '?')}"


def _spec(obj: Obj) -> Mapping[str, Any]:
    return obj.get("spec") or {}


def _missing_api_version(objects: list[Obj]) -> list[Finding]:
    reason = "no apiVersion: kubectl apply refuses it (the seed's ProxyConfig never applied)"
    return [Finding("missing-api-version", _name(o), reason) for o in objects if not o.get("apiVersion")]


def _duplicates(objects: list[Obj]) -> list[Finding]:
    counts = Counter(_name(o) for o in objects if o.get("kind") != "Namespace")
    reason = "defined {} times: the last one silently replaces the others (the seed's two tcp-policy)"
    return [Finding("duplicate-name", name, reason.format(n)) for name, n in counts.items() if n > 1]


def _allow_rules(obj: Obj) -> list[Mapping[str, Any]]:
    spec = _spec(obj)
    return list(spec.get("rules") or []) if spec.get("action", "ALLOW") == "ALLOW" else []


def _split_rules(obj: Obj) -> list[Finding]:
    rules = _allow_rules(obj)
    from_only = [i for i, r in enumerate(rules) if r.get("from") and not r.get("to")]
    to_only = [i for i, r in enumerate(rules) if r.get("to") and not r.get("from")]
    if from_only and to_only:
        reason = (f"rules {from_only} (from only) and {to_only} (to only) are ORed, so any source may reach "
                  "those ports and those sources anything: put from and to in ONE rule")
        return [Finding("istio-split-from-to", _name(obj), reason)]
    if any(not r.get("from") and not r.get("to") and not r.get("when") for r in rules):
        return [Finding("istio-empty-rule", _name(obj), "an empty ALLOW rule matches every request")]
    return []


def _operations(obj: Obj) -> list[Mapping[str, Any]]:
    return [t.get("operation") or {} for r in _allow_rules(obj) for t in r.get("to") or []]


def _l7_on_ztunnel(obj: Obj) -> list[Finding]:
    spec = _spec(obj)
    if spec.get("targetRefs") or spec.get("targetRef"):
        return []
    used = sorted({f for op in _operations(obj) for f in _L7_FIELDS if op.get(f)})
    if not used:
        return []
    reason = (f"a selector (ztunnel) policy with L7 fields {used} fails closed and denies the traffic; "
              "bind L7 rules to a waypoint with targetRefs")
    return [Finding("istio-l7-on-ztunnel", _name(obj), reason)]


def _missing_paths(obj: Obj, objects: list[Obj], intents: Sequence[Intent]) -> list[Finding]:
    ops = _operations(obj)
    if not _spec(obj).get("targetRefs") or not ops or any(op.get("paths") for op in ops):
        return []
    ns = (obj.get("metadata") or {}).get("namespace")
    wanted = any(ns in i.target.namespaces and any(r.http and r.http.paths for r in i.allow) for i in intents)
    cilium = any(_cilium_paths(o) for o in objects if (o.get("metadata") or {}).get("namespace") == ns)
    if not (wanted or cilium):
        return []
    source = "the intent restricts paths" if wanted else "the Cilium policy for this namespace has paths"
    reason = f"{source} but this waypoint policy has none, so every path is allowed (the seed's istioL7)"
    return [Finding("istio-l7-missing-paths", _name(obj), reason)]


def _cilium_paths(obj: Obj) -> bool:
    return obj.get("kind") == "CiliumNetworkPolicy" and any(
        h.get("path") for _, _, http in _port_rules(obj) for h in http or []
    )


def _port_rules(obj: Obj) -> list[tuple[list[Any] | None, str, list[Any] | None]]:
    """(peer selectors or None for 'any source', port, http rules or None) per port of each ingress rule."""
    out = []
    for rule in _spec(obj).get("ingress") or []:
        has_from = any(rule.get(k) is not None for k in _FROM_FIELDS)
        peers = [(k, p) for k in _FROM_FIELDS for p in rule.get(k) or []] if has_from else None
        for to in rule.get("toPorts") or []:
            http = (to.get("rules") or {}).get("http")
            ports = [f"{p.get('port')}/{p.get('protocol', 'ANY')}" for p in to.get("ports") or []]
            out += [(peers, port, http) for port in ports]
    return out


def _l4_shadows_l7(obj: Obj) -> list[Finding]:
    rules = _port_rules(obj)
    bad = sorted({port for peers, port, http in rules if http is None
                  for p2, port2, http2 in rules if http2 and port2 == port and _overlap(peers, p2)})
    reason = "an L4-only rule on port {} also admits peers of an L7 rule there, so its L7 part has no effect"
    return [Finding("cilium-l4-shadows-l7", _name(obj), reason.format(port)) for port in bad]


def _overlap(a: list[Any] | None, b: list[Any] | None) -> bool:
    """Could one source match both? Equal selectors, or an empty one (all pods of the namespace)."""
    if a is None or b is None:
        return True
    return any(x[0] == y[0] and (x[1] == y[1] or not (_selects(x[1]) and _selects(y[1])))
               for x in a for y in b)


def _selects(selector: Any) -> bool:
    keys = ("matchLabels", "matchExpressions")
    return not isinstance(selector, Mapping) or any(selector.get(k) for k in keys)


def _waypoint_identity(obj: Obj, objects: list[Obj]) -> list[Finding]:
    spec, ns = _spec(obj), (obj.get("metadata") or {}).get("namespace")
    rules = _allow_rules(obj)
    if spec.get("targetRefs") or not rules or not _has_waypoint(ns, objects):
        return []
    sources = [f.get("source") or {} for r in rules for f in r.get("from") or [{}]]
    if any(not s or any(p.endswith("/sa/waypoint") for p in s.get("principals") or []) for s in sources):
        return []
    reason = ("the namespace uses a waypoint, so Service traffic reaches these pods with the waypoint's "
              "identity, which no rule allows: everything through the waypoint is denied")
    return [Finding("istio-waypoint-identity", _name(obj), reason)]


def _has_waypoint(ns: str | None, objects: list[Obj]) -> bool:
    for o in objects:
        meta = o.get("metadata") or {}
        if o.get("kind") == "Namespace" and meta.get("name") == ns:
            if (meta.get("labels") or {}).get("istio.io/use-waypoint"):
                return True
        if o.get("kind") == "Gateway" and meta.get("namespace") == ns:
            if _spec(o).get("gatewayClassName") == "istio-waypoint":
                return True
    return False
