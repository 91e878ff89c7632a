"""CustomResourceDefinitions created at run time: the checks apiextensions-apiserver makes before it accepts
one (422 otherwise), and the status it reports once the names are accepted and the kind is served."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["crd_problems", "crd_status", "with_defaults"]

Obj = dict[str, Any]
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def with_defaults(crd: Obj) -> Obj:
    """spec.names.singular and listKind defaulted as the API server does (a shallow copy)."""
    spec = dict(crd.get("spec") or {})
    names = dict(spec.get("names") or {})
    if names.get("kind"):
        names.setdefault("singular", str(names["kind"]).lower())
        names.setdefault("listKind", f"{names['kind']}List")
    spec["names"] = names
    return {**crd, "spec": spec}


# Schema constructs schema.py does not evaluate: a CRD using them is refused, never half-checked.
UNCHECKED = ("x-kubernetes-validations", "allOf", "anyOf", "oneOf", "not")


def _unchecked(schema: Any) -> str | None:
    """The first construct of UNCHECKED the schema uses (under `properties`, names are field names)."""
    if isinstance(schema, list):
        return next((u for u in map(_unchecked, schema) if u), None)
    if not isinstance(schema, dict):
        return None
    found = next((k for k in UNCHECKED if k in schema), None)
    subs = [v for k, v in schema.items() if k not in ("properties", "default", "example", "enum")]
    subs += list((schema.get("properties") or {}).values())
    return found or next((u for u in map(_unchecked, subs) if u), None)


def _version_problems(versions: Any) -> list[tuple[str, Any, str]]:
    if not isinstance(versions, list) or not versions:
        return [("spec.versions", versions, "Invalid value: must have exactly one version marked as storage version")]
    out: list[tuple[str, Any, str]] = []
    if sum(1 for v in versions if isinstance(v, dict) and v.get("storage")) != 1:
        out.append(("spec.versions", None, "Invalid value: must have exactly one version marked as storage version"))
    for i, v in enumerate(versions):
        schema = ((v.get("schema") or {}) if isinstance(v, dict) else {}).get("openAPIV3Schema")
        where = f"spec.versions[{i}]"
        if not isinstance(v, dict) or not v.get("name"):
            out.append((f"{where}.name", None, "Required value"))
        elif not isinstance(schema, dict):
            out.append((f"{where}.schema.openAPIV3Schema", None, "Required value: schemas are required"))
        elif schema.get("type") != "object":
            out.append((f"{where}.schema.openAPIV3Schema.type", schema.get("type"),
                        "Unsupported value: must be object at the root"))
        elif (construct := _unchecked(schema)) is not None:
            out.append((f"{where}.schema.openAPIV3Schema", None,
                        f"Forbidden: {construct} is not evaluated by the meshscale simulated cluster, which refuses "
                        "such CRDs rather than accept what they would reject (docs/sim-limits.md)"))
    return out


def crd_problems(crd: Obj) -> list[tuple[str, Any, str]]:
    """(field, value, why) for each reason the API server would refuse this CRD; empty when it is fine."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group, plural, kind = spec.get("group"), names.get("plural"), names.get("kind")
    out: list[tuple[str, Any, str]] = []
    if not isinstance(group, str) or "." not in group or not _SUBDOMAIN.match(group):
        out.append(("spec.group", group, "Invalid value: should be a domain with at least one dot"))
    if not isinstance(plural, str) or not _DNS_LABEL.match(plural):
        out.append(("spec.names.plural", plural, "Invalid value: a lowercase RFC 1123 label"))
    if not kind:
        out.append(("spec.names.kind", kind, "Required value"))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        out.append(("spec.scope", spec.get("scope"), 'Unsupported value: supported values: "Cluster", "Namespaced"'))
    name = (crd.get("metadata") or {}).get("name")
    if isinstance(group, str) and isinstance(plural, str) and name != f"{plural}.{group}":
        out.append(("metadata.name", name, 'Invalid value: must be spec.names.plural+"."+spec.group'))
    return out + _version_problems(spec.get("versions"))


def crd_status(crd: Obj) -> Obj:
    """Names accepted, kind established: what the CRD controllers report once it is served."""
    spec = crd["spec"]
    storage = [v["name"] for v in spec["versions"] if v.get("storage")]
    conditions = [
        {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found"},
        {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
         "message": "the initial names have been accepted"},
    ]
    return {"acceptedNames": spec["names"], "storedVersions": storage, "conditions": conditions}
