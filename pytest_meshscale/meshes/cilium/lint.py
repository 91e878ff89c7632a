"""Lint of CiliumNetworkPolicies: an L4-only rule that shadows the L7 rule on the same port."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ...model import Intent
from ..lint_base import Check, Finding, Obj, name_of, spec_of

__all__ = ["CHECKS", "declares_paths"]

_FROM_FIELDS = (
    "fromEndpoints", "fromEntities", "fromCIDR", "fromCIDRSet", "fromRequires", "fromNodes", "fromGroups"
)


def declares_paths(obj: Obj) -> bool:
    return obj.get("kind") == "CiliumNetworkPolicy" and any(
        h.get("path") for _, _, http in _port_rules(obj) for h in http or []
    )


def _port_rules(obj: Obj) -> list[tuple[list[Any] | None, str, list[Any] | None]]:
    """(peer selectors or None for 'any source', port, http rules or None) per port of each ingress rule."""
    out = []
    for rule in spec_of(obj).get("ingress") or []:
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
    return [Finding("cilium-l4-shadows-l7", name_of(obj), reason.format(port)) for port in bad]


def _overlap(a: list[Any] | None, b: list[Any] | None) -> bool:
    """Could one source match both? Equal selectors, or an empty one (all pods of the namespace)."""
    if a is None or b is None:
        return True
    return any(x[0] == y[0] and (x[1] == y[1] or not (_selects(x[1]) and _selects(y[1])))
               for x in a for y in b)


def _selects(selector: Any) -> bool:
    keys = ("matchLabels", "matchExpressions")
    return not isinstance(selector, Mapping) or any(selector.get(k) for k in keys)


def _check(obj: Obj, objects: list[Obj], intents: Sequence[Intent], paths: Callable[[Any], bool]) -> list[Finding]:
    return _l4_shadows_l7(obj)


CHECKS: dict[str, Check] = {"CiliumNetworkPolicy": _check, "CiliumClusterwideNetworkPolicy": _check}
