"""Field ownership (metadata.managedFields) and server-side apply conflicts, as kube-apiserver's field manager:

- every client write records which fields its manager set (`fieldManager`, else the User-Agent's product):
  a create or an update takes the fields it changed (operation Update), taking them from other managers;
- an apply (operation Apply) owns exactly the fields of its configuration: setting a field another manager
  owns to a different value is a conflict (409, `Apply failed with 1 conflict: conflict with "a": .data.k`)
  unless `force=true`, which takes the field over; the same value is shared ownership; fields the manager
  applied before and leaves out now are removed unless someone else owns them.

Simplifications: a field is a leaf (map keys are fields; lists of objects with a Kubernetes merge key are
keyed by it, other lists are one atomic field); status is not tracked; the sim's own controllers write
through the store and record nothing."""

from __future__ import annotations

import json
import time
from typing import Any

from .patch import MERGE_KEYS
from .storetypes import ApiError, clone

__all__ = ["FieldManager", "apply_conflicts", "field_paths"]

Obj = dict[str, Any]
Path = tuple[str, ...]
_MISSING = object()
_PORT_KEYS = ("containerPort", "port")


def _list_key(field: str, items: list[Any]) -> str | None:
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    if field == "ports":
        return next((k for k in _PORT_KEYS if all(k in i for i in items)), None)
    key = MERGE_KEYS.get(field)
    return key if key and all(key in i for i in items) else None


def _walk(value: Any, path: Path, field: str, out: set[Path]) -> None:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _walk(v, (*path, f"f:{k}"), k, out)
    elif isinstance(value, list) and (key := _list_key(field, value)):
        for item in value:
            item_path = (*path, "k:" + json.dumps({key: item[key]}, separators=(",", ":")))
            out.add((*item_path, "."))
            _walk({k: v for k, v in item.items() if k != key}, item_path, "", out)
    else:
        out.add(path)


def field_paths(obj: Obj) -> set[Path]:
    """The leaf fields of an object a manager can own (apiVersion, kind, status and server metadata excluded)."""
    out: set[Path] = set()
    meta = obj.get("metadata") or {}
    for part in ("labels", "annotations"):
        for k in meta.get(part) or {}:
            out.add(("f:metadata", f"f:{part}", f"f:{k}"))
    for k, v in obj.items():
        if k not in ("apiVersion", "kind", "metadata", "status"):
            _walk(v, (f"f:{k}",), k, out)
    return out


def _value(obj: Any, path: Path) -> Any:
    for step in path:
        if step == ".":
            return obj
        if step.startswith("f:") and isinstance(obj, dict):
            obj = obj.get(step[2:], _MISSING)
        elif step.startswith("k:") and isinstance(obj, list):
            key, wanted = next(iter(json.loads(step[2:]).items()))
            obj = next((i for i in obj if isinstance(i, dict) and i.get(key) == wanted), _MISSING)
        else:
            return _MISSING
        if obj is _MISSING:
            return _MISSING
    return obj


def _remove(obj: Any, path: Path) -> None:
    """Delete one owned field from a private copy (a keyed list item when the path ends with '.')."""
    parent, last = obj, path[-1]
    if last == ".":
        path, last = path[:-1], path[-2]
    for step in path[:-1]:
        parent = _value(parent, (step,))
        if parent is _MISSING:
            return
    if last.startswith("f:") and isinstance(parent, dict):
        parent.pop(last[2:], None)
    elif last.startswith("k:") and isinstance(parent, list):
        key, wanted = next(iter(json.loads(last[2:]).items()))
        parent[:] = [i for i in parent if not (isinstance(i, dict) and i.get(key) == wanted)]


def _dotted(path: Path) -> str:
    out = ""
    for step in path:
        if step.startswith("f:"):
            out += "." + step[2:]
        elif step.startswith("k:"):
            out += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in json.loads(step[2:]).items()) + "]"
    return out


def _to_v1(paths: set[Path]) -> Obj:
    tree: Obj = {}
    for path in sorted(paths):
        node = tree
        for step in path:
            node = node.setdefault(step, {})
    return tree


def _from_v1(tree: Any, path: Path = ()) -> set[Path]:
    out: set[Path] = set()
    if not isinstance(tree, dict) or not tree:
        return {path} if path else out
    for step, sub in tree.items():
        out |= {(*path, ".")} if step == "." else _from_v1(sub, (*path, step))
    return out


def _entries(obj: Obj) -> list[tuple[str, str, set[Path], Obj]]:
    """(manager, operation, paths, the raw entry) of an object's managedFields."""
    out = []
    for e in (obj.get("metadata") or {}).get("managedFields") or []:
        if isinstance(e, dict) and e.get("manager") is not None:
            out.append((str(e["manager"]), str(e.get("operation", "Update")), _from_v1(e.get("fieldsV1")), e))
    return out


