"""Lint of Istio AuthorizationPolicies for the seed's defects: from/to split into two ORed rules, an
empty rule, L7 fields on a ztunnel (selector) policy, a waypoint policy without the intended paths, and a
selector policy that forgets the waypoint's identity."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ...model import Intent
from ..lint_base import Check, Finding, Obj, name_of, spec_of

__all__ = ["CHECKS"]

_L7_FIELDS = ("methods", "paths", "hosts", "notMethods", "notPaths", "notHosts")


def _allow_rules(obj: Obj) -> list[Mapping[str, Any]]:
    spec = spec_of(obj)
    return list(spec.get("rules") or []) if spec.get("action", "ALLOW") == "ALLOW" else []


def _split_rules(obj: Obj) -> list[Finding]:
    rules = _allow_rules(obj)
    from_only = [i for i, r in enumerate(rules) if r.get("from") and not r.get("to")]
    to_only = [i for i, r in enumerate(rules) if r.get("to") and not r.get("from")]
    if from_only and to_only:
        reason = (f"rules {from_only} (from only) and {to_only} (to only) are ORed, so any source may reach "
                  "those ports and those sources anything: put from and to in ONE rule")
        return [Finding("istio-split-from-to", name_of(obj), reason)]
    if any(not r.get("from") and not r.get("to") and not r.get("when") for r in rules):
        return [Finding("istio-empty-rule", name_of(obj), "an empty ALLOW rule matches every request")]
    return []


def _operations(obj: Obj) -> list[Mapping[str, Any]]:
    return [t.get("operation") or {} for r in _allow_rules(obj) for t in r.get("to") or []]


def _l7_on_ztunnel(obj: Obj) -> list[Finding]:
    spec = spec_of(obj)
    if spec.get("targetRefs") or spec.get("targetRef"):
        return []
    used = sorted({f for op in _operations(obj) for f in _L7_FIELDS if op.get(f)})
    if not used:
        return []
    reason = (f"a selector (ztunnel) policy with L7 fields {used} fails closed and denies the traffic; "
              "bind L7 rules to a waypoint with targetRefs")
    return [Finding("istio-l7-on-ztunnel", name_of(obj), reason)]


def _missing_paths(obj: Obj, intents: Sequence[Intent], paths: Callable[[Any], bool]) -> list[Finding]:
    ops = _operations(obj)
    if not spec_of(obj).get("targetRefs") or not ops or any(op.get("paths") for op in ops):
        return []
    ns = (obj.get("metadata") or {}).get("namespace")
    wanted = any(ns in i.target.namespaces and any(r.http and r.http.paths for r in i.allow) for i in intents)
    elsewhere = paths(ns)
    if not (wanted or elsewhere):
        return []
    source = "the intent restricts paths" if wanted else "another policy for this namespace has paths"
    reason = f"{source} but this waypoint policy has none, so every path is allowed (the seed's istioL7)"
    return [Finding("istio-l7-missing-paths", name_of(obj), reason)]


def _waypoint_identity(obj: Obj, objects: list[Obj]) -> list[Finding]:
    spec, ns = spec_of(obj), (obj.get("metadata") or {}).get("namespace")
    rules = _allow_rules(obj)
    if spec.get("targetRefs") or not rules or not _has_waypoint(ns, objects):
        return []
    sources = [f.get("source") or {} for r in rules for f in r.get("from") or [{}]]
    if any(not s or any(p.endswith("/sa/waypoint") for p in s.get("principals") or []) for s in sources):
        return []
    reason = ("the namespace uses a waypoint, so Service traffic reaches these pods with the waypoint's "
              "identity, which no rule allows: everything through the waypoint is denied")
    return [Finding("istio-waypoint-identity", name_of(obj), reason)]


def _has_waypoint(ns: str | None, objects: list[Obj]) -> bool:
    for o in objects:
        meta = o.get("metadata") or {}
        if o.get("kind") == "Namespace" and meta.get("name") == ns:
            if (meta.get("labels") or {}).get("istio.io/use-waypoint"):
                return True
        if o.get("kind") == "Gateway" and meta.get("namespace") == ns:
            if spec_of(o).get("gatewayClassName") == "istio-waypoint":
                return True
    return False


def _check(obj: Obj, objects: list[Obj], intents: Sequence[Intent], paths: Callable[[Any], bool]) -> list[Finding]:
    return (_split_rules(obj) + _l7_on_ztunnel(obj) + _missing_paths(obj, intents, paths)
            + _waypoint_identity(obj, objects))


CHECKS: dict[str, Check] = {"AuthorizationPolicy": _check}
