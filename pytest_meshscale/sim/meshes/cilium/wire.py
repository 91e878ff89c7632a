"""What a capture between two nodes sees under Cilium: ConfigMap kube-system/cilium-config `enable-wireguard:
"true"` (assumed when the ConfigMap is missing: the seed's install) -> WireGuard UDP 51871 between node IPs when
the pods are on different nodes and both CiliumNodes carry `network.cilium.io/wg-pub-key`; same-node traffic is
never encrypted. `enable-ipsec: "true"` -> IPsec, as the cilium-ipsec model has it (sim/meshes/cilium_ipsec/wire.py)."""

from __future__ import annotations

from typing import Any

from ...dataplane.topology import Topology
from ...dataplane.wire import WireView, plain, same_node
from .components import WG_KEY

__all__ = ["WIREGUARD_PORT", "cilium_wire"]

Obj = dict[str, Any]
WIREGUARD_PORT = 51871


def cilium_wire(topo: Topology, src: Obj, dst: Obj, port: int, nodes: tuple[str, str]) -> WireView:
    cfg = (topo.store.try_get("configmaps", "kube-system", "cilium-config") or {}).get("data")
    mode = "wireguard" if cfg is None or str(cfg.get("enable-wireguard")).lower() == "true" else ""
    if cfg is not None and str(cfg.get("enable-ipsec")).lower() == "true":
        from ..cilium_ipsec.wire import ipsec_wire  # late: that package's model subclasses this one

        return ipsec_wire(topo, src, dst, port, nodes)
    if not mode:
        return plain(src, dst, port, nodes, "cilium encryption is disabled")
    same = same_node(nodes)
    if same:
        return plain(src, dst, port, nodes, "same node: Cilium never encrypts node-local traffic")
    ips = [topo.node_ip(n) for n in nodes]
    missing = [n for n in nodes if not _wg_key(topo, n)]
    if missing:
        return plain(src, dst, port, nodes, f"node {missing[0]} has no WireGuard key ({WG_KEY}): no peer")
    return WireView("wireguard", True, "udp", ips[0], ips[1], WIREGUARD_PORT, same, "WireGuard between nodes")


def _wg_key(topo: Topology, node: str) -> str:
    cn = topo.store.try_get("ciliumnodes.cilium.io", None, node) or {}
    return str(((cn.get("metadata") or {}).get("annotations") or {}).get(WG_KEY) or "")
