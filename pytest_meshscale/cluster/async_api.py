"""Many concurrent API connections from one process, for the emulated mesh clients (scenario/api_clients.py):
asyncio + aiohttp, one connection per open watch, credentials from the same kubeconfig the run uses. The
run's own requests stay on `Api` (kube.py); this client exists because thousands of open watches do not fit
in threads (one thread per streaming urllib3 response)."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import ssl
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from .base import ClusterError

__all__ = ["TLS_READ_BUFFER", "AsyncKube", "lean_tls_loop", "list_head_version", "list_tail_version", "resource_path"]

_RV = re.compile(rb'"resourceVersion":"(\d+)"')
# a list's own resourceVersion: in its metadata, which both kube-apiserver and the sim write before the items
_LIST_RV = re.compile(rb'"metadata":\s*\{[^{}]*?"resourceVersion":\s*"(\d+)"')
_LIST_TAIL_RV = re.compile(_LIST_RV.pattern + rb'[^{}]*\}\s*\}\s*$')  # the same metadata, closing the body
LIST_HEAD_MAX = 64 * 1024  # the metadata is in the first bytes (built-in kinds) ...
LIST_TAIL_MAX = 4 * 1024  # ... or the last (custom resources): a few hundred bytes without paging


# asyncio's TLS protocol allocates a 256 KB read buffer per connection (SSLProtocol.max_size, Python 3.11): with one
# connection per watch that was ~4 GB at 16,000 watches (1,000 nodes). A TLS record carries at most 16 KB anyway.
TLS_READ_BUFFER = 16 * 1024


class _LeanTlsLoop(asyncio.SelectorEventLoop):
    """An event loop whose TLS connections read through a 16 KB buffer instead of asyncio's 256 KB. Only for the
    emulator's own loop; it relies on asyncio internals, so where they differ it leaves the buffer as it is."""

    def _make_ssl_transport(self, *args: Any, **kwargs: Any) -> Any:
        transport = super()._make_ssl_transport(*args, **kwargs)  # type: ignore[misc]
        proto = getattr(transport, "_ssl_protocol", None)
        if proto is not None and isinstance(getattr(proto, "_ssl_buffer", None), bytearray):
            proto.max_size = TLS_READ_BUFFER
            proto._ssl_buffer = bytearray(TLS_READ_BUFFER)
            proto._ssl_buffer_view = memoryview(proto._ssl_buffer)
        return transport


def lean_tls_loop() -> asyncio.AbstractEventLoop:
    """A new event loop for thousands of TLS connections (see _LeanTlsLoop)."""
    return _LeanTlsLoop()


def list_head_version(head: bytes) -> str | None:
    """The list's resourceVersion from the first bytes of its body, or None when it is not there: built-in kinds'
    lists put their metadata before the items; custom resources' (unstructured, keys sorted) after them."""
    cut = head.find(b'"items"')
    found = _LIST_RV.search(head if cut < 0 else head[:cut])
    return found.group(1).decode() if found else None


def list_tail_version(tail: bytes) -> str:
    """The list's resourceVersion from the last bytes of its body: its metadata when that is the object's last key
    (custom resources' lists); "" when not there. An item's metadata is never last: the items' array closes after."""
    found = _LIST_TAIL_RV.search(tail)
    return found.group(1).decode() if found else ""


def resource_path(group: str, version: str, resource: str, namespace: str | None = None, name: str = "",
                  sub: str = "") -> str:
    base = f"/apis/{group}/{version}" if group else f"/api/{version}"
    parts = [base] + ([f"namespaces/{namespace}"] if namespace else []) + [resource] + ([name] if name else [])
    return "/".join(parts) + (f"/{sub}" if sub else "")


def _pem(data: str, tmp: Path, name: str) -> str:
    path = tmp / name
    path.write_bytes(base64.b64decode(data))
    return str(path)


