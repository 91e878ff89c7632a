"""How the real API server reaches pods and nodes that do not exist: an egress selector, HTTP CONNECT over a
Unix domain socket, answered in this process (the Konnectivity pattern, without Konnectivity).

kube-apiserver's EgressSelectorConfiguration routes its `cluster` traffic (the pod and service proxy, pod
logs and exec to kubelets) through a proxy: for each connection it dials our socket and sends
`CONNECT 10.128.0.7:8080 HTTP/1.1`; a 200 reply makes the socket the connection to that address, any other
status fails the request with "proxy error from <socket> while dialing <addr>, code N".

Why this and not a network namespace with the pod CIDR on its loopback: no root, no extra addresses on the
host, no bridge back to the plugin, and one place that sees every destination (which pod, which port).
Loopback pod IPs are no way out either: the pod proxy refuses non-global-unicast IPs.

Until the data-plane agent serves pods (a later step), a CONNECT to a pod or Service address is answered
`503 Service Unavailable` with the body "meshscale: no data plane agent yet"; `Egress(handler=...)` is the
hook the agent will take. A CONNECT to a node's kubelet endpoint (its InternalIP and KWOK's port) is relayed
to KWOK's own server on 127.0.0.1, as kwokctl wires it: KWOK is the kubelet of its nodes (pod logs come
from its ClusterLogs, empty here: fake containers print nothing). A 200 reply must end at the header's
blank line: the API server refuses bytes buffered after it (it speaks first over the tunnel, TLS).
"""

from __future__ import annotations

import selectors
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import yaml

__all__ = ["Egress", "Handler", "NO_AGENT", "kubelet_relay", "refuse", "write_egress_config"]

NO_AGENT = b"meshscale: no data plane agent yet\n"
_LOGGED = 20  # the first CONNECTs go to stderr (they prove the path); the rest are only counted
Handler = Callable[[str, socket.socket], None]


def write_egress_config(path: Path, socket_path: Path) -> None:
    doc = {
        "apiVersion": "apiserver.k8s.io/v1beta1",
        "kind": "EgressSelectorConfiguration",
        "egressSelections": [{"name": "cluster", "connection": {
            "proxyProtocol": "HTTPConnect", "transport": {"uds": {"udsName": str(socket_path)}}}}],
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def refuse(target: str, conn: socket.socket) -> None:
    """The default handler: no agent yet."""
    head = (f"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(NO_AGENT)}\r\nConnection: close\r\n\r\n").encode()
    conn.sendall(head + NO_AGENT)


def _pump(a: socket.socket, b: socket.socket) -> None:
    """Copy both ways until either side closes (a followed log may stream for minutes)."""
    a.settimeout(None)
    b.settimeout(None)
    with selectors.DefaultSelector() as sel:
        sel.register(a, selectors.EVENT_READ, b)
        sel.register(b, selectors.EVENT_READ, a)
        while True:
            for key, _ in sel.select():
                data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                if not data:
                    return
                key.data.sendall(data)


def kubelet_relay(kubelets: set[str], port: int, fallback: Handler = refuse, kubelet: Handler | None = None) -> Handler:
    """Relay CONNECTs to `kubelets` ("ip:port" of the nodes' kubelet endpoints) to 127.0.0.1:port (KWOK), or
    hand them to `kubelet` when given (the agent, which serves the logs it simulates); anything else goes to
    `fallback` (the pods: 503 until the agent serves them)."""
    def handle(target: str, conn: socket.socket) -> None:
        if target not in kubelets:
            return fallback(target, conn)
        if kubelet is not None:
            return kubelet(target, conn)
        try:
            upstream = socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            return refuse(target, conn)
        with upstream:
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            _pump(conn, upstream)
        return None

    return handle


class Egress:
    """A thread accepting the API server's CONNECTs on `socket_path` (mode 0600: only this user dials it)."""

    def __init__(self, socket_path: Path, log: Callable[[str], None], handler: Handler = refuse,
                 routine: dict[str, str] | None = None) -> None:
        self.path, self.log, self.handler = socket_path, log, handler
        # target -> what it is: the API server dials these all the time (the metrics APIService's endpoint: its
        # availability checks, discovery, OpenAPI); logged once, so they do not use up the lines that prove the path
        self.routine = dict(routine or {})
        self.count = 0
        self._seen: set[str] = set()
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(str(socket_path))
        socket_path.chmod(0o600)
        self._sock.listen(128)
        self._thread = threading.Thread(target=self._accept, name="meshscale-egress", daemon=True)

    def start(self) -> Egress:
        self._thread.start()
        return self

    def close(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self.path.unlink(missing_ok=True)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._serve, args=(conn,), name="meshscale-egress-conn", daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(30)
            try:
                target = _read_connect(conn)
                if target is None:
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    return
                if target in self.routine:
                    with self._lock:
                        first = target not in self._seen
                        self._seen.add(target)
                    if first:
                        self.log(f"egress: CONNECT {target} ({self.routine[target]}; its further CONNECTs are not "
                                 "logged)")
                    return self.handler(target, conn)
                with self._lock:
                    self.count += 1
                    n = self.count
                if n <= _LOGGED:
                    self.log(f"egress: CONNECT {target}" + (" (further CONNECTs are counted, not logged)"
                                                             if n == _LOGGED else ""))
                self.handler(target, conn)
            except OSError:
                pass  # the API server gave up on this connection


def _read_connect(conn: socket.socket) -> str | None:
    """The `host:port` of a `CONNECT host:port HTTP/1.1` request (headers read and ignored)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk or len(data) > 16384:
            return None
        data += chunk
    parts = data.split(b"\r\n", 1)[0].decode("latin-1").split()
    if len(parts) != 3 or parts[0] != "CONNECT":
        return None
    return parts[1]
