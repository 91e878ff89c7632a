"""SimRuntime: the PodRuntime of the simulated cluster. It dispatches each pod to the handler of its image (by
repository: the scenario's images here, the mesh's own from its SimMesh.images), and answers the API server's pod
proxy only when the data plane admits that connection (a real-cluster pitfall: policies must allow the API server
too)."""

from __future__ import annotations

from typing import Any

from ..dataplane import DataPlane
from ..dataplane.ports import container_ports
from ..faults import Faults
from ..perf import PerfParams, load_params
from ..runtime import ContainerUsage, JobOutcome, ProxyResult
from .base import Env, ImageHandler, text
from .capture import Capture
from .commandline import tokens
from .fortio_server import FortioServer
from .loadservice import LoadService
from .registry import containers_images
from .tlsprobe import TlsProbe
from .usage import UsageModel

__all__ = ["IMAGES", "SimRuntime"]

Obj = dict[str, Any]
IMAGES: dict[str, type[ImageHandler]] = {
    "fortio/fortio": FortioServer,
    "gcr.io/istio-testing/isotope": LoadService,
    "istio/isotope": LoadService,
    "nicolaka/netshoot": Capture,  # runs `openssl s_client` as the TLS probe when its args say so
    "alpine/openssl": TlsProbe,
}
GO_ERRORS = {
    "timeout": "dial tcp {ip}:{port}: i/o timeout",
    "reset": "read tcp 172.31.0.1:51234->{ip}:{port}: read: connection reset by peer",
    "refused": "dial tcp {ip}:{port}: connect: connection refused",
}


def _server_cores(profile: Any) -> float:
    try:
        pool = profile.pool("server")
        return float(pool.count * pool.cores)
    except (AttributeError, StopIteration):
        return 0.0


class SimRuntime:
    """PodRuntime for `mesh` (a name of sim/meshes' registry); `profile` sizes the server pool."""

    def __init__(
        self,
        store: Any,
        mesh: str,
        profile: Any = None,
        faults: Faults | None = None,
        seed: int = 0,
        params: PerfParams | None = None,
    ) -> None:
        faults = faults or Faults()
        plane = DataPlane(store, mesh, faults, listens=self._listens)
        self.env = Env(store, mesh, plane, params or load_params(), faults, seed, server_cores=_server_cores(profile))
        self.env.handler_for = self.handler_for
        self.handlers = {repo: cls(self.env) for repo, cls in {**IMAGES, **plane.model.images}.items()}
        self._tls = TlsProbe(self.env)
        self.usage = UsageModel(self.env)

    @property
    def dataplane(self) -> DataPlane:
        return self.env.dataplane

    def handler_for(self, pod: Obj) -> ImageHandler | None:
        for _, repo in containers_images(pod):
            handler = self.handlers.get(repo)
            if isinstance(handler, Capture) and "s_client" in tokens(pod):
                return self._tls
            if handler is not None:
                return handler
        return None

    def _listens(self, pod: Obj, port: int) -> bool:
        handler = self.handler_for(pod)
        if handler is not None and handler.ports:
            return port in handler.ports
        declared = {
            int(p.get("containerPort", 0))
            for c in (pod.get("spec") or {}).get("containers") or []
            for p in c.get("ports") or []
        }
        return port in declared or port in container_ports(pod).values()

    # ---- PodRuntime ---------------------------------------------------------------------------
    def proxy(self, pod: Obj, port: int, method: str, path: str, query: str, body: bytes) -> ProxyResult:
        handler = self.handler_for(pod)
        if handler is None:
            return text(503, "no simulated image serves this pod\n")
        ip = (pod.get("status") or {}).get("podIP", "")
        admitted = self.dataplane.apiserver_proxy_outcome(pod, port)
        if not admitted.allowed:
            err = GO_ERRORS.get(admitted.how, GO_ERRORS["reset"]).format(ip=ip, port=port)
            return text(
                503,
                f"error trying to reach service: {err} (simulated: {admitted.by} refused the API "
                f"server's connection: {admitted.reason})\n",
            )
        if not self._listens(pod, port):
            return text(503, "error trying to reach service: " + GO_ERRORS["refused"].format(ip=ip, port=port) + "\n")
        return handler.proxy(pod, port, method, path, query, body)

    def logs(self, pod: Obj, container: str | None) -> str:
        """The log of `container` (None: the pod's one), from the handler of that container's image: a sidecar the
        pod also runs has its own log (empty unless the mesh simulates its image)."""
        chosen = pod
        if container:
            spec = pod.get("spec") or {}
            named = [c for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])
                     if c.get("name") == container]
            chosen = {**pod, "spec": {**spec, "containers": named}}
        handler = self.handler_for(chosen)
        return handler.logs(pod) if handler is not None else ""

    def run_job_pod(self, pod: Obj) -> JobOutcome:
        handler = self.handler_for(pod)
        return handler.run_job(pod) if handler is not None else JobOutcome(0, "")

    def pod_usage(self, pod: Obj) -> list[ContainerUsage]:
        """SIMULATED usage from the performance model (perf/params.py says where its parameters are)."""
        return self.usage.pod_usage(pod)

    def node_kernel_cores(self, node: Obj) -> float:
        return self.usage.node_kernel_cores(node)
