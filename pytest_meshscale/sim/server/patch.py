"""The four PATCH flavours: JSON merge (RFC 7386), JSON patch (RFC 6902), strategic merge (lists merged
by their Kubernetes merge keys) and server-side apply (here: create-or-strategic-merge)."""

from __future__ import annotations

from typing import Any

from .storetypes import ApiError, clone

__all__ = ["MERGE_KEYS", "json_patch", "merge_patch", "strategic_merge"]

# Field name -> merge key of the lists Kubernetes merges by key (patchMergeKey in the API types).
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
    "conditions": "type",
    "ownerReferences": "uid",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
}
_PORT_KEYS = {"containerPort", "port"}  # container ports merge on containerPort, service ports on port


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, null deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return clone(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _merge_key(field: str, items: list[Any]) -> str | None:
    if field == "ports":
        for item in items:
            found = _PORT_KEYS & set(item) if isinstance(item, dict) else set()
            if found:
                return sorted(found)[0]
        return None
    return MERGE_KEYS.get(field)


def _merge_list(field: str, target: list[Any], patch: list[Any]) -> list[Any]:
    key = _merge_key(field, patch + target)
    if key is None or not all(isinstance(i, dict) for i in patch + target):
        return [clone(p) for p in patch if not (isinstance(p, dict) and "$patch" in p)]
    if any(isinstance(p, dict) and p.get("$patch") == "replace" for p in patch):
        return [clone({k: v for k, v in p.items() if k != "$patch"}) for p in patch if p.get("$patch") != "replace"]
    out = [dict(t) for t in target]
    index = {t.get(key): i for i, t in enumerate(out)}
    for item in patch:
        if item.get("$patch") == "delete":
            out = [t for t in out if t.get(key) != item.get(key)]
            index = {t.get(key): i for i, t in enumerate(out)}
        elif item.get(key) in index:
            out[index[item[key]]] = strategic_merge(out[index[item[key]]], item)
        else:
            index[item.get(key)] = len(out)
            out.append(strategic_merge({}, item))
    return out


def strategic_merge(target: Any, patch: Any, field: str = "") -> Any:
    """Strategic merge patch: like merge patch, but keyed lists merge by key and $patch/$setElementOrder/
    $retainKeys/$deleteFromPrimitiveList directives are honoured or dropped as the API server does."""
    if not isinstance(patch, dict):
        return clone(patch)
    if patch.get("$patch") == "replace":
        return clone({k: v for k, v in patch.items() if k != "$patch"})
    if patch.get("$patch") == "delete":
        return None
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$deleteFromPrimitiveList/"):
            name = key.split("/", 1)[1]
            out[name] = [v for v in out.get(name) or [] if v not in value]
        elif key.startswith("$"):
            continue  # $setElementOrder, $retainKeys: ordering/pruning hints the sim does not need
        elif value is None:
            out.pop(key, None)
        elif isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = _merge_list(key, out[key], value)
        elif isinstance(value, dict):
            merged = strategic_merge(out.get(key), value, key)
            if merged is None:
                out.pop(key, None)
            else:
                out[key] = merged
        else:
            out[key] = clone(value)
    return out


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise ApiError(422, "Invalid", f"json patch: path {path!r} must start with '/'")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str], path: str) -> Any:
    cur = doc
    for part in parts[:-1]:
        try:
            cur = cur[int(part)] if isinstance(cur, list) else cur[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise ApiError(422, "Invalid", f"json patch: path {path!r} does not exist") from None
    return cur


def _apply_op(doc: Any, op: dict[str, Any]) -> Any:
    kind, path = op.get("op"), str(op.get("path", ""))
    parts = _pointer(path)
    if kind in ("move", "copy"):
        value = _get(doc, _pointer(str(op.get("from", ""))), str(op.get("from")))
        if kind == "move":
            doc = _apply_op(doc, {"op": "remove", "path": op.get("from")})
        return _apply_op(doc, {"op": "add", "path": path, "value": value})
    if kind == "test":
        if _get(doc, parts, path) != op.get("value"):
            raise ApiError(422, "Invalid", f"json patch: test failed at {path!r}")
        return doc
    if not parts:
        return clone(op.get("value")) if kind in ("add", "replace") else None
    parent, last = _parent(doc, parts, path), parts[-1]
    if kind in ("add", "replace") and isinstance(parent, list):
        i = len(parent) if last == "-" else int(last)
        parent[i : i + (kind == "replace")] = [clone(op.get("value"))]
    elif kind in ("add", "replace") and isinstance(parent, dict):
        if kind == "replace" and last not in parent:
            raise ApiError(422, "Invalid", f"json patch: replace of missing path {path!r}")
        parent[last] = clone(op.get("value"))
    elif kind == "remove":
        try:
            del parent[int(last) if isinstance(parent, list) else last]
        except (KeyError, IndexError, ValueError):
            raise ApiError(422, "Invalid", f"json patch: remove of missing path {path!r}") from None
    else:
        raise ApiError(
            400,
            "BadRequest",
            f"json patch: unknown op {kind!r} (accepted: add, remove, replace, move, copy, test)",
        )
    return doc


def _get(doc: Any, parts: list[str], path: str) -> Any:
    return _parent(doc, [*parts, ""], path) if parts else doc


def json_patch(target: Any, ops: Any) -> Any:
    """RFC 6902 on a private copy of target."""
    if not isinstance(ops, list) or not all(isinstance(o, dict) for o in ops):
        raise ApiError(400, "BadRequest", "json patch must be a list of operation objects")
    doc = clone(target)
    for op in ops:
        doc = _apply_op(doc, op)
    return doc
