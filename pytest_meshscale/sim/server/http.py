"""The HTTPS listener: threaded HTTP/1.1 with keep-alive on 127.0.0.1 only, TLS from a per-run CA;
every request is handed to Api.handle. Watches stream with chunked transfer encoding."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import ssl
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .api import Api
from .tls import TlsMaterial, make_tls

__all__ = ["ApiServer"]

LOOPBACK = "127.0.0.1"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class names it so
        return  # request logging would cost more than the requests themselves at 50k pods

    def _serve(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        resp = self.server.api.handle(self.command, url.path, query, headers, body, url.query)
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.content_type)
        for k, v in resp.headers.items():
            self.send_header(k, v)
        if isinstance(resp.body, bytes):
            self.send_header("Content-Length", str(len(resp.body)))
            self.end_headers()
            self.wfile.write(resp.body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        try:
            for chunk in resp.body:
                if not chunk:
                    if self._client_gone():
                        break
                    continue
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        finally:
            close = getattr(resp.body, "close", None)
            if close:
                close()
        self.close_connection = True  # the watch ended (timeout, watch-drop fault or shutdown)

    def _client_gone(self) -> bool:
        """A watch client sends nothing: a readable socket means it closed (or broke) the connection."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and not self.connection.recv(1)
        except (OSError, ValueError):
            return True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def handle(self) -> None:
        with contextlib.suppress(ConnectionError, ssl.SSLError, TimeoutError, OSError):
            super().handle()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, port: int, api: Api, context: ssl.SSLContext) -> None:
        self.api = api
        super().__init__((LOOPBACK, port), _Handler)
        # The handshake happens in the request thread (first read), not in the accept loop.
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, addr


class ApiServer:
    """The API server on https://127.0.0.1:PORT (port 0: any free port); start() then stop()."""

    def __init__(self, api: Api, port: int = 0, tls: TlsMaterial | None = None) -> None:
        self.api, self.tls = api, tls or make_tls()
        self._httpd = _Server(port, api, self._context())
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="meshscale-sim-api", daemon=True)

    @property
    def url(self) -> str:
        return f"https://{LOOPBACK}:{self.port}"

    def _context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_alpn_protocols(["http/1.1"])  # kubectl would otherwise try HTTP/2
        with tempfile.TemporaryDirectory(prefix="meshscale-sim-tls-") as tmp:
            cert, key = os.path.join(tmp, "tls.crt"), os.path.join(tmp, "tls.key")
            with open(cert, "wb") as f:
                f.write(self.tls.cert_pem)
            with open(os.open(key, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as f:
                f.write(self.tls.key_pem)
            ctx.load_cert_chain(cert, key)
        return ctx

    def start(self) -> ApiServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.api.stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
