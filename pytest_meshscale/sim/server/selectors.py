"""Label and field selectors, parsed once into predicates (the store filters lists and watches with them).

Label syntax as in Kubernetes: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x,y)`, `a`, `!a`,
comma-separated (commas inside parentheses belong to a set). Field selectors: `path=v`, `path==v`,
`path!=v` on dotted paths such as metadata.name, metadata.namespace, spec.nodeName, status.phase.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["SelectorError", "field_predicate", "label_predicate", "match_labels"]

Pred = Callable[[Mapping[str, str]], bool]
_SET_RE = re.compile(r"^\s*(\S+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_KEY_RE = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


class SelectorError(ValueError):
    """A selector that does not parse; the message quotes the bad requirement."""


def _split(text: str) -> list[str]:
    parts: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _key(key: str, req: str) -> str:
    if not _KEY_RE.match(key):
        raise SelectorError(f"unable to parse requirement: invalid label key {key!r} in {req!r}")
    return key


def _requirement(req: str) -> Pred:
    m = _SET_RE.match(req)
    if m:
        key, op = _key(m.group(1), req), m.group(2)
        values = frozenset(v.strip() for v in m.group(3).split(",") if v.strip())
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    for op in ("!=", "==", "="):
        if op in req:
            key, value = (s.strip() for s in req.split(op, 1))
            key = _key(key, req)
            if op == "!=":
                return lambda labels: labels.get(key) != value
            return lambda labels: labels.get(key) == value
    if req.startswith("!"):
        key = _key(req[1:].strip(), req)
        return lambda labels: key not in labels
    key = _key(req, req)
    return lambda labels: key in labels


def label_predicate(selector: str | None) -> Pred | None:
    """A predicate on a labels mapping, or None when the selector selects everything."""
    if not selector or not selector.strip():
        return None
    preds = [_requirement(r) for r in _split(selector)]
    return lambda labels: all(p(labels) for p in preds)


def match_labels(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """A LabelSelector object ({matchLabels, matchExpressions}) against labels; empty selects all."""
    if not selector:
        return True
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in labels
        ok = {
            "In": present and labels.get(key) in values,
            "NotIn": not present or labels.get(key) not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }.get(op, False)
        if not ok:
            return False
    return True


def _field(obj: Mapping[str, Any], path: str) -> str:
    cur: Any = obj
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, Mapping) else None
    return "" if cur is None else str(cur)


def field_predicate(selector: str | None) -> Callable[[Mapping[str, Any]], bool] | None:
    """A predicate on a whole object, or None when the selector selects everything."""
    if not selector or not selector.strip():
        return None
    tests: list[tuple[str, str, bool]] = []
    for req in _split(selector):
        for op in ("!=", "==", "="):
            if op in req:
                path, value = (s.strip() for s in req.split(op, 1))
                tests.append((path, value, op != "!="))
                break
        else:
            raise SelectorError(f"invalid field selector: {req!r} (accepted: path=value, path==value, path!=value)")
    return lambda obj: all((_field(obj, p) == v) == eq for p, v, eq in tests)
