"""The data plane of one simulated cluster: resolve a request, apply the mesh's policy, say what the
wire shows. One object per cluster; it reads the policies actually stored at each call."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..faults import Faults
from .outcome import Outcome, Request, deny_l4
from .peer import Peer, apiserver_peer, pod_peer
from .topology import Topology, pod_key
from .wire import WireView, wire_view

if TYPE_CHECKING:
    from ..meshes.base import SimMesh

__all__ = ["DataPlane"]

Obj = dict[str, Any]
Listens = Callable[[Obj, int], bool]


def _declared_ports(pod: Obj, port: int) -> bool:
    return any(
        int(p.get("containerPort", 0)) == port
        for c in (pod.get("spec") or {}).get("containers") or []
        for p in c.get("ports") or []
    )


class DataPlane:
    """decide() for requests, admits_apiserver_proxy() for the API server's pod proxy, wire() for captures.

    `mesh` names the SimMesh (sim/meshes' registry) whose semantics apply, kept as `model`. `listens(pod, port)`
    says whether something in the pod accepts connections on that port (the simulated images know; by default
    the declared containerPorts).
    """

    def __init__(
        self,
        store: Any,
        mesh: str,
        faults: Faults | None = None,
        listens: Listens | None = None,
        topology: Topology | None = None,
    ) -> None:
        from ..meshes import sim_mesh  # late: the meshes' modules are built on this package

        self.model: SimMesh = sim_mesh(mesh)
        self.store, self.mesh, self.faults = store, mesh, faults or Faults()
        self.topo = topology or Topology(store)
        self.listens = listens or _declared_ports

    # ---- requests ---------------------------------------------------------------------------------
    def decide(self, src_pod: Obj, host: str, port: int, method: str = "GET", path: str = "/") -> Outcome:
        """One HTTP request from src_pod to host:port (Service name, ClusterIP or pod IP)."""
        req_or_fail = self.resolve(src_pod, host, port, method, path)
        if isinstance(req_or_fail, Outcome):
            return req_or_fail
        return self.decide_request(src_pod, req_or_fail)

    def resolve(self, src_pod: Obj, host: str, port: int, method: str = "GET", path: str = "/") -> Request | Outcome:
        found = self.topo.resolve(host, pod_key(src_pod)[0])
        if found.error:
            return deny_l4("dns", "refused", found.error)
        if not found.pods:
            # kube-proxy REJECTs and Cilium's socket LB answers ECONNREFUSED for a Service without backends
            return deny_l4("service load balancer", "refused", f"service {host} has no ready endpoints")
        return self._request(src_pod, found.service, self.topo.pick(found.pods), host, port, method, path)

    def decide_each(self, src_pod: Obj, host: str, port: int, method: str = "GET", path: str = "/") -> list[Outcome]:
        """decide() against every backend of a Service (a load run spreads over all of them)."""
        found = self.topo.resolve(host, pod_key(src_pod)[0])
        if found.error or not found.pods:
            return [self.decide(src_pod, host, port, method, path)]
        reqs = [self._request(src_pod, found.service, p, host, port, method, path) for p in found.pods]
        return [r if isinstance(r, Outcome) else self.decide_request(src_pod, r) for r in reqs]

    def _request(
        self, src_pod: Obj, service: Obj | None, dst: Obj, host: str, port: int, method: str, path: str
    ) -> Request | Outcome:
        if service is None:
            return Request(src_pod, dst, port, None, None, method, path, f"{host}:{port}")
        target = _target_port(service, dst, port)
        if target is None:
            return deny_l4("service load balancer", "timeout", f"service {host} has no port {port}", dst)
        return Request(src_pod, dst, target, service, port, method, path, f"{host}:{port}")

    def decide_request(self, src_pod: Obj | None, req: Request) -> Outcome:
        src = pod_peer(src_pod, self.topo) if src_pod is not None else apiserver_peer()
        outcome = self._policy(src, src_pod, req)
        if outcome.allowed and not self.listens(req.dst, req.target_port):
            how = self.model.refused_how(src_pod, self.topo)
            return deny_l4("destination pod", how, f"nothing listens on port {req.target_port}", req.dst)
        return outcome

    def _policy(self, src: Peer, src_pod: Obj | None, req: Request) -> Outcome:
        return self.model.policy(self.topo, self.faults, src, src_pod, req)

    # ---- the API server's pod proxy ------------------------------------------------------------
    def admits_apiserver_proxy(self, pod: Obj, port: int) -> bool:
        return self.apiserver_proxy_outcome(pod, port).allowed

    def apiserver_proxy_outcome(self, pod: Obj, port: int) -> Outcome:
        """The API server opens a plaintext connection to pod:port; policies must admit it too."""
        req = Request(None, pod, port, host=f"{(pod.get('status') or {}).get('podIP', '')}:{port}")
        return self._policy(apiserver_peer(), None, req)

    # ---- the wire ---------------------------------------------------------------------------------
    def wire(self, src_pod: Obj, dst_pod: Obj, port: int) -> WireView:
        return wire_view(self.topo, self.model, self.faults.plaintext, src_pod, dst_pod, port)


def _target_port(service: Obj, pod: Obj, port: int) -> int | None:
    for sp in (service.get("spec") or {}).get("ports") or []:
        if int(sp.get("port", 0)) != port:
            continue
        target = sp.get("targetPort", port)
        if isinstance(target, int) or str(target).isdigit():
            return int(target)
        from .ports import container_ports

        return container_ports(pod).get(str(target))
    return None
