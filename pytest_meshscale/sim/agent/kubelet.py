"""The kubelet endpoint of the fake nodes, for the logs the agent simulates: the API server asks a node's
kubelet (its InternalIP and KWOK's port) for `/containerLogs/NS/POD/CONTAINER` over TLS through the egress
CONNECT. The agent terminates that TLS (kube-apiserver is not given a kubelet CA here, so it does not check the
certificate, as with KWOK's own) and answers the logs of pods whose image it simulates (capture and TLS-probe
Jobs, ztunnel, fortio) as `kubectl logs` shows them on the sim; every other request is passed on to KWOK,
the kubelet of the rest (its logs are empty files). A followed log is answered with what there is so far.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from typing import Any
from urllib.parse import parse_qs

from ..runtime import ProxyResult
from .http_conn import serve_http
from .mirror import Mirror

__all__ = ["KubeletLogs"]

ESTABLISHED = b"HTTP/1.1 200 Connection established\r\n\r\n"


def _tail(text: str, query: str) -> str:
    tail = (parse_qs(query).get("tailLines") or [""])[0]
    if tail.isdigit():
        return "".join(text.splitlines(keepends=True)[-int(tail):]) if int(tail) else ""
    return text


class KubeletLogs:
    def __init__(self, runtime: Any, mirror: Mirror, tls: ssl.SSLContext, kwok_port: int) -> None:
        self.runtime, self.mirror, self.tls, self.kwok_port = runtime, mirror, tls, kwok_port
        self._kwok_tls = ssl.create_default_context()
        self._kwok_tls.check_hostname = False
        self._kwok_tls.verify_mode = ssl.CERT_NONE  # KWOK's self-signed serving certificate, on 127.0.0.1

    def connect(self, target: str, conn: socket.socket) -> None:
        conn.sendall(ESTABLISHED)
        with self.tls.wrap_socket(conn, server_side=True) as tunnel:
            serve_http(tunnel, self._answer)

    def _answer(self, method: str, path: str, query: str, body: bytes) -> ProxyResult:
        parts = path.split("/")
        if method == "GET" and len(parts) == 5 and parts[1] == "containerLogs":
            pod = self.mirror.try_get("pods", parts[2], parts[3])
            if pod is not None and self.runtime.handler_for(pod) is not None:
                text = _tail(self.runtime.logs(pod, parts[4]), query)
                return ProxyResult(200, text.encode(), {"Content-Type": "text/plain"})
        return self._to_kwok(method, path + (f"?{query}" if query else ""), body)

    def _to_kwok(self, method: str, target: str, body: bytes) -> ProxyResult:
        conn = http.client.HTTPSConnection("127.0.0.1", self.kwok_port, context=self._kwok_tls, timeout=30)
        try:
            conn.request(method, target, body or None)
            resp = conn.getresponse()
            return ProxyResult(resp.status, resp.read(), {"Content-Type": resp.getheader("Content-Type") or
                                                          "text/plain"})
        finally:
            conn.close()