def _tls_and_headers(kubeconfig: str, context: str | None) -> tuple[str, ssl.SSLContext, dict[str, str]]:
    doc: Any = yaml.safe_load(Path(kubeconfig).read_text()) or {}
    ctx_name = context or doc.get("current-context")
    contexts = {c["name"]: c.get("context") or {} for c in doc.get("contexts") or []}
    cur = contexts.get(ctx_name) or {}
    cluster = next((c["cluster"] for c in doc.get("clusters") or [] if c["name"] == cur.get("cluster")), None)
    user = next((u.get("user") or {} for u in doc.get("users") or [] if u["name"] == cur.get("user")), {})
    if not cluster:
        raise ClusterError(f"kubeconfig {kubeconfig}: no cluster for context {ctx_name!r}")
    tls = ssl.create_default_context()
    headers: dict[str, str] = {}
    # ssl loads PEM from files only: written to a private temporary folder, removed right after loading
    with tempfile.TemporaryDirectory(prefix="meshscale-tls-") as tmp:
        if "certificate-authority-data" in cluster:
            tls.load_verify_locations(cafile=_pem(cluster["certificate-authority-data"], Path(tmp), "ca.crt"))
        elif "certificate-authority" in cluster:
            tls.load_verify_locations(cafile=cluster["certificate-authority"])
        if "client-certificate-data" in user:
            tls.load_cert_chain(_pem(user["client-certificate-data"], Path(tmp), "c.crt"),
                                _pem(user["client-key-data"], Path(tmp), "c.key"))
    if user.get("token"):
        headers["Authorization"] = f"Bearer {user['token']}"
    return str(cluster["server"]).rstrip("/"), tls, headers


class AsyncKube:
    """Use inside one event loop: `await open()`, requests and watches, `await close()`."""

    def __init__(self, kubeconfig: str, context: str | None = None) -> None:
        self.server, self._tls, self._headers = _tls_and_headers(kubeconfig, context)
        self._session: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        connector = aiohttp.TCPConnector(limit=0, ssl=self._tls)  # no cap: every watch holds its connection
        self._session = aiohttp.ClientSession(connector=connector, headers=self._headers,
                                              timeout=aiohttp.ClientTimeout(total=None, sock_connect=30))

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None, "AsyncKube.open() was not awaited"
        return self._session

    async def request(self, method: str, path: str, body: Any = None, query: Mapping[str, str] | None = None,
                      content_type: str = "application/json", timeout_s: float = 60) -> tuple[int, Any]:
        """(status, JSON body or None). Connection failures raise aiohttp's errors for the caller to count."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json", **({"Content-Type": content_type} if data is not None else {})}
        async with self.session.request(method, self.server + path, data=data, params=query, headers=headers,
                                        timeout=aiohttp.ClientTimeout(total=timeout_s)) as resp:
            raw = await resp.read()
        try:
            return resp.status, json.loads(raw) if raw else None
        except ValueError:
            return resp.status, None

    async def list_version(self, path: str, query: Mapping[str, str], timeout_s: float = 120) -> tuple[int, str]:
        """LIST without keeping the items: (status, the list's resourceVersion, "" if none). The body is read as
        it streams and dropped, so a thousand informers' LISTs of every EndpointSlice (tens of MB each at full
        scale) cost the server what they cost it, and this process only a chunk at a time: decoding them whole,
        64 at once, took the emulator past 14 GiB at 1,000 nodes."""
        headers = {"Accept": "application/json"}
        async with self.session.get(self.server + path, params=query, headers=headers,
                                    timeout=aiohttp.ClientTimeout(total=timeout_s)) as resp:
            head, tail, version = b"", b"", None
            async for chunk in resp.content.iter_any():
                if version is None and len(head) < LIST_HEAD_MAX:
                    head += chunk
                    version = list_head_version(head)
                tail = (tail + chunk[-LIST_TAIL_MAX:])[-LIST_TAIL_MAX:]  # a bounded copy per chunk
            return resp.status, version if version is not None else list_tail_version(tail)

    async def watch(self, path: str, query: Mapping[str, str], on_chunk: Callable[[bytes], Awaitable[None] | None],
                    on_open: Callable[[], None] | None = None) -> str:
        """Stream one watch until the server ends it; `on_open` is called once the server answered 200 (the watch
        is open there), `on_chunk` gets the raw bytes (newline-separated JSON events) as they arrive. Returns the
        last resourceVersion seen, to resume from ("" if none)."""
        last = ""
        async with self.session.get(self.server + path, params={**query, "watch": "true"},
                                    headers={"Accept": "application/json"}) as resp:
            if resp.status != 200:
                raise ClusterError(f"watch {path}: HTTP {resp.status}: {(await resp.read())[:200]!r}")
            if on_open is not None:
                on_open()
            async for chunk in resp.content.iter_any():
                found = _RV.findall(chunk)
                if found:
                    last = found[-1].decode()
                pending = on_chunk(chunk)
                if pending is not None:
                    await pending
        return last

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

