"""URL paths of the Kubernetes REST API -> what they address (group, version, resource, namespace, name,
subresource), plus the verb used by RBAC and the request metrics."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Target", "parse_path", "verb_of"]


@dataclass(frozen=True, slots=True)
class Target:
    group: str
    version: str
    plural: str
    namespace: str | None = None
    name: str | None = None
    subresource: str = ""
    rest: str = ""  # the path after .../proxy/ for pod proxy


def parse_path(path: str) -> Target | None:
    """A resource target, or None for non-resource paths (discovery, /version, /metrics, ...)."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 3 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 4 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3 and not (group == "" and rest[2] in ("status", "finalize")):
        namespace, rest = rest[1], rest[2:]
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else ""
    tail = "/".join(rest[3:]) + ("/" if path.endswith("/") and len(rest) > 3 else "")
    return Target(group, version, rest[0], namespace, name, sub, tail)


def verb_of(method: str, target: Target, watch: bool) -> str:
    if method == "GET":
        return "watch" if watch else ("get" if target.name else "list")
    return {
        "POST": "create",
        "PUT": "update",
        "PATCH": "patch",
        "DELETE": "delete" if target.name else "deletecollection",
    }.get(method, method.lower())
