"""One HTTP/1.1 connection served as a pod would serve it: the API server's pod proxy, once our CONNECT reply
made the tunnelled socket its connection to the pod, sends plain HTTP requests (keep-alive: several per
connection). Each is parsed here and answered by `answer(method, path, query, body)`.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from http.client import responses
from typing import BinaryIO

from ..runtime import ProxyResult

__all__ = ["Answer", "serve_http"]

Answer = Callable[[str, str, str, bytes], ProxyResult]
MAX_HEADER = 65536
IDLE_S = 90.0  # the API server's transport keeps idle connections about this long


class _BadRequest(Exception):
    pass


def _headers(rfile: BinaryIO) -> dict[str, str]:
    found: dict[str, str] = {}
    size = 0
    while True:
        line = rfile.readline(MAX_HEADER)
        size += len(line)
        if not line or size > MAX_HEADER:
            raise _BadRequest("headers too long or cut short")
        if line in (b"\r\n", b"\n"):
            return found
        name, _, value = line.decode("latin-1").partition(":")
        found[name.strip().lower()] = value.strip()


def _body(rfile: BinaryIO, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks = []
        while True:
            size = int(rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(rfile.read(size))
            rfile.readline(8)
    length = int(headers.get("content-length") or 0)
    return rfile.read(length) if length else b""


def _response(result: ProxyResult, keep_alive: bool) -> bytes:
    head = [f"HTTP/1.1 {result.status} {responses.get(result.status, 'Status')}"]
    extra = {k.lower() for k in result.headers}
    head += [f"{k}: {v}" for k, v in result.headers.items() if k.lower() not in ("content-length", "connection")]
    if "content-type" not in extra:
        head.append("Content-Type: text/plain; charset=utf-8")
    head += [f"Content-Length: {len(result.body)}", f"Connection: {'keep-alive' if keep_alive else 'close'}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + result.body


def serve_http(conn: socket.socket, answer: Answer) -> int:
    """Serve requests until the peer closes or asks to; returns how many were answered."""
    conn.settimeout(IDLE_S)
    served = 0
    with conn.makefile("rb") as rfile:
        while True:
            try:
                line = rfile.readline(MAX_HEADER)
            except TimeoutError:
                return served
            if not line.strip():
                return served
            try:
                method, target, version = line.decode("latin-1").split()
                headers = _headers(rfile)
                body = _body(rfile, headers)
            except (ValueError, _BadRequest):
                conn.sendall(_response(ProxyResult(400, b"bad request\n"), False))
                return served
            path, _, query = target.partition("?")
            keep = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
            conn.sendall(_response(answer(method, path, query, body), keep))
            served += 1
            if not keep:
                return served
