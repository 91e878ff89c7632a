"""A small stdlib client for the local API server (TLS with the run's CA and the admin certificate): just what
`up` needs to create nodes, CRDs and mesh components and wait for them. The sim never imports the plugin's
cluster layer (the official client), so it stays independent of the code its clusters test.
"""

from __future__ import annotations

import http.client
import json
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from .pki import Pki

__all__ = ["Api", "ApiError", "path_of"]

Obj = dict[str, Any]


class ApiError(RuntimeError):
    def __init__(self, status: int, what: str, body: bytes) -> None:
        try:
            message = json.loads(body).get("message", "")
        except ValueError:
            message = body[:200].decode(errors="replace")
        super().__init__(f"{what}: HTTP {status}: {message}")
        self.status = status


def path_of(obj: Obj, name: bool = False) -> str:
    """The REST path of an object's collection (or of the object): plural = kind + s/es, which holds for
    every kind `up` creates (nodes, services, deployments, gatewayclasses, customresourcedefinitions...)."""
    api_version, kind, meta = obj["apiVersion"], obj["kind"], obj["metadata"]
    base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    plural = kind.lower() + ("es" if kind.endswith("s") else "s")
    ns = f"/namespaces/{meta['namespace']}" if meta.get("namespace") else ""
    return f"{base}{ns}/{plural}" + (f"/{meta['name']}" if name else "")


class Api:
    """`Api(port, pki)`: kube-apiserver with the admin certificate; `Api.with_token(port, ca_pem, token)`: an API
    server that takes a bearer token (the embedded sim's, for the data-plane agent it runs)."""

    def __init__(self, port: int, pki: Pki | None = None, ctx: ssl.SSLContext | None = None, token: str = "") -> None:
        self.port = port
        if ctx is None:
            assert pki is not None, "Api needs a Pki or an SSL context"
            ctx = ssl.create_default_context(cafile=str(pki.path("ca.crt")))
            ctx.load_cert_chain(str(pki.path("admin.crt")), str(pki.path("admin.key")))
        self.ctx = ctx
        self.auth = {"Authorization": f"Bearer {token}"} if token else {}
        self._local = threading.local()  # one keep-alive connection per thread

    @classmethod
    def with_token(cls, port: int, ca_pem: str, token: str) -> Api:
        return cls(port, ctx=ssl.create_default_context(cadata=ca_pem), token=token)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def _conn(self) -> http.client.HTTPSConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx,
                                                                  timeout=60)
        return conn

    def request(self, method: str, path: str, body: Obj | None = None, ok: Iterable[int] = (),
                content_type: str = "application/json") -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": content_type, "Accept": "application/json", **self.auth}
        for attempt in range(2):  # a kept-alive connection the server closed: once more on a fresh one
            conn = self._conn()
            try:
                conn.request(method, path, data, headers)
                resp = conn.getresponse()
                raw = resp.read()
                break
            except (OSError, http.client.HTTPException):
                conn.close()
                self._local.conn = None
                if attempt:
                    raise
        if resp.status >= 300 and resp.status not in ok:
            raise ApiError(resp.status, f"{method} {path}", raw)
        if resp.status in ok and not raw.startswith(b"{"):
            return resp.status, None  # an accepted error without a Status body (a 404 for a group not served)
        return resp.status, (json.loads(raw) if raw else None)

    def create(self, obj: Obj) -> Obj | None:
        """POST; an object that exists already (409) is left as it is and None returned."""
        status, body = self.request("POST", path_of(obj), obj, ok=(409,))
        return None if status == 409 else body

    def get_text(self, path: str) -> str:
        """A non-JSON document (the API server's /metrics), on a connection of its own."""
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=60)
        try:
            conn.request("GET", path, headers={"Accept": "text/plain", **self.auth})
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        if resp.status != 200:
            raise ApiError(resp.status, f"GET {path}", raw)
        return raw.decode()

    def get(self, path: str) -> Obj | None:
        status, body = self.request("GET", path, ok=(404,))
        return None if status == 404 else body

    def wait(self, what: str, done: Callable[[], bool], timeout: float, progress: Callable[[str], None],
             interval: float = 0.2) -> None:
        start = said = time.monotonic()
        while not done():
            now = time.monotonic()
            if now - start > timeout:
                raise TimeoutError(f"{what}: not done after {timeout:g} s")
            if now - said >= 10:
                said = now
                progress(f"waiting for {what} ({now - start:.0f} s)")
            time.sleep(interval)

    def open_watch(self, path: str, resource_version: str, timeout_s: int,
                   bookmarks: bool = False) -> tuple[http.client.HTTPSConnection, http.client.HTTPResponse]:
        """A watch of `path` from `resource_version`: the connection (close it to stop) and the response, whose
        lines are the events. A non-200 answer raises ApiError."""
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=timeout_s + 10)
        query = f"?watch=1&resourceVersion={resource_version}&timeoutSeconds={max(1, timeout_s)}"
        query += "&allowWatchBookmarks=true" if bookmarks else ""
        try:
            conn.request("GET", path + query, headers={"Accept": "application/json", **self.auth})
            resp = conn.getresponse()
            if resp.status != 200:
                raise ApiError(resp.status, f"watch {path}", resp.read())
        except BaseException:
            conn.close()
            raise
        return conn, resp

    def watch_until(self, path: str, resource_version: str, done: Callable[[str, Obj], bool],
                    timeout: float) -> None:
        """Watch `path` from `resource_version` until `done(event_type, object)` is true."""
        deadline = time.monotonic() + timeout
        conn, resp = self.open_watch(path, resource_version, int(timeout))
        try:
            while time.monotonic() < deadline:
                line = resp.readline()
                if not line:
                    break
                event = json.loads(line)
                if done(event["type"], event["object"]):
                    return
            raise TimeoutError(f"watch {path}: not done after {timeout:g} s")
        finally:
            conn.close()
