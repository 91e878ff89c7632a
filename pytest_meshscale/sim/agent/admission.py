"""The mesh's mutating admission (SimMesh.admit) as a webhook of the real kube-apiserver, served by the agent (the
part istiod's sidecar injector plays on a real cluster; control_plane/admission.py registers it). The API server's
CONNECT to the webhook's endpoint arrives here; the agent answers 200, terminates the TLS with the serving
certificate of the run's CA (the webhook's caBundle; the API server checks it for the Service's DNS name) and
answers `POST /admit` AdmissionReviews (admission.k8s.io/v1) with the JSONPatch that turns the object into what
SimMesh.admit makes of it, reading the cluster from the agent's Mirror as the sim reads its Store.
"""

from __future__ import annotations

import base64
import copy
import json
import socket
import ssl
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..runtime import ProxyResult
from .http_conn import serve_http

__all__ = ["AdmissionEndpoint", "review_response"]

Obj = dict[str, Any]
Admit = Callable[[str, Obj], None]  # (Store key of the resource, the new object): changes it in place
ESTABLISHED = b"HTTP/1.1 200 Connection established\r\n\r\n"
_JSON = {"Content-Type": "application/json"}


def _resource(request: Obj) -> str:
    """The Store key of the reviewed resource ("pods", "deployments.apps")."""
    res = request.get("resource") or {}
    return f"{res.get('resource')}.{res['group']}" if res.get("group") else str(res.get("resource"))


def _patch(before: Obj, after: Obj) -> list[Obj]:
    """JSONPatch `add` (which replaces an existing member, RFC 6902 4.1) for each top-level part that changed."""
    ops = [{"op": "add", "path": f"/metadata/{k}", "value": after["metadata"][k]}
           for k in ("labels", "annotations")
           if (after.get("metadata") or {}).get(k) != (before.get("metadata") or {}).get(k)]
    return ops + [{"op": "add", "path": f"/{k}", "value": after[k]} for k in ("spec",) if after.get(k) != before.get(k)]


def review_response(review: Obj, admit: Admit) -> Obj:
    """The AdmissionReview answered: allowed, with the patch of what `admit` changed (none for other operations)."""
    request = review.get("request") or {}
    response: Obj = {"uid": request.get("uid", ""), "allowed": True}
    obj = request.get("object")
    if request.get("operation") == "CREATE" and isinstance(obj, dict):
        before = copy.deepcopy(obj)
        changed = copy.deepcopy(obj)
        meta = changed.setdefault("metadata", {})
        meta.setdefault("namespace", request.get("namespace", ""))  # a generateName create does not carry it
        admit(_resource(request), changed)
        ops = _patch(before, changed)
        if ops:
            response.update(patchType="JSONPatch", patch=base64.b64encode(json.dumps(ops).encode()).decode())
    return {"apiVersion": review.get("apiVersion", "admission.k8s.io/v1"), "kind": "AdmissionReview",
            "response": response}


class AdmissionEndpoint:
    def __init__(self, admit: Admit, cert: Path, key: Path) -> None:
        self.admit = admit
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(str(cert), str(key))
        self._lock = threading.Lock()
        self.served = 0  # reviews answered: `up` waits for the first

    def connect(self, target: str, conn: socket.socket) -> None:
        conn.sendall(ESTABLISHED)
        try:
            tunnel = self.tls.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            return  # the API server hung up: nothing served
        with tunnel:
            serve_http(tunnel, self.answer)

    def answer(self, method: str, path: str, query: str, body: bytes) -> ProxyResult:
        if method != "POST" or path != "/admit":
            return ProxyResult(404, b"meshscale agent: only POST /admit is served here\n")
        try:
            doc = review_response(json.loads(body), self.admit)
        except (ValueError, KeyError, TypeError) as exc:
            return ProxyResult(400, f"meshscale agent: not an AdmissionReview: {exc!r}\n".encode())
        with self._lock:
            self.served += 1
        return ProxyResult(200, json.dumps(doc).encode(), dict(_JSON))
