"""What every simulated image shares: the environment it runs in and the handler interface."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..dataplane import DataPlane
from ..faults import Faults
from ..perf import LoadBook, PerfParams
from ..runtime import JobOutcome, ProxyResult
from .traffic import TrafficLog

if TYPE_CHECKING:
    from ..meshes.base import SimMesh

__all__ = ["Env", "ImageHandler", "PodLogs", "pod_name", "text"]

Obj = dict[str, Any]


def pod_name(pod: Obj) -> tuple[str, str]:
    meta = pod.get("metadata") or {}
    return str(meta.get("namespace", "")), str(meta.get("name", ""))


def text(status: int, body: str, **headers: str) -> ProxyResult:
    return ProxyResult(status, body.encode(), {"Content-Type": "text/plain; charset=utf-8", **headers})


class PodLogs:
    """Per-pod log lines (bounded), stamped like fortio's console logger."""

    def __init__(self, keep: int = 2000) -> None:
        self._lock = threading.Lock()
        self._lines: dict[tuple[str, str], deque[str]] = {}
        self._keep = keep

    def add(self, pod: Obj, line: str) -> None:
        stamp = time.strftime("%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1000) % 1000:03d}"
        with self._lock:
            self._lines.setdefault(pod_name(pod), deque(maxlen=self._keep)).append(f"{stamp} {line}")

    def text(self, pod: Obj) -> str:
        with self._lock:
            lines = list(self._lines.get(pod_name(pod), ()))
        return "".join(line + "\n" for line in lines)


@dataclass
class Env:
    """The cluster as the images see it (one per SimRuntime)."""

    store: Any
    mesh: str
    dataplane: DataPlane
    params: PerfParams
    faults: Faults
    seed: int
    loadbook: LoadBook = field(default_factory=LoadBook)
    traffic: TrafficLog = field(default_factory=TrafficLog)
    logs: PodLogs = field(default_factory=PodLogs)
    server_cores: float = 0.0  # 0 = sum the nodes' capacity
    handler_for: Callable[[Obj], Any] = lambda pod: None  # the image handler of a pod (set by SimRuntime)

    @property
    def model(self) -> SimMesh:
        """The cluster's mesh as the sim models it."""
        return self.dataplane.model


class ImageHandler:
    """One simulated image. Servers answer proxy()/serve(); Job images implement run_job()."""

    ports: tuple[int, ...] = ()

    def __init__(self, env: Env) -> None:
        self.env = env

    def proxy(self, pod: Obj, port: int, method: str, path: str, query: str, body: bytes) -> ProxyResult:
        """A request through the API server's pod proxy."""
        return self.serve(pod, port, method, path, body)

    def serve(self, pod: Obj, port: int, method: str, path: str, body: bytes) -> ProxyResult:
        """A request from inside the cluster that the data plane let through."""
        return text(404, "404 page not found\n")

    def logs(self, pod: Obj) -> str:
        return self.env.logs.text(pod)

    def run_job(self, pod: Obj) -> JobOutcome:
        return JobOutcome(0, "")
