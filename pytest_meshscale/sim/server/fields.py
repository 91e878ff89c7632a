"""Unknown fields in a request body, as kube-apiserver's decoder finds them: with fieldValidation=Strict the
request is refused (400, `strict decoding error: unknown field "spec.x"`), with Warn (the default) it is
accepted with a `Warning` header, and in every mode the unknown fields are dropped, never stored.

Built-in kinds use the generated table of known fields (fieldtable.py); custom resources only have their
metadata checked here (their schema does the rest: schema.py)."""

from __future__ import annotations

import functools
from typing import Any

from .fieldtable import ROOTS, TABLE
from .storetypes import ApiError, clone

__all__ = ["check_fields", "unknown_fields"]

Obj = dict[str, Any]
_VALIDATION = ("Strict", "Warn", "Ignore")


@functools.cache
def _types() -> dict[str, dict[str, str]]:
    """type -> {field: "" (scalar/free-form) | "T" (object) | "[T" (list) | "{T" (map)}."""
    out: dict[str, dict[str, str]] = {}
    for line in TABLE.strip().splitlines():
        name, *fields = line.split()
        out[name] = {f.partition(":")[0]: f.partition(":")[2] for f in fields}
    return out


def _walk(value: Any, typ: str, path: str, found: list[str]) -> None:
    if not typ:
        return
    if typ[0] == "[":
        for i, item in enumerate(value if isinstance(value, list) else []):
            _walk(item, typ[1:], f"{path}[{i}]", found)
        return
    if typ[0] == "{":
        for key, item in (value.items() if isinstance(value, dict) else ()):
            _walk(item, typ[1:], f"{path}[{key}]", found)
        return
    if not isinstance(value, dict):
        return  # a wrong type is validation's business, not the decoder's unknown-field check
    fields = _types()[typ]
    for key, item in value.items():
        where = f"{path}.{key}" if path else key
        if key not in fields:
            found.append(where)
        else:
            _walk(item, fields[key], where, found)


def _drop(obj: Any, path: str) -> None:
    """Remove one unknown field (path as _walk writes it) from a private copy."""
    parts: list[Any] = []
    for piece in path.replace("]", "").split("."):
        name, *indexes = piece.split("[")
        parts += ([name] if name else []) + [int(i) if i.isdigit() else i for i in indexes]
    for part in parts[:-1]:
        obj = obj[part]
    obj.pop(parts[-1], None)


def unknown_fields(resource: str, obj: Obj) -> tuple[list[str], Obj]:
    """(unknown field paths, the object without them: the same dict when there are none)."""
    found: list[str] = []
    root = ROOTS.get(resource)
    if root is not None:
        _walk(obj, root, "", found)
    elif isinstance(obj.get("metadata"), dict):  # custom resources: their schema judges the rest
        _walk(obj["metadata"], "V1ObjectMeta", "metadata", found)
    if not found:
        return found, obj
    pruned = clone(obj)
    for path in reversed(found):
        _drop(pruned, path)
    return found, pruned


def check_fields(resource: str, obj: Obj, validation: str | None, kind: str) -> tuple[Obj, list[str]]:
    """Apply fieldValidation to a body: (the object to store, warnings to send); 400 when Strict finds any."""
    mode = validation or "Warn"
    if mode not in _VALIDATION:
        raise ApiError(400, "BadRequest", f'fieldValidation: Unsupported value: "{mode}": supported values: '
                                          '"Ignore", "Strict", "Warn"')
    found, pruned = unknown_fields(resource, obj)
    if found and mode == "Strict":
        api_version = str(obj.get("apiVersion", ""))
        version = api_version.rpartition("/")[2]
        what = ", ".join(f'unknown field "{f}"' for f in found)
        raise ApiError(400, "BadRequest",
                       f'{kind} in version "{version}" cannot be handled as a {kind}: strict decoding error: {what}')
    return pruned, ([f'unknown field "{f}"' for f in found] if mode == "Warn" else [])
