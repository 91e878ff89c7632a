"""CRUD, list, patch and the status/scale subresources of store-backed kinds."""

from __future__ import annotations

import json
from typing import Any

from ..store import Store
from .kinds import Kind
from .messages import Request, Response, json_response, parse_body
from .patch import json_patch, merge_patch, strategic_merge
from .routing import Target
from .storetypes import ApiError
from .tables import table, wants_table

__all__ = ["ResourceHandler"]

Obj = dict[str, Any]
PATCH_TYPES = (
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/json-patch+json",
    "application/apply-patch+yaml",
)


def _versioned(obj: Obj, api_version: str) -> Obj:
    return obj if obj.get("apiVersion") == api_version else {**obj, "apiVersion": api_version}


class ResourceHandler:
    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, kind: Kind, t: Target, req: Request) -> Response:
        if t.subresource == "scale" and kind.scale:
            return json_response(self._scale(self.store.get(kind.resource, t.namespace, t.name or "")))
        entry = self.store.get_entry(kind.resource, t.namespace, t.name or "")
        gv = kind.api_version(t.version)
        if wants_table(req.accept):
            return json_response(table(kind.resource, [entry.obj], entry.obj["metadata"]["resourceVersion"]))
        if entry.obj.get("apiVersion") == gv:
            return Response(200, entry.json())
        return json_response(_versioned(entry.obj, gv))

    def list(self, kind: Kind, t: Target, req: Request) -> Response:
        entries, rv = self.store.list_entries(
            kind.resource, t.namespace, req.query.get("labelSelector"), req.query.get("fieldSelector")
        )
        if wants_table(req.accept):
            return json_response(table(kind.resource, [e.obj for e in entries], rv))
        gv = kind.api_version(t.version)
        head = json.dumps(
            {"kind": f"{kind.kind}List", "apiVersion": gv, "metadata": {"resourceVersion": rv}},
            separators=(",", ":"),
        ).encode()
        items = [
            e.json() if e.obj.get("apiVersion") == gv else json.dumps(_versioned(e.obj, gv)).encode() for e in entries
        ]
        return Response(200, head[:-1] + b',"items":[' + b",".join(items) + b"]}")

    def create(self, kind: Kind, t: Target, req: Request) -> Response:
        obj = self._body_object(kind, t, req)
        return json_response(_versioned(self.store.create(kind.resource, obj), kind.api_version(t.version)), 201)

    def update(self, kind: Kind, t: Target, req: Request) -> Response:
        if t.subresource == "scale" and kind.scale:
            return self._set_scale(kind, t, parse_body(req))
        obj = self._body_object(kind, t, req)
        if obj["metadata"].get("name") != t.name:
            raise ApiError(
                400,
                "BadRequest",
                f"the name of the object ({obj['metadata'].get('name')}) does not match the name on the URL ({t.name})",
            )
        sub = "status" if t.subresource == "status" else None
        return json_response(_versioned(self.store.update(kind.resource, obj, sub), kind.api_version(t.version)))

    def delete(self, kind: Kind, t: Target, req: Request) -> Response:
        if not t.name:
            entries, _ = self.store.list_entries(
                kind.resource, t.namespace, req.query.get("labelSelector"), req.query.get("fieldSelector")
            )
            gone = [self.store.delete(kind.resource, t.namespace, e.obj["metadata"]["name"]) for e in entries]
            return json_response(
                {
                    "kind": f"{kind.kind}List",
                    "apiVersion": kind.api_version(t.version),
                    "metadata": {},
                    "items": gone,
                }
            )
        return json_response(self.store.delete(kind.resource, t.namespace, t.name))

    def patch(self, kind: Kind, t: Target, req: Request) -> Response:
        ctype = req.content_type
        if ctype not in PATCH_TYPES:
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an unknown format - "
                f"accepted media types include: {', '.join(PATCH_TYPES)}",
            )
        body = parse_body(req, yaml_ok=ctype.endswith("yaml"))
        if t.subresource == "scale" and kind.scale:
            scale = self._scale(self.store.get(kind.resource, t.namespace, t.name or ""))
            return self._set_scale(kind, t, self._patched(kind, ctype, scale, body))
        if (
            ctype == "application/apply-patch+yaml"
            and self.store.try_get(kind.resource, t.namespace, t.name or "") is None
        ):
            return self.create(
                kind,
                t,
                Request(req.method, req.path, req.query, req.headers, json.dumps(body).encode(), req.who),
            )
        status_only = t.subresource == "status"

        def apply(obj: Obj) -> None:
            new = self._patched(kind, ctype, obj, body)
            if not isinstance(new, dict):
                raise ApiError(422, "Invalid", "the patch does not leave an object")
            stale = (new.get("metadata") or {}).get("resourceVersion")
            if stale and stale != obj["metadata"]["resourceVersion"]:
                raise ApiError.conflict(kind.resource, t.name or "")
            if status_only:
                new = {**obj, "status": new.get("status")}
            elif kind.status:
                new = {k: v for k, v in new.items() if k != "status"} | (
                    {"status": obj["status"]} if "status" in obj else {}
                )
            obj.clear()
            obj.update(new)

        result = self.store.mutate(kind.resource, t.namespace, t.name or "", apply)
        return json_response(_versioned(result, kind.api_version(t.version)))

    @staticmethod
    def _patched(kind: Kind, ctype: str, obj: Obj, body: Any) -> Any:
        if ctype == "application/json-patch+json":
            return json_patch(obj, body)
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", f"a {ctype} body must be an object")
        if ctype == "application/merge-patch+json" or (kind.crd and ctype != "application/apply-patch+yaml"):
            return merge_patch(obj, body)
        return strategic_merge(obj, body)

    @staticmethod
    def _body_object(kind: Kind, t: Target, req: Request) -> Obj:
        obj = parse_body(req)
        if not isinstance(obj, dict):
            raise ApiError(400, "BadRequest", f"the request body must be a {kind.kind} object")
        if obj.get("kind") not in (None, kind.kind):
            raise ApiError(400, "BadRequest", f"the body is a {obj.get('kind')!r}, this URL takes {kind.kind}")
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise ApiError(400, "BadRequest", "metadata must be an object")
        if kind.namespaced:
            if meta.get("namespace") not in (None, "", t.namespace):
                raise ApiError(
                    400,
                    "BadRequest",
                    "the namespace of the provided object does not match the namespace sent on the request",
                )
            meta["namespace"] = t.namespace
        obj["apiVersion"] = kind.api_version(t.version)
        return obj

    @staticmethod
    def _scale(obj: Obj) -> Obj:
        meta = obj["metadata"]
        selector = (obj.get("spec") or {}).get("selector") or {}
        labels = ",".join(f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items())
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in meta
            },
            "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 1)},
            "status": {"replicas": (obj.get("status") or {}).get("replicas", 0), "selector": labels},
        }

    def _set_scale(self, kind: Kind, t: Target, scale: Any) -> Response:
        replicas = (scale.get("spec") or {}).get("replicas") if isinstance(scale, dict) else None
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise ApiError.invalid(
                "Scale",
                t.name or "",
                [("spec.replicas", replicas, "Invalid value: must be a non-negative integer")],
            )
        stale = (scale.get("metadata") or {}).get("resourceVersion")

        def apply(obj: Obj) -> None:
            if stale and stale != obj["metadata"]["resourceVersion"]:
                raise ApiError.conflict(kind.resource, t.name or "")
            obj.setdefault("spec", {})["replicas"] = replicas

        return json_response(self._scale(self.store.mutate(kind.resource, t.namespace, t.name or "", apply)))