def apply_conflicts(current: Obj, applied: Obj, manager: str) -> list[tuple[str, str, Path]]:
    """(other manager, its operation, field) for each field `applied` would set to a new value."""
    mine = field_paths(applied)
    out = []
    for other, op, paths, _ in _entries(current):
        if other == manager and op == "Apply":
            continue
        for path in sorted(paths & mine):
            if path[-1] != "." and _value(current, path) != _value(applied, path):
                out.append((other, op, path))
    return out


def _conflict_error(conflicts: list[tuple[str, str, Path]], api_version: str) -> ApiError:
    def who(m: str, op: str) -> str:
        return f'"{m}"' + ("" if op == "Apply" else f" using {api_version}")

    causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {who(m, op)}", "field": _dotted(p)}
              for m, op, p in conflicts]
    n = len(conflicts)
    if n == 1:
        m, op, p = conflicts[0]
        text = f"Apply failed with 1 conflict: conflict with {who(m, op)}: {_dotted(p)}"
    else:
        by: dict[str, list[str]] = {}
        for m, op, p in conflicts:
            by.setdefault(who(m, op), []).append(_dotted(p))
        text = f"Apply failed with {n} conflicts: " + "\n".join(
            f"conflicts with {w}:\n" + "\n".join(f"- {f}" for f in fs) for w, fs in by.items())
    return ApiError(409, "Conflict", text, {"causes": causes})


class FieldManager:
    """Updates an object's managedFields for one write by `manager` (see the module doc)."""

    def __init__(self, manager: str, api_version: str, subresource: str = "") -> None:
        self.manager, self.api_version, self.subresource = manager, api_version, subresource

    def _entry(self, operation: str, paths: set[Path]) -> Obj:
        entry = {"manager": self.manager, "operation": operation, "apiVersion": self.api_version,
                 "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "fieldsType": "FieldsV1",
                 "fieldsV1": _to_v1(paths)}
        return {**entry, "subresource": self.subresource} if self.subresource else entry

    def _write(self, new: Obj, entries: list[tuple[str, str, set[Path], Obj]], operation: str, mine: set[Path]) -> None:
        kept = [(m, op, paths, e) for m, op, paths, e in entries
                if not (m == self.manager and op == operation and e.get("subresource", "") == self.subresource)]
        out = [e if paths == _from_v1(e.get("fieldsV1")) else {**e, "fieldsV1": _to_v1(paths)}
               for _, _, paths, e in kept if paths]
        if mine:
            out.append(self._entry(operation, mine))
        new["metadata"] = {**(new.get("metadata") or {}), "managedFields": out}

    def _base(self, old: Obj | None, new: Obj) -> list[tuple[str, str, set[Path], Obj]]:
        """Managed fields to start from: the stored ones, unless the request set them itself."""
        sent = (new.get("metadata") or {}).get("managedFields")
        stored = (old or {}).get("metadata", {}).get("managedFields")
        return _entries(new if sent is not None and sent != stored else (old or {}))

    def updated(self, old: Obj | None, new: Obj) -> None:
        """A create, update or non-apply patch: the manager takes the fields whose value it changed."""
        now = field_paths(new)
        changed = now if old is None else {p for p in now if _value(old, p) != _value(new, p)}
        entries = self._base(old, new)
        for _, _, paths, _ in entries:
            paths &= now  # fields that are gone are owned by nobody
            if changed:
                paths -= changed
        previous = next((p for m, op, p, e in entries if m == self.manager and op == "Update"
                         and e.get("subresource", "") == self.subresource), set())
        self._write(new, entries, "Update", (previous & now) | changed)

    def applied(self, current: Obj | None, config: Obj, force: bool) -> Obj:
        """A server-side apply of `config`: the object to store (409 on conflicts unless forced)."""
        from .patch import strategic_merge

        mine = field_paths(config)
        entries = _entries(current or {})
        if current is not None:
            conflicts = apply_conflicts(current, config, self.manager)
            if conflicts and not force:
                raise _conflict_error(conflicts, self.api_version)
            taken = {p for _, _, p in conflicts}
            previous = next((p for m, op, p, _ in entries if m == self.manager and op == "Apply"), set())
            others = set().union(*(p for m, op, p, _ in entries if not (m == self.manager and op == "Apply")))
            new: Obj = strategic_merge(clone(current), config)
            for path in sorted(previous - mine - others, key=len, reverse=True):
                _remove(new, path)
            for _, _, paths, _ in entries:
                paths -= taken
        else:
            new = clone(config)
        self._write(new, entries, "Apply", mine)
        return new
