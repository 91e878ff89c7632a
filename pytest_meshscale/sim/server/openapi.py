"""The minimum of /openapi/v3 kubectl needs: per group/version, PATCH operations tagged with their
GroupVersionKind and the fieldValidation/fieldManager/dryRun/force parameters, so `kubectl apply`
(client-side and --server-side) sends fieldValidation to the server instead of validating with a schema.
No component schemas are published: kubectl then builds strategic-merge patches from its compiled-in
types, and `kubectl explain` is not supported."""

from __future__ import annotations

from typing import Any

from .kinds import Kind, group_versions

__all__ = ["openapi_v3_group", "openapi_v3_root"]

_PARAMS = ["dryRun", "fieldManager", "fieldValidation", "force"]


def _prefix(group: str, version: str) -> str:
    return f"api/{version}" if not group else f"apis/{group}/{version}"


def openapi_v3_root(kinds: tuple[Kind, ...]) -> dict[str, Any]:
    paths = {
        _prefix(g, v): {"serverRelativeURL": f"/openapi/v3/{_prefix(g, v)}?hash=meshscale-sim-{len(kinds)}"}
        for g, vs in group_versions(kinds).items()
        for v in vs
    }
    return {"paths": paths}


def _op(group: str, version: str, kind: str, action: str) -> dict[str, Any]:
    return {
        "operationId": f"{action}{kind}",
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": kind},
        "parameters": [{"name": p, "in": "query", "schema": {"type": "string"}} for p in _PARAMS],
        "responses": {"200": {"description": "OK"}},
    }


def openapi_v3_group(path: str, all_kinds: tuple[Kind, ...]) -> dict[str, Any] | None:
    """The document for 'api/v1' or 'apis/GROUP/VERSION', or None when not served."""
    parts = path.strip("/").split("/")
    group, version = (
        ("", parts[1])
        if parts[0] == "api" and len(parts) == 2
        else ((parts[1], parts[2]) if parts[0] == "apis" and len(parts) == 3 else ("", ""))
    )
    kinds = [k for k in all_kinds if k.group == group and version in k.versions]
    if not kinds:
        return None
    paths: dict[str, Any] = {}
    for k in kinds:
        base = f"/{_prefix(group, version)}/" + ("namespaces/{namespace}/" if k.namespaced else "")
        paths[f"{base}{k.plural}/{{name}}"] = {
            a: _op(group, version, k.kind, a2)
            for a, a2 in (("get", "get"), ("put", "put"), ("patch", "patch"), ("delete", "delete"))
        }
        paths[f"{base}{k.plural}"] = {
            "get": _op(group, version, k.kind, "list"),
            "post": _op(group, version, k.kind, "post"),
        }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes (meshscale sim)", "version": "v1.31.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }
