"""Cilium with IPsec as the sim models it: the cilium model (same agent, same CiliumNetworkPolicy semantics,
same Envoy for L7) with IPsec's install (components.py), its per-node key state and wire (keys.py, wire.py),
the ipsec-key-missing fault, and its own perf paths (fixtures/meshes/cilium-ipsec/sim-perf.yaml)."""

from __future__ import annotations

from ...dataplane.topology import Topology
from ...dataplane.wire import WireView
from ...store import Store
from ..base import Obj, SimContext
from ..cilium.components import keyless_node
from ..cilium.mesh import CiliumSim
from .components import KEY_SECRET, IpsecNodeController, install_cilium_ipsec
from .keys import key_id, secret_line
from .wire import ipsec_wire

__all__ = ["CiliumIpsecSim"]

L4, L7 = "cilium-ipsec-l4", "cilium-ipsec-l7"


class CiliumIpsecSim(CiliumSim):
    name = "cilium-ipsec"
    perf_paths = (L4, L7)
    l4_path, l7_path = L4, L7
    node_controller = IpsecNodeController
    key_fault = "ipsec_key_missing"

    def install(self, store: Store, ctx: SimContext) -> None:
        install_cilium_ipsec(store, ctx.profile, ctx.seed)

    def status_updates(self, created: list[Obj], nodes: list[Obj], ctx: SimContext) -> tuple[list[Obj], list[Obj]]:
        """A CiliumNode per node with the key index of the Secret the install created (kwok)."""
        secret = next((o for o in created if o.get("kind") == "Secret" and o["metadata"]["name"] == KEY_SECRET), None)
        keyless = keyless_node(nodes, ctx.profile, ctx.faults, self.key_fault)
        maker = IpsecNodeController(None, ctx.seed, keyless, key_id(secret_line(secret)))
        return [maker.ciliumnode(node) for node in nodes], []

    def wire(self, topo: Topology, src: Obj, dst: Obj, port: int, nodes: tuple[str, str]) -> WireView:
        return ipsec_wire(topo, src, dst, port, nodes)
