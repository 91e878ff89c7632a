"""metrics.k8s.io as an aggregated API of the real kube-apiserver, served by the agent (the part metrics-server
plays on a real cluster). `up` registers the APIService v1beta1.metrics.k8s.io for a Service whose one endpoint
exists nowhere (control_plane/aggregated.py); with `--enable-aggregator-routing` the API server dials that endpoint
through the egress selector's `cluster` connection, so its CONNECT arrives here. The agent answers 200, terminates
the TLS with the serving certificate of the run's CA (the APIService's caBundle; the API server checks it for the
Service's DNS name) and accepts only the API server's front-proxy client certificate, as an aggregated server
trusts the requestheader CA. The API server has authenticated and authorized the user (RBAC on
pods.metrics.k8s.io / nodes.metrics.k8s.io) before it proxies; the agent does not ask it again.

The documents are sim/metrics_api.py's, over the agent's Mirror; every number is the performance model's
(SIMULATED, annotated so on every object).
"""

from __future__ import annotations

import json
import socket
import ssl
from pathlib import Path
from urllib.parse import parse_qsl

from ..metrics_api import ResourceMetrics
from ..runtime import ProxyResult
from ..server.storetypes import ApiError
from .http_conn import serve_http

__all__ = ["MetricsEndpoint", "serving_context"]

ESTABLISHED = b"HTTP/1.1 200 Connection established\r\n\r\n"
FRONT_PROXY_NAMES = ("front-proxy-client",)  # --requestheader-allowed-names (control_plane/flags.py)
_HEALTH = ("/healthz", "/readyz", "/livez")
_JSON = {"Content-Type": "application/json"}


def serving_context(cert: Path, key: Path, client_ca: Path) -> ssl.SSLContext:
    """TLS as an aggregated server: our serving certificate; a client certificate from `client_ca` required."""
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(str(cert), str(key))
    tls.verify_mode = ssl.CERT_REQUIRED
    tls.load_verify_locations(str(client_ca))
    return tls


def _common_name(cert: dict | None) -> str:  # type: ignore[type-arg]
    for rdn in (cert or {}).get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return ""


def _status(exc: ApiError) -> ProxyResult:
    return ProxyResult(exc.code, json.dumps(exc.status_body()).encode(), dict(_JSON))


class MetricsEndpoint:
    def __init__(self, metrics: ResourceMetrics, tls: ssl.SSLContext) -> None:
        self.metrics, self.tls = metrics, tls

    def connect(self, target: str, conn: socket.socket) -> None:
        conn.sendall(ESTABLISHED)
        try:
            tunnel = self.tls.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            return  # no client certificate from the front-proxy CA, or the API server hung up: nothing served
        with tunnel:
            if _common_name(tunnel.getpeercert()) not in FRONT_PROXY_NAMES:
                serve_http(tunnel, lambda *_: _status(ApiError(403, "Forbidden", "not the API server's front proxy")))
                return
            serve_http(tunnel, self.answer)

    def answer(self, method: str, path: str, query: str, body: bytes) -> ProxyResult:
        if path in _HEALTH:
            return ProxyResult(200, b"ok")
        if method != "GET":
            return _status(ApiError(405, "MethodNotAllowed", "metrics.k8s.io is read-only"))
        try:
            doc = self.metrics.get(path, dict(parse_qsl(query)))
        except ApiError as exc:
            return _status(exc)
        except Exception as exc:  # a bug here must still answer with a Status, as the embedded API server does
            return _status(ApiError(500, "InternalError", f"meshscale agent: metrics.k8s.io: {exc!r}"))
        return ProxyResult(200, json.dumps(doc).encode(), dict(_JSON))
