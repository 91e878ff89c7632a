"""CRUD, list (paged with limit/continue), patch (patch.py) and the status/scale subresources of store-backed
kinds, with what kube-apiserver checks on the way: dryRun=All (checked and answered, nothing stored),
fieldValidation (fields.py), a custom resource against its CRD's schema (schema.py), the spec checks of
validation.py, and field ownership with server-side apply conflicts (fieldmanager.py)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from ..store import Page, Store
from .fieldmanager import FieldManager
from .fields import check_fields
from .kinds import Kind
from .messages import Request, Response, json_response, parse_body
from .patch import json_patch, merge_patch, strategic_merge
from .routing import Target
from .schema import check_custom
from .storetypes import ApiError
from .tables import table, wants_table
from .validation import spec_problems

__all__ = ["ResourceHandler"]

Obj = dict[str, Any]
Warnings = list[str]  # (an alias: the handler's `list` method shadows the builtin inside the class)
APPLY = "application/apply-patch+yaml"
PATCH_TYPES = (
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/json-patch+json",
    APPLY,
)
_OPTIONS = {"POST": "CreateOptions", "PUT": "UpdateOptions", "PATCH": "PatchOptions", "DELETE": "DeleteOptions"}


def _versioned(obj: Obj, api_version: str) -> Obj:
    return obj if obj.get("apiVersion") == api_version else {**obj, "apiVersion": api_version}


def _options_error(req: Request, field: str, value: Any, why: str) -> ApiError:
    return ApiError.invalid(f'{_OPTIONS.get(req.method, "ListOptions")}.meta.k8s.io', "", [(field, value, why)])


def _delete_options(req: Request) -> Obj:
    """A DELETE's body: DeleteOptions (kubectl sends dryRun there, not in the query)."""
    if req.method != "DELETE" or not req.body.strip():
        return {}
    try:
        doc = json.loads(req.body)
    except ValueError:
        raise ApiError(400, "BadRequest", "the DeleteOptions body is not valid JSON") from None
    return doc if isinstance(doc, dict) else {}


def dry_run(req: Request) -> bool:
    """dryRun=All in the query or in a DELETE's DeleteOptions body; any other value is refused."""
    values = [req.query["dryRun"]] if "dryRun" in req.query else []
    values += list(_delete_options(req).get("dryRun") or [])
    if not values:
        return False
    if any(v != "All" for v in values):
        raise _options_error(req, "dryRun", values, 'Unsupported value: supported values: "All"')
    return True


def _manager(req: Request) -> str:
    """fieldManager, else the client's product name from its User-Agent (as the API server names managers)."""
    agent = req.headers.get("user-agent", "") or "unknown"
    return (req.query.get("fieldManager") or agent.split("/")[0])[:128]


def _continue_token(rv: str, after: tuple[str, str]) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": int(rv), "start": list(after)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _from_token(token: str) -> tuple[str, tuple[str, str]]:
    try:
        doc = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        ns, name = doc["start"]
        return str(int(doc["rv"])), (str(ns), str(name))
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise ApiError(400, "BadRequest", f"invalid continue token: continue key is not valid: {exc}") from None


