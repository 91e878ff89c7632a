"""The `etcd-latency=SECONDS` fault on kwok: a TCP relay between kube-apiserver and etcd that holds every byte
etcd sends back for SECONDS before passing it on, once switched on (after the control plane is ready, so the
start is not slowed). kube-apiserver then answers slowly because its storage is slow, and its own
apiserver_request_duration_seconds shows it: what the API-pressure SLO test must catch. Order is kept (one
queue per direction and connection); throughput is not limited, only delayed."""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time

__all__ = ["SlowEtcd"]


class SlowEtcd:
    def __init__(self, etcd_port: int, delay_s: float) -> None:
        self.etcd_port, self.delay_s, self.active = etcd_port, delay_s, False
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()

    def start(self) -> SlowEtcd:
        threading.Thread(target=self._accept, name="slow-etcd", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._server.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.etcd_port))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            self._delayed(upstream, client)

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def _delayed(self, src: socket.socket, dst: socket.socket) -> None:
        """etcd -> kube-apiserver: each chunk leaves `delay_s` after it arrived (while active)."""
        pending: queue.Queue[tuple[float, bytes]] = queue.Queue()

        def read() -> None:
            with contextlib.suppress(OSError):
                while data := src.recv(65536):
                    pending.put((time.monotonic() + (self.delay_s if self.active else 0.0), data))
            pending.put((0.0, b""))

        def write() -> None:
            with contextlib.suppress(OSError):
                while True:
                    due, data = pending.get()
                    if not data:
                        break
                    time.sleep(max(0.0, due - time.monotonic()))
                    dst.sendall(data)
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_RDWR)

        threading.Thread(target=read, daemon=True).start()
        threading.Thread(target=write, daemon=True).start()
