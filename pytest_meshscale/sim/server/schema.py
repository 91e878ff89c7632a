"""A custom resource against its CRD's structural OpenAPI v3 schema, as kube-apiserver does it: nulls of
non-nullable fields and unknown fields are dropped (pruning; kept under x-kubernetes-preserve-unknown-fields),
defaults are filled in, and types, enums, bounds, lengths, patterns and required fields are checked.

Not modelled (CRDs using them are refused at creation where it matters, see crds.py): CEL rules
(x-kubernetes-validations), and allOf/anyOf/oneOf/not, formats and uniqueItems, which are ignored."""

from __future__ import annotations

import re
from typing import Any

from .storetypes import clone

__all__ = ["Problems", "check_custom"]

Obj = dict[str, Any]
Problems = list[tuple[str, Any, str]]  # (field path, bad value, why) as ApiError.invalid takes them
_TYPES: dict[str, type | tuple[type, ...]] = {
    "object": dict, "array": list, "string": str, "boolean": bool, "integer": int, "number": (int, float),
}


class _Run:
    def __init__(self) -> None:
        self.problems: Problems = []
        self.unknown: list[str] = []

    def bad(self, path: str, value: Any, why: str) -> None:
        self.problems.append((path, value, why))


def _typed(schema: Obj, value: Any) -> bool:
    if schema.get("x-kubernetes-int-or-string"):
        return isinstance(value, (int, str)) and not isinstance(value, bool)
    want = schema.get("type")
    if not want:
        return True
    if isinstance(value, bool) and want in ("integer", "number"):
        return False
    expected = _TYPES.get(want)
    return expected is None or isinstance(value, expected)


def _bounds(schema: Obj, value: Any, path: str, run: _Run) -> None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and (value < low or (schema.get("exclusiveMinimum") and value == low)):
            run.bad(path, value, f"Invalid value: {path} in body should be greater than or equal to {low}")
        if high is not None and (value > high or (schema.get("exclusiveMaximum") and value == high)):
            run.bad(path, value, f"Invalid value: {path} in body should be less than or equal to {high}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            run.bad(path, value, f"Invalid value: {path} in body should be at least {schema['minLength']} chars long")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            run.bad(path, value, f"Too long: may not be more than {schema['maxLength']} bytes")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            run.bad(path, value, f"Invalid value: {path} in body should match '{schema['pattern']}'")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            run.bad(path, value, f"Invalid value: {path} in body should have at least {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            run.bad(path, value, f"Too many: {len(value)}: must have at most {schema['maxItems']} items")


def _object(schema: Obj, value: Obj, path: str, run: _Run, root: bool) -> Obj:
    props: Obj = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    keep_unknown = bool(schema.get("x-kubernetes-preserve-unknown-fields"))
    out: Obj = {}
    for key, item in value.items():
        where = f"{path}.{key}" if path else key
        if root and key in ("apiVersion", "kind", "metadata"):
            out[key] = item
        elif key in props:
            if item is None and not props[key].get("nullable"):
                continue  # a null of a non-nullable field is dropped before validation
            out[key] = _check(props[key], item, where, run)
        elif isinstance(extra, dict):
            out[key] = _check(extra, item, where, run)
        elif keep_unknown or extra is True:
            out[key] = item
        else:
            run.unknown.append(where)
    for key, sub in props.items():
        if key not in out and "default" in sub:
            out[key] = clone(sub["default"])
    for key in schema.get("required") or ():
        if key not in out:
            run.bad(f"{path}.{key}" if path else key, None, "Required value")
    return out


def _check(schema: Obj, value: Any, path: str, run: _Run, root: bool = False) -> Any:
    if value is None and schema.get("nullable"):
        return value
    if not _typed(schema, value):
        want = "integer or string" if schema.get("x-kubernetes-int-or-string") else schema.get("type")
        got = "null" if value is None else type(value).__name__.replace("str", "string").replace("dict", "object")
        run.bad(path, value, f'Invalid value: "{got}": {path} in body must be of type {want}: "{got}"')
        return value
    enum = schema.get("enum")
    if enum is not None and value not in enum:
        allowed = ", ".join(f'"{e}"' if isinstance(e, str) else str(e) for e in enum)
        run.bad(path, value, f"Unsupported value: supported values: {allowed}")
    _bounds(schema, value, path, run)
    if isinstance(value, dict):
        if schema.get("x-kubernetes-embedded-resource") or (
            not schema.get("properties") and "additionalProperties" not in schema
            and schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            return value
        return _object(schema, value, path, run, root)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_check(schema["items"], item, f"{path}[{i}]", run) for i, item in enumerate(value)]
    return value


def check_custom(schema: Obj, obj: Obj) -> tuple[Obj, Problems, list[str]]:
    """(the object as it would be stored, problems for a 422, unknown fields that were dropped)."""
    run = _Run()
    out = _check(schema or {"type": "object", "x-kubernetes-preserve-unknown-fields": True}, obj, "", run, root=True)
    return out, run.problems, run.unknown