def _with_warnings(resp: Response, warnings: list[str]) -> Response:
    if warnings:
        resp.headers["Warning"] = ", ".join('299 - "' + w.replace('"', '\\"') + '"' for w in warnings)
    return resp


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

    def _page(self, kind: Kind, t: Target, req: Request) -> Page:
        labels, fields = req.query.get("labelSelector"), req.query.get("fieldSelector")
        try:
            limit = int(req.query.get("limit") or 0)
        except ValueError:
            raise ApiError(400, "BadRequest", f"limit: invalid value {req.query.get('limit')!r}") from None
        token = req.query.get("continue")
        rv, after = _from_token(token) if token else (None, None)
        if limit <= 0 and not token:
            entries, now = self.store.list_entries(kind.resource, t.namespace, labels, fields)
            return Page(entries, now, None, None)
        page = self.store.list_page(kind.resource, t.namespace, labels, fields, limit if limit > 0 else 10**9, after)
        page.rv = rv or page.rv  # the pages of one list report the first page's resourceVersion
        return page

    def list(self, kind: Kind, t: Target, req: Request) -> Response:
        page = self._page(kind, t, req)
        meta: Obj = {"resourceVersion": page.rv}
        if page.after is not None:
            meta["continue"] = _continue_token(page.rv, page.after)
            if page.remaining is not None:
                meta["remainingItemCount"] = page.remaining
        if wants_table(req.accept):
            return json_response({**table(kind.resource, [e.obj for e in page.entries], page.rv), "metadata": meta})
        gv = kind.api_version(t.version)
        head = json.dumps({"kind": f"{kind.kind}List", "apiVersion": gv, "metadata": meta}, separators=(",", ":"))
        items = [
            e.json() if e.obj.get("apiVersion") == gv else json.dumps(_versioned(e.obj, gv)).encode()
            for e in page.entries
        ]
        return Response(200, head.encode()[:-1] + b',"items":[' + b",".join(items) + b"]}")

    # ---- what every write goes through ------------------------------------------------------------------
    def _decoded(self, kind: Kind, t: Target, req: Request, obj: Obj) -> tuple[Obj, Warnings]:
        """Unknown fields (fieldValidation; dropped in every mode) and a custom resource's schema (422)."""
        validation = req.query.get("fieldValidation")
        obj, warnings = check_fields(kind.resource, obj, validation, kind.kind)
        schema = self.store.kinds.schema(kind.resource, t.version)
        if schema is None:
            return obj, warnings
        obj, problems, unknown = check_custom(schema, obj)
        if unknown and validation == "Strict":
            what = ", ".join(f'unknown field "{f}"' for f in unknown)
            raise ApiError(400, "BadRequest", f"strict decoding error: {what}")
        if problems:
            raise ApiError.invalid(f"{kind.kind}.{kind.group}", str(obj["metadata"].get("name", "")), problems)
        return obj, warnings + ([f'unknown field "{f}"' for f in unknown] if validation in (None, "Warn") else [])

    def _admit(self, kind: Kind, req: Request, manager: FieldManager | None) -> Callable[[Obj | None, Obj], None]:
        """The check and the managedFields update run on the object about to be stored (old: None = create)."""

        def admit(old: Obj | None, new: Obj) -> None:
            problems = spec_problems(kind.resource, new, old)
            if problems:
                raise ApiError.invalid(kind.kind, str(new["metadata"].get("name", "")), problems)
            if manager is not None:
                manager.updated(old, new)

        return admit

    def create(self, kind: Kind, t: Target, req: Request) -> Response:
        obj, warnings = self._decoded(kind, t, req, self._body_object(kind, t, req))
        manager = FieldManager(_manager(req), kind.api_version(t.version))
        made = self.store.create(kind.resource, obj, dry_run(req), self._admit(kind, req, manager))
        return _with_warnings(json_response(_versioned(made, kind.api_version(t.version)), 201), warnings)

    def update(self, kind: Kind, t: Target, req: Request) -> Response:
        if t.subresource == "scale" and kind.scale:
            return self._set_scale(kind, t, req, parse_body(req))
        obj = self._body_object(kind, t, req)
        if obj["metadata"].get("name") != t.name:
            raise ApiError(
                400,
                "BadRequest",
                f"the name of the object ({obj['metadata'].get('name')}) does not match the name on the URL ({t.name})",
            )
        obj, warnings = self._decoded(kind, t, req, obj)
        sub = "status" if t.subresource == "status" else None
        manager = None if sub else FieldManager(_manager(req), kind.api_version(t.version))
        result = self.store.update(kind.resource, obj, sub, dry_run(req), self._admit(kind, req, manager))
        return _with_warnings(json_response(_versioned(result, kind.api_version(t.version))), warnings)

    def delete(self, kind: Kind, t: Target, req: Request) -> Response:
        dry = dry_run(req)
        if not t.name:
            entries, _ = self.store.list_entries(
                kind.resource, t.namespace, req.query.get("labelSelector"), req.query.get("fieldSelector")
            )
            gone = [self.store.delete(kind.resource, t.namespace, e.obj["metadata"]["name"], dry) for e in entries]
            return json_response(
                {
                    "kind": f"{kind.kind}List",
                    "apiVersion": kind.api_version(t.version),
                    "metadata": {},
                    "items": gone,
                }
            )
        return json_response(self.store.delete(kind.resource, t.namespace, t.name, dry))

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
        dry = dry_run(req)
        if req.query.get("force") is not None and ctype != APPLY:
            raise _options_error(req, "force", req.query["force"],
                                 "Forbidden: may not be specified for non-apply patch")
        if t.subresource == "scale" and kind.scale:
            scale = self._scale(self.store.get(kind.resource, t.namespace, t.name or ""))
            return self._set_scale(kind, t, req, self._patched(kind, ctype, scale, body))
        if ctype == APPLY:
            return self._apply(kind, t, req, body, dry)
        status_only = t.subresource == "status"
        manager = None if status_only else FieldManager(_manager(req), kind.api_version(t.version))
        admit = self._admit(kind, req, manager)
        warnings: Warnings = []

        def apply(obj: Obj) -> None:
            old = dict(obj)  # the patch functions build new dicts: `obj`'s own content stays as stored
            new = self._patched(kind, ctype, obj, body)
            if not isinstance(new, dict):
                raise ApiError(422, "Invalid", "the patch does not leave an object")
            stale = (new.get("metadata") or {}).get("resourceVersion")
            if stale and stale != obj["metadata"]["resourceVersion"]:
                raise ApiError.conflict(kind.resource, t.name or "")
            if status_only:
                new = {**obj, "status": new.get("status")}
            else:
                new, found = self._decoded(kind, t, req, new)
                warnings.extend(found)
                if kind.status:
                    new = {k: v for k, v in new.items() if k != "status"} | (
                        {"status": obj["status"]} if "status" in obj else {}
                    )
                admit(old, new)
            obj.clear()
            obj.update(new)

        result = self.store.mutate(kind.resource, t.namespace, t.name or "", apply, dry)
        return _with_warnings(json_response(_versioned(result, kind.api_version(t.version))), warnings)

    def _apply(self, kind: Kind, t: Target, req: Request, body: Any, dry: bool) -> Response:
        """Server-side apply: create or merge the configuration, owning its fields (409 on conflicts)."""
        if not req.query.get("fieldManager"):
            raise _options_error(req, "fieldManager", None, "Required value: is required for apply patch")
        if not isinstance(body, dict) or not body.get("apiVersion") or not body.get("kind"):
            got = body if isinstance(body, dict) else {}
            raise ApiError(400, "BadRequest", f"invalid object type: {got.get('apiVersion', '')}, "
                                              f"Kind={got.get('kind', '')}")
        config = self._body_object(kind, t, Request(req.method, req.path, req.query, req.headers,
                                                     json.dumps(body).encode(), req.who))
        config, warnings = self._decoded(kind, t, req, config)
        manager = FieldManager(_manager(req), kind.api_version(t.version))
        force = req.query.get("force", "").lower() in ("1", "true")
        gv = kind.api_version(t.version)
        if self.store.try_get(kind.resource, t.namespace, t.name or "") is None:
            made = self.store.create(kind.resource, manager.applied(None, config, force), dry,
                                     self._admit(kind, req, None))
            return _with_warnings(json_response(_versioned(made, gv), 201), warnings)
        admit = self._admit(kind, req, None)

        def apply(obj: Obj) -> None:
            old = dict(obj)
            new = manager.applied(obj, config, force)
            if kind.status:
                kept = {"status": obj["status"]} if "status" in obj else {}
                new = {k: v for k, v in new.items() if k != "status"} | kept
            admit(old, new)
            obj.clear()
            obj.update(new)

        result = self.store.mutate(kind.resource, t.namespace, t.name or "", apply, dry)
        return _with_warnings(json_response(_versioned(result, gv)), warnings)

    @staticmethod
    def _patched(kind: Kind, ctype: str, obj: Obj, body: Any) -> Any:
        if ctype == "application/json-patch+json":
            return json_patch(obj, body)
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", f"a {ctype} body must be an object")
        if ctype == "application/merge-patch+json" or (kind.crd and ctype != APPLY):
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

    def _set_scale(self, kind: Kind, t: Target, req: Request, scale: Any) -> Response:
        replicas = (scale.get("spec") or {}).get("replicas") if isinstance(scale, dict) else None
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise ApiError.invalid(
                "Scale",
                t.name or "",
                [("spec.replicas", replicas, "Invalid value: must be a non-negative integer")],
            )
        stale = (scale.get("metadata") or {}).get("resourceVersion")
        manager = FieldManager(_manager(req), kind.api_version(t.version), "scale")

        def apply(obj: Obj) -> None:
            if stale and stale != obj["metadata"]["resourceVersion"]:
                raise ApiError.conflict(kind.resource, t.name or "")
            old = {**obj, "spec": dict(obj.get("spec") or {})}
            obj.setdefault("spec", {})["replicas"] = replicas
            manager.updated(old, obj)

        return json_response(self._scale(self.store.mutate(kind.resource, t.namespace, t.name or "", apply,
                                                           dry_run(req))))
