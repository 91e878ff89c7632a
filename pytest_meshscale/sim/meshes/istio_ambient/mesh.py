"""Istio ambient as the sim models it: istiod, ztunnel and istio-cni (components.py) and istiod's waypoint
controller (waypoints.py; waypoint_writer.py on kwok), capture and policy at ztunnel and waypoints (policy.py,
authz.py) with the CNI's NetworkPolicy after them, HBONE mTLS on 15008 (tls.py), and its perf paths:
ambient-l4 through ztunnels, ambient-l7 through a waypoint (fixtures/meshes/istio-ambient/sim-perf.yaml)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...dataplane.netpol import enforce_netpols
from ...dataplane.outcome import Outcome, Request
from ...dataplane.peer import Peer
from ...dataplane.topology import Topology, pod_ip
from ...dataplane.wire import WireView, plain, same_node
from ...faults import Faults
from ...perf.loadbook import LoadBook
from ...store import Store
from ..base import ComponentLoad, Log, MeshController, Obj, SimContext, SimMesh, TlsListener, Writer
from .components import install_istio
from .kinds import ISTIO_KINDS
from .policy import captured, evaluate_istio
from .tls import HBONE_PORT, ambient_tls, hbone_listener
from .waypoints import GATEWAYS, NAME_LABEL, WaypointController
from .ztunnel_image import Ztunnel

__all__ = ["IstioAmbientSim"]

L4, L7 = "ambient-l4", "ambient-l7"
WAYPOINT = "waypoint "  # how an Outcome decided by a waypoint names it: "waypoint NS/NAME"
GATEWAY_GROUP = GATEWAYS.partition(".")[2]


class IstioAmbientSim(SimMesh):
    name = "istio-ambient"
    crd_folders = ("istio", "gateway-api")  # waypoints are Gateways
    kinds = ISTIO_KINDS
    watched = (
        ("deployments.apps", "istio-system"), ("daemonsets.apps", "istio-system"),  # istiod/ztunnel crypto env
        ("authorizationpolicies.security.istio.io", ""), ("peerauthentications.security.istio.io", ""),
        (GATEWAYS, ""),  # waypoints
    )
    policy_resources = ("authorizationpolicies.security.istio.io", "networkpolicies.networking.k8s.io")
    images = {"istio/ztunnel": Ztunnel}
    perf_paths = (L4, L7)
    tls_ports = (HBONE_PORT,)

    def install(self, store: Store, ctx: SimContext) -> None:
        install_istio(store, ctx.profile)

    def controllers(self, store: Store, ctx: SimContext) -> tuple[MeshController, ...]:
        return (WaypointController(store),)

    def status_updates(self, created: list[Obj], nodes: list[Obj], ctx: SimContext) -> tuple[list[Obj], list[Obj]]:
        """The Accepted status istiod gives its GatewayClasses (a status set on create is dropped by the API
        server, so it is PUT again)."""
        return [], [o for o in created if o.get("status") and o["kind"] == "GatewayClass"]

    def writers(self, client: Any, mirror: Any, versions: Mapping[str, str], ctx: SimContext, log: Log) -> list[Writer]:
        if GATEWAY_GROUP not in versions:
            return []
        from .waypoint_writer import WaypointWriter  # late: the agent's modules import the images, hence us

        return [WaypointWriter(client, mirror, versions[GATEWAY_GROUP], log).start()]

    def policy(self, topo: Topology, faults: Faults, src: Peer, src_pod: Obj | None, req: Request) -> Outcome:
        istio = evaluate_istio(topo, src, src_pod, req, faults.l7_bypass)
        return istio if not istio.allowed else enforce_netpols(topo.store, src, req, istio)

    def refused_how(self, src_pod: Obj | None, topo: Topology) -> str:
        # an ambient client's own ztunnel already accepted the connection: the failure shows as a reset
        return "reset" if captured(src_pod, topo) else "refused"

    def wire(self, topo: Topology, src: Obj, dst: Obj, port: int, nodes: tuple[str, str]) -> WireView:
        if not (captured(src, topo) and captured(dst, topo)):
            return plain(src, dst, port, nodes, "not both pods captured by ambient: plaintext on the app port")
        version, cipher, versions, fips = ambient_tls(topo.store)
        return WireView("hbone-mtls", True, "tcp", pod_ip(src), pod_ip(dst), HBONE_PORT, same_node(nodes),
                        "both pods captured: HBONE over mTLS", version, cipher, versions, fips)

    def tls_listener(self, topo: Topology, faults: Faults, pod: Obj, port: int) -> TlsListener | None:
        if port != HBONE_PORT or faults.plaintext or not captured(pod, topo):
            return None
        return hbone_listener(topo.store)

    def perf_path(self, outcome: Outcome) -> str:
        if outcome.by.startswith(WAYPOINT):
            return L7
        if outcome.by.startswith("ztunnel"):
            return L4
        return super().perf_path(outcome)

    def l7_proxy(self, outcome: Outcome) -> tuple[str, str] | None:
        if not outcome.by.startswith(WAYPOINT):
            return None
        ns, _, name = outcome.by.partition(" ")[2].partition("/")
        return ns, name

    def component_load(self, component: str, pod: Obj, book: LoadBook, store: Any) -> ComponentLoad:
        meta = pod.get("metadata") or {}
        if component == "ztunnel":
            return ComponentLoad(book.node_kqps(str((pod.get("spec") or {}).get("nodeName") or ""), self.perf_paths))
        if component == "waypoint":
            ns, gw = str(meta.get("namespace", "")), (meta.get("labels") or {}).get(NAME_LABEL, "")
            replicas = len(store.list("pods", ns, label_selector=f"{NAME_LABEL}={gw}")[0])
            return ComponentLoad(book.l7_proxy_kqps(ns, gw) / max(1, replicas), len(store.list("services", ns)[0]))
        return super().component_load(component, pod, book, store)
