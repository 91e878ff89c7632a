"""Istio AuthorizationPolicy rule matching (security.istio.io v1/v1beta1), for ztunnel and waypoints.

Semantics (istio.io authorization-policy reference): a rule matches when from AND to AND when match;
entries of from/to/when are ORed; fields inside one source/operation are ANDed; values support exact,
`prefix*`, `*suffix` and `*`; paths also `{*}` and `{**}` templates. CUSTOM/AUDIT policies are skipped.
ztunnel cannot see L7 attributes (methods, paths, hosts, requestPrincipals, request.* keys): it fails
closed -- such an ALLOW rule never matches, such a DENY rule matches on its L4 part alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...dataplane.peer import in_cidr

__all__ = ["AuthzContext", "decide_authz", "policy_name"]

Obj = dict[str, Any]
L7_OPERATION = ("hosts", "notHosts", "methods", "notMethods", "paths", "notPaths")
L7_SOURCE = ("requestPrincipals", "notRequestPrincipals")


@dataclass(frozen=True, slots=True)
class AuthzContext:
    principal: str  # '' = no mTLS identity (plaintext source)
    namespace: str
    ip: str
    port: int
    method: str = ""
    path: str = ""
    host: str = ""
    l7: bool = False  # True at a waypoint (sees HTTP), False at ztunnel


def policy_name(p: Obj) -> str:
    return f"AuthorizationPolicy {p['metadata'].get('namespace')}/{p['metadata'].get('name')}"


def _glob(pattern: str, value: str, fold: bool = False) -> bool:
    if fold:
        pattern, value = pattern.lower(), value.lower()
    if pattern == "*":
        return True
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    return pattern == value


def _path(pattern: str, value: str) -> bool:
    if "{*}" in pattern or "{**}" in pattern:
        rx = re.escape(pattern).replace(r"\{\*\*\}", ".+").replace(r"\{\*\}", "[^/]+")
        return re.fullmatch(rx, value) is not None
    return _glob(pattern, value)


def _field(values: list[Any] | None, value: str, match: Any = _glob) -> bool | None:
    """None when the field is absent; else whether any value matches."""
    if values is None:
        return None
    return any(match(str(v), value) for v in values)


def _check(spec: Obj, key: str, value: str | None, match: Any = _glob) -> bool:
    """Positive field `key` and its `notKey` twin against value (None = attribute unknown: no match)."""
    pos, neg = spec.get(key), spec.get("not" + key[0].upper() + key[1:])
    if pos is not None and (value is None or not _field(pos, value, match)):
        return False
    return not (neg is not None and value is not None and _field(neg, value, match))


def _source(src: Obj, ctx: AuthzContext) -> bool:
    ident = ctx.principal or None
    ns = ctx.namespace if ident else None
    sa = f"{ctx.namespace}/{ident.rsplit('/', 1)[-1]}" if ident else None
    ips = (src.get("ipBlocks") or []) + (src.get("remoteIpBlocks") or [])
    if ips and not any(in_cidr(ctx.ip, b if "/" in b else b + "/32") for b in ips):
        return False
    nots = (src.get("notIpBlocks") or []) + (src.get("notRemoteIpBlocks") or [])
    if any(in_cidr(ctx.ip, b if "/" in b else b + "/32") for b in nots):
        return False
    return (
        _check(src, "principals", ident)
        and _check(src, "namespaces", ns)
        and _check(src, "serviceAccounts", sa)
        and _check(src, "requestPrincipals", None)
    )


def _operation(op: Obj, ctx: AuthzContext) -> bool:
    return (
        _check(op, "ports", str(ctx.port))
        and _check(op, "methods", ctx.method)
        and _check(op, "paths", ctx.path, _path)
        and _check(op, "hosts", ctx.host, _hostmatch)
    )


def _hostmatch(pattern: str, value: str) -> bool:
    return _glob(pattern, value, fold=True) or _glob(pattern, value.split(":")[0], fold=True)


WHEN_KEYS: dict[str, Callable[[AuthzContext], str | None]] = {
    "source.ip": lambda c: c.ip,
    "source.namespace": lambda c: c.namespace if c.principal else None,
    "source.principal": lambda c: c.principal or None,
    "destination.port": lambda c: str(c.port),
}


def _when(cond: Obj, ctx: AuthzContext) -> bool:
    getter = WHEN_KEYS.get(str(cond.get("key")))
    value = getter(ctx) if getter else None
    if value is None:
        return False
    if cond.get("values") is not None and not any(_glob(str(v), value) for v in cond["values"]):
        return False
    return not any(_glob(str(v), value) for v in cond.get("notValues") or [])


def has_l7(rule: Obj) -> bool:
    ops = [t.get("operation") or {} for t in rule.get("to") or []]
    srcs = [f.get("source") or {} for f in rule.get("from") or []]
    whens = [str(w.get("key", "")) for w in rule.get("when") or []]
    return (
        any(k in op for op in ops for k in L7_OPERATION)
        or any(k in s for s in srcs for k in L7_SOURCE)
        or any(k.startswith("request.") for k in whens)
    )


def _strip_l7(rule: Obj) -> Obj:
    to = [
        {"operation": {k: v for k, v in (t.get("operation") or {}).items() if k not in L7_OPERATION}}
        for t in rule.get("to") or []
    ]
    when = [w for w in rule.get("when") or [] if not str(w.get("key", "")).startswith("request.")]
    return {**rule, "to": to or None, "when": when or None}


def rule_matches(rule: Obj, ctx: AuthzContext, action: str) -> bool:
    if not ctx.l7 and has_l7(rule):
        if action == "ALLOW":
            return False  # fail closed: ztunnel cannot honour the L7 part
        rule = _strip_l7(rule)
    froms, tos, whens = rule.get("from"), rule.get("to"), rule.get("when")
    return (
        (not froms or any(_source(f.get("source") or {}, ctx) for f in froms))
        and (not tos or any(_operation(t.get("operation") or {}, ctx) for t in tos))
        and (not whens or all(_when(w, ctx) for w in whens))
    )


def decide_authz(policies: list[Obj], ctx: AuthzContext) -> tuple[bool, str]:
    """(allowed, reason) after DENY then ALLOW evaluation; no applicable ALLOW policy = allowed."""
    by_action: dict[str, list[Obj]] = {"DENY": [], "ALLOW": []}
    for p in policies:
        action = str((p.get("spec") or {}).get("action") or "ALLOW")
        by_action.get(action, []).append(p)
    for p in by_action["DENY"]:
        if any(rule_matches(r, ctx, "DENY") for r in (p.get("spec") or {}).get("rules") or []):
            return False, f"DENY rule of {policy_name(p)} matches"
    if not by_action["ALLOW"]:
        return True, "no ALLOW policy applies"
    for p in by_action["ALLOW"]:
        if any(rule_matches(r, ctx, "ALLOW") for r in (p.get("spec") or {}).get("rules") or []):
            return True, f"ALLOW rule of {policy_name(p)} matches"
    names = ", ".join(policy_name(p) for p in by_action["ALLOW"])
    return False, f"no ALLOW rule matches ({names})"
