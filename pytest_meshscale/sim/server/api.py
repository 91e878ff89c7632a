"""One request in, one response out: authentication, RBAC, injected faults, request metrics, and the
dispatch to discovery, resources, pod subresources, metrics.k8s.io and access reviews."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..faults import Faults
from ..runtime import PodRuntime
from ..store import Store
from . import discovery, openapi
from .auth import Authorizer
from .kinds import Kind
from .messages import Request, Response, json_response
from .metrics import Metrics
from .pods import PodHandler
from .rbac import FaultGate, access_review, authorize, authorize_path
from .resources import ResourceHandler
from .routing import Target, parse_path, verb_of
from .storetypes import ApiError
from .watch import watch_stream

__all__ = ["Api"]

_OPEN_PATHS = frozenset({"/healthz", "/readyz", "/livez"})
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Api:
    def __init__(
        self, store: Store, runtime: PodRuntime, auth: Authorizer, faults: Faults | None = None, seed: int = 0
    ) -> None:
        self.store, self.auth, self.faults = store, auth, faults or Faults()
        self.metrics, self.stop = Metrics(), threading.Event()
        self.resources, self.pods = ResourceHandler(store), PodHandler(store, runtime)
        self.fault_gate = FaultGate(self.faults.api_errors, seed)

    def serve_pods(self, runtime: PodRuntime) -> None:
        """Answer pod proxy, logs and metrics.k8s.io with `runtime` from now on (the agent's, once it has started)."""
        self.pods = PodHandler(self.store, runtime)

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        raw_query: str = "",
    ) -> Response:
        verb, group, resource, sub = method.lower(), "", "", ""
        who = None
        try:
            if path in _OPEN_PATHS:
                return Response(200, b"ok", "text/plain")
            who = self.auth.identify(headers.get("authorization"))
            if who is None:
                raise ApiError(401, "Unauthorized", "Unauthorized")
            req = Request(method, path, query, headers, body, who, raw_query)
            target = parse_path(path)
            if target is None:
                resource = "nonresource"
                response = self._non_resource(req)
            else:
                verb, group, resource, sub = (
                    verb_of(method, target, req.flag("watch")),
                    target.group,
                    target.plural,
                    target.subresource,
                )
                response = self._resource(req, target, verb)
        except ApiError as exc:
            response = json_response(exc.status_body(), exc.code)
            if exc.retry_after is not None:
                response.headers["Retry-After"] = str(exc.retry_after)
        except Exception as exc:  # a bug in the sim must still answer with a Status, not a dropped connection
            response = json_response(ApiError(500, "InternalError", f"internal error: {exc!r}").status_body(), 500)
        if who is None or not who.internal:  # the agent's, like the sim's controllers' writes, are not counted
            self.metrics.request(verb, group, resource, sub, response.status)
        return response

    def _non_resource(self, req: Request) -> Response:
        if req.method != "GET":
            raise ApiError(405, "MethodNotAllowed", f"the server does not allow this method on {req.path}")
        p = req.path.rstrip("/")
        if p == "/metrics":
            authorize_path(self.auth, req.who, "get", "/metrics")
            text = self.metrics.render(self.store.object_counts(), dict(self.store.write_counts))
            return Response(200, text.encode(), "text/plain; version=0.0.4")
        kinds = self.store.kinds.all()  # the built-in kinds and the CRDs established so far
        simple: dict[str, Callable[[], Any]] = {
            "/version": discovery.version_info,
            "/api": discovery.api_versions,
            "/apis": lambda: discovery.api_group_list(kinds),
            "/openapi/v3": lambda: openapi.openapi_v3_root(kinds),
        }
        if p in simple:
            return json_response(simple[p]())
        doc: Any = None
        if p.startswith("/openapi/v3/"):
            doc = openapi.openapi_v3_group(p[len("/openapi/v3/") :], kinds)
        elif p.startswith("/api/"):
            doc = discovery.resource_list("", p.split("/")[2], kinds)
        elif p.startswith("/apis/") and p.count("/") == 3:
            doc = discovery.resource_list(p.split("/")[2], p.split("/")[3], kinds)
        elif p.startswith("/apis/") and p.count("/") == 2:
            groups = discovery.api_group_list(kinds)["groups"]
            doc = next((g for g in groups if g["name"] == p.split("/")[2]), None)
            doc = doc and {"kind": "APIGroup", "apiVersion": "v1", **doc}
        if doc is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return json_response(doc)

    def _resource(self, req: Request, t: Target, verb: str) -> Response:
        if t.group == "authorization.k8s.io" and t.plural == "selfsubjectaccessreviews":
            return access_review(self.auth, req)
        kind = self.store.kinds.by_path(t.group, t.version, t.plural)
        if t.group == "metrics.k8s.io" and t.version == "v1beta1" and t.plural in ("pods", "nodes"):
            authorize(self.auth, req.who, verb, f"{t.plural}.metrics.k8s.io", "", t.namespace, t.name or "")
            if req.method != "GET":
                raise ApiError(405, "MethodNotAllowed", "metrics.k8s.io is read-only")
            return self.pods.metrics(t, req)
        if kind is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        authorize(self.auth, req.who, verb, kind.resource, t.subresource, t.namespace, t.name or "")
        if req.method in _WRITES and not req.who.internal:
            self.fault_gate.check()
        return self._dispatch(req, kind, t, verb)

    def _dispatch(self, req: Request, kind: Kind, t: Target, verb: str) -> Response:
        if kind.kind == "Pod" and t.subresource == "proxy":
            return self.pods.proxy(t, req)
        if kind.kind == "Pod" and t.subresource == "log" and req.method == "GET":
            return self.pods.log(t, req)
        allowed_sub = {"", "status"} | ({"scale"} if kind.scale else set())
        if t.subresource not in allowed_sub or (kind.namespaced and t.namespace is None and req.method != "GET"):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if verb == "watch":
            internal = req.who.internal  # the agent's watches: no injected drops, not in the long-running gauge
            drop_s, metrics = (0.0, Metrics()) if internal else (self.faults.watch_drop_s, self.metrics)
            stream = watch_stream(self.store, kind, t, req, metrics, self.stop, drop_s)
            return Response(200, stream)
        handlers = {
            "get": self.resources.get,
            "list": self.resources.list,
            "create": self.resources.create,
            "update": self.resources.update,
            "patch": self.resources.patch,
            "delete": self.resources.delete,
            "deletecollection": self.resources.delete,
        }
        if verb not in handlers or (verb == "create" and t.name) or (verb in ("update", "patch") and not t.name):
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        return handlers[verb](kind, t, req)
