"""The data-plane agent of a real control plane: it learns the cluster only through the Kubernetes API (list +
watch into a Mirror) and serves what the pods would serve, each request decided by the sim's mesh models
(sim/meshes) against the policies actually stored in the API server. The images, data plane and
performance model are the embedded sim's own (SimRuntime), reading the Mirror instead of the sim's Store.

    agent = Agent(api, "cilium", profile, faults, log).start()   # lists, then watches; waits for the lists
    egress.pods = agent.connect                                   # the API server's CONNECTs to pod IPs
    agent.stop()

Everything it serves is SIMULATED: there are no containers, only the models.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..faults import Faults
from ..meshes.base import SimContext
from ..metrics_api import ResourceMetrics
from ..runtime import ProxyResult
from .admission import AdmissionEndpoint
from .http_conn import serve_http
from .informer import Client, Informer, wait_synced
from .jobs import JobPods
from .kubelet import KubeletLogs
from .metrics import MetricsEndpoint, serving_context
from .mirror import Mirror
from .resources import WATCHED
from .writes import ApiWrites

if TYPE_CHECKING:
    from ..meshes.base import Writer

__all__ = ["Agent", "AgentError"]

ESTABLISHED = b"HTTP/1.1 200 Connection established\r\n\r\n"  # nothing after it: the API server refuses that


class AgentError(RuntimeError):
    """The agent could not get its first picture of the cluster."""


def _refuse(conn: socket.socket, why: str) -> None:
    body = f"meshscale agent: {why}\n".encode()
    conn.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                 + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)


class Agent:
    def __init__(self, client: Client, mesh: str, profile: Any, faults: Faults, log: Callable[[str], None],
                 seed: int = 0) -> None:
        from ..images import SimRuntime  # late: it pulls in the data plane and the perf model

        self.client, self.mesh, self.log = client, mesh, log
        self.context = SimContext(profile, faults, seed)  # what the mesh's admission reads besides the cluster
        self.mirror = Mirror()
        self.mirror.writes = ApiWrites(lambda: client.get_text("/metrics")).counts  # churn, for the perf model
        # Built on the empty mirror, before any watch: its indexes then see every event from the first list on.
        self.runtime = SimRuntime(self.mirror, mesh, profile, faults, seed)
        self.jobs = JobPods(client, self.mirror, self.runtime, log)  # subscribed before the first list
        self.informers: list[Informer] = []
        self.writers: list[Writer] = []  # what the agent plays of the mesh's control plane
        self.metrics: tuple[str, MetricsEndpoint] | None = None  # (the endpoint's ip:port, its server)
        self.admission: tuple[str, AdmissionEndpoint] | None = None  # likewise, the mesh's webhook

    def _discover(self) -> tuple[dict[str, str], dict[str, str]]:
        """(group -> the version the API server prefers, watched resource -> the version to watch it in: its
        group's preferred one when that serves the kind, else the group's first other version that does, as
        kubectl's REST mapper picks; Linkerd's group prefers v1beta3, which lacks its v1alpha1-only kinds).
        Groups and kinds the API server does not serve are absent."""
        preferred, served = {"": "v1"}, {w.resource: "v1" for w in WATCHED if not w.group}
        for group in sorted({w.group for w in WATCHED if w.group}):
            status, body = self.client.request("GET", f"/apis/{group}", ok=(404,))
            if status != 200:
                continue
            preferred[group] = str(body["preferredVersion"]["version"])
            others = [str(v["version"]) for v in body.get("versions") or [] if v["version"] != preferred[group]]
            for version in (preferred[group], *others):
                _, listing = self.client.request("GET", f"/apis/{group}/{version}", ok=(404,))
                for resource in (listing or {}).get("resources") or []:
                    served.setdefault(f"{resource['name']}.{group}", version)
        return preferred, served

    def start(self, timeout: float = 60.0) -> Agent:
        versions, served = self._discover()
        self.writers = self.runtime.dataplane.model.writers(self.client, self.mirror, versions, self.context,
                                                            self.log)
        for kind in WATCHED:
            if kind.resource in served:
                self.informers.append(Informer(self.client, self.mirror, kind, served[kind.resource],
                                               self.log).start())
        missing = wait_synced(self.informers, timeout)
        if missing:
            self.stop()
            raise AgentError(f"agent: no first list of {', '.join(missing)} within {timeout:g} s")
        counts = self.mirror.object_counts()
        self.log(f"agent: watching {len(self.informers)} kinds ({counts.get('pods', 0)} pods, "
                 f"{counts.get('nodes', 0)} nodes); serving pod traffic for {self.mesh} (SIMULATED data plane)")
        return self

    def stop(self) -> None:
        for informer in self.informers:
            informer.stop()
        for writer in self.writers:
            writer.stop()

    def kubelet(self, cert: Path, key: Path, kwok_port: int) -> Callable[[str, socket.socket], None]:
        """The handler of the API server's connections to the nodes' kubelet endpoint (logs), served over TLS
        with `cert`/`key`; what the agent does not simulate goes on to KWOK on `kwok_port`."""
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(str(cert), str(key))
        return KubeletLogs(self.runtime, self.mirror, tls, kwok_port).connect

    def serve_metrics(self, target: str, cert: Path, key: Path, client_ca: Path) -> None:
        """Answer the API server's CONNECTs to `target` (the metrics APIService's endpoint) as metrics.k8s.io,
        over TLS with `cert`/`key`, for clients whose certificate `client_ca` signed (its front proxy)."""
        metrics = ResourceMetrics(self.mirror, self.runtime.pod_usage, self.runtime.node_kernel_cores)
        self.metrics = (target, MetricsEndpoint(metrics, serving_context(cert, key, client_ca)))

    def serve_admission(self, target: str, cert: Path, key: Path) -> AdmissionEndpoint:
        """Answer the API server's CONNECTs to `target` (the admission webhook's endpoint) with the mesh's admission
        (SimMesh.admit over the Mirror), over TLS with `cert`/`key`."""
        endpoint = AdmissionEndpoint(self.admit, cert, key)
        self.admission = (target, endpoint)
        return endpoint

    def admit(self, resource: str, obj: dict[str, Any]) -> None:
        """The mesh's admission (SimMesh.admit) of a create of `resource`, over the Mirror: changes `obj`."""
        self.runtime.dataplane.model.admit(self.mirror, resource, obj, self.context)  # type: ignore[arg-type]

    # ---- the API server's connections to pods ----------------------------------------------------------
    def connect(self, target: str, conn: socket.socket) -> None:
        """A CONNECT to `ip:port`: 200 and the pod's HTTP served, or 503 when no pod has that IP. The metrics
        APIService's endpoint is served as metrics.k8s.io (serve_metrics), the webhook's as admission."""
        for served in (self.metrics, self.admission):
            if served is not None and target == served[0]:
                return served[1].connect(target, conn)
        ip, _, port_text = target.rpartition(":")
        if not port_text.isdigit():
            return _refuse(conn, f"bad CONNECT target {target!r}")
        port = int(port_text)
        if self.runtime.dataplane.topo.pod_by_ip(ip) is None:
            return _refuse(conn, f"no pod has IP {ip}")
        conn.sendall(ESTABLISHED)
        serve_http(conn, lambda method, path, query, body: self._answer(ip, port, method, path, query, body))
        return None

    def _answer(self, ip: str, port: int, method: str, path: str, query: str, body: bytes) -> ProxyResult:
        pod = self.runtime.dataplane.topo.pod_by_ip(ip)  # again: the pod may have gone meanwhile
        if pod is None:
            return ProxyResult(503, f"meshscale agent: no pod has IP {ip}\n".encode())
        return self.runtime.proxy(pod, port, method, path, query, body)
