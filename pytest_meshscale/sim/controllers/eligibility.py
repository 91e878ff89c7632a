"""Can a pod spec run on a node: nodeSelector, required node affinity and tolerations vs taints,
with the semantics of the kube-scheduler's NodeAffinity and TaintToleration filters."""

from __future__ import annotations

from typing import Any

from .objects import Obj

__all__ = ["eligible", "tolerates"]


def _expression(expr: Obj, values: dict[str, str]) -> bool:
    key, op, wanted = expr.get("key", ""), expr.get("operator", ""), expr.get("values") or []
    has, value = key in values, values.get(key)
    if op == "In":
        return has and value in wanted
    if op == "NotIn":
        return not has or value not in wanted
    if op == "Exists":
        return has
    if op == "DoesNotExist":
        return not has
    if op in ("Gt", "Lt") and has and wanted:
        try:
            a, b = int(str(value)), int(str(wanted[0]))
        except ValueError:
            return False
        return a > b if op == "Gt" else a < b
    return False


def _term(term: Obj, labels: dict[str, str], name: str) -> bool:
    exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not exprs and not fields:
        return False  # an empty term matches no node (scheduler semantics)
    return all(_expression(e, labels) for e in exprs) and all(_expression(f, {"metadata.name": name}) for f in fields)


def _affinity(spec: Obj, labels: dict[str, str], name: str) -> bool:
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if not required:
        return True
    return any(_term(t, labels, name) for t in required.get("nodeSelectorTerms") or [])


def _toleration_matches(tol: Obj, taint: Obj) -> bool:
    if tol.get("effect") and tol["effect"] != taint.get("effect"):
        return False
    if tol.get("operator") == "Exists":
        return not tol.get("key") or tol["key"] == taint.get("key")
    return bool(tol.get("key") == taint.get("key") and (tol.get("value") or "") == (taint.get("value") or ""))


def tolerates(tolerations: list[Obj], taints: list[Obj]) -> bool:
    """Every NoSchedule/NoExecute taint is tolerated (PreferNoSchedule only lowers a score)."""
    hard = [t for t in taints if t.get("effect") in ("NoSchedule", "NoExecute")]
    return all(any(_toleration_matches(tol, t) for tol in tolerations) for t in hard)


def eligible(spec: Obj, node: Obj) -> bool:
    node_meta: Any = node.get("metadata") or {}
    labels, name = node_meta.get("labels") or {}, node_meta.get("name", "")
    selector = spec.get("nodeSelector") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        return False
    taints = list((node.get("spec") or {}).get("taints") or [])
    return _affinity(spec, labels, name) and tolerates(spec.get("tolerations") or [], taints)
