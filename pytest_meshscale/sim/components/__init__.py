"""What each simulated cluster has "pre-installed", as a platform team's helm installs leave it:
kube-system basics always, plus the mesh's components and the controllers that mesh runs in-cluster
(istiod's waypoint deployment controller, Cilium's per-node CiliumNode)."""

from __future__ import annotations

from ...model import Profile
from ..controllers import Controllers
from ..controllers.objects import Obj, meta
from ..faults import Faults
from ..store import Store
from .baseline import CNI_CONFIGMAP, install_baseline
from .cilium import CILIUM_VERSION, WG_KEY, CiliumNodeController, install_cilium
from .istio import ISTIO_NS, ISTIO_VERSION, install_istio
from .kube_system import install_kube_system
from .waypoints import WAYPOINT_CLASS, WaypointController

__all__ = ["CILIUM_VERSION", "CNI_CONFIGMAP", "ISTIO_NS", "ISTIO_VERSION", "MESHES", "WAYPOINT_CLASS", "WG_KEY",
           "install", "keyless_node"]

MESHES = ("istio-ambient", "cilium", "baseline")


def keyless_node(nodes: list[Obj], profile: Profile, faults: Faults) -> str | None:
    """The node wg-peer-missing strips of its WireGuard key: the last server node (deterministic)."""
    if not faults.wg_peer_missing:
        return None
    pool = profile.pool("server").name
    names = [meta(n)["name"] for n in nodes if (meta(n).get("labels") or {}).get("agentpool") == pool]
    return max(names) if names else None


def install(store: Store, controllers: Controllers, mesh: str, profile: Profile, faults: Faults, seed: int) -> None:
    """Create the mesh's objects and register its controllers (call before controllers.start())."""
    if mesh not in MESHES:
        raise ValueError(f"unknown mesh {mesh!r}; accepted: {', '.join(MESHES)}")
    install_kube_system(store)
    if mesh == "istio-ambient":
        install_istio(store, profile)
        waypoints = WaypointController(store)
        controllers.extend(waypoints.name, waypoints.route, waypoints.reconcile,
                           ("gateways.gateway.networking.k8s.io", "pods", "deployments.apps"))
    elif mesh == "cilium":
        install_cilium(store, profile)
        nodes = CiliumNodeController(store, seed, keyless_node(store.list("nodes")[0], profile, faults))
        controllers.extend(nodes.name, nodes.route, nodes.reconcile, ("nodes",))
    else:
        install_baseline(store)
