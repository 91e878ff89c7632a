"""Cilium as the sim models it: its install and per-node CiliumNode controller (components.py), its ingress
policy semantics (policy.py), WireGuard or IPsec between nodes (wire.py), and its perf paths: cilium-l4 when
the eBPF agent decides, cilium-l7 through the node's Envoy (fixtures/meshes/cilium/sim-perf.yaml)."""

from __future__ import annotations

from typing import Any, ClassVar

from ...dataplane.outcome import Outcome, Request
from ...dataplane.peer import Peer, pod_peer
from ...dataplane.topology import Topology
from ...dataplane.wire import WireView
from ...faults import Faults
from ...perf.loadbook import LoadBook
from ...store import Store
from ..base import ComponentLoad, MeshController, Obj, SimContext, SimMesh
from .components import CiliumNodeController, install_cilium, keyless_node
from .kinds import CILIUM_KINDS
from .policy import evaluate_cilium
from .wire import cilium_wire

__all__ = ["CiliumSim"]

L4, L7 = "cilium-l4", "cilium-l7"


class CiliumSim(SimMesh):
    name = "cilium"
    crd_folders = ("cilium",)
    kinds = CILIUM_KINDS
    watched = (
        ("secrets", "kube-system"),  # cilium-ipsec-keys only: the agent has no business with other secrets
        ("ciliumnetworkpolicies.cilium.io", ""), ("ciliumclusterwidenetworkpolicies.cilium.io", ""),
        ("ciliumnodes.cilium.io", ""),  # WireGuard keys per node
    )
    policy_resources = (
        "ciliumnetworkpolicies.cilium.io",
        "ciliumclusterwidenetworkpolicies.cilium.io",
        "networkpolicies.networking.k8s.io",
    )
    perf_paths = (L4, L7)
    l4_path: ClassVar[str] = L4  # the eBPF agent decided
    l7_path: ClassVar[str] = L7  # the node's Envoy is on the path
    node_controller: ClassVar[type[CiliumNodeController]] = CiliumNodeController
    key_fault: ClassVar[str] = "wg_peer_missing"  # the Faults flag that leaves one node without its key

    def install(self, store: Store, ctx: SimContext) -> None:
        install_cilium(store, ctx.profile)

    def controllers(self, store: Store, ctx: SimContext) -> tuple[MeshController, ...]:
        keyless = keyless_node(store.list("nodes")[0], ctx.profile, ctx.faults, self.key_fault)
        return (self.node_controller(store, ctx.seed, keyless),)

    def status_updates(self, created: list[Obj], nodes: list[Obj], ctx: SimContext) -> tuple[list[Obj], list[Obj]]:
        """A CiliumNode per node (with its WireGuard key, but for the wg-peer-missing node)."""
        maker = CiliumNodeController(None, ctx.seed, keyless_node(nodes, ctx.profile, ctx.faults))  # type: ignore[arg-type]  # ciliumnode() is pure
        return [maker.ciliumnode(node) for node in nodes], []

    def policy(self, topo: Topology, faults: Faults, src: Peer, src_pod: Obj | None, req: Request) -> Outcome:
        return evaluate_cilium(topo.store, src, req, pod_peer(req.dst, topo), faults.l7_bypass)

    def wire(self, topo: Topology, src: Obj, dst: Obj, port: int, nodes: tuple[str, str]) -> WireView:
        return cilium_wire(topo, src, dst, port, nodes)

    def perf_path(self, outcome: Outcome) -> str:
        if outcome.by.startswith("cilium-envoy"):  # an http rule admitted it: the node's Envoy is on the path
            return self.l7_path
        if outcome.by.startswith("cilium-agent"):
            return self.l4_path
        return super().perf_path(outcome)

    def component_load(self, component: str, pod: Obj, book: LoadBook, store: Any) -> ComponentLoad:
        node = str((pod.get("spec") or {}).get("nodeName") or "")
        if component == "cilium-agent":
            return ComponentLoad(book.node_kqps(node, self.perf_paths))
        if component == "cilium-envoy":
            return ComponentLoad(book.node_kqps(node, (self.l7_path,), client_side=False))
        return super().component_load(component, pod, book, store)
