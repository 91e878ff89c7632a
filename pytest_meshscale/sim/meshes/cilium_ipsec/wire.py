"""What a capture between two nodes sees under Cilium IPsec (cilium-config `enable-ipsec: "true"`):

- same node: plaintext ("Packets are not encrypted when they are destined to the same node", IPsec guide);
- otherwise the key is get_min_encrypt_key(source node's key, destination node's key), each from its CiliumNode
  spec.encryption.key (keys.py); 0 -> the packet leaves unencrypted (a node that loaded no key);
- else ESP, SPI = that key. Outer addresses: in tunnel mode (cilium-config routing-mode: tunnel, the seed's) the
  nodes' CiliumInternalIPs, encrypted before VXLAN (the guide's Monitoring example: ESP 10.244.2.92 >
  10.244.1.148 on cilium_vxlan, "the nodes have IP addresses" in the pod CIDR); in native routing the node IPs.
- fips: the key's algorithm is rfc4106(gcm(aes)) (AES-GCM, FIPS-approved; the kernel's FIPS mode is outside it).
"""

from __future__ import annotations

from typing import Any

from ...dataplane.topology import Topology
from ...dataplane.wire import WireView, plain, same_node
from .keys import aead, min_encrypt_key, secret_line

__all__ = ["ipsec_wire"]

Obj = dict[str, Any]
KS, KEY_SECRET = "kube-system", "cilium-ipsec-keys"


def _ciliumnode(topo: Topology, node: str) -> Obj:
    return topo.store.try_get("ciliumnodes.cilium.io", None, node) or {}


def _key(topo: Topology, node: str) -> int:
    return int(((_ciliumnode(topo, node).get("spec") or {}).get("encryption") or {}).get("key") or 0)


def _tunnel_ip(topo: Topology, node: str, tunnel: bool) -> str:
    addresses = (_ciliumnode(topo, node).get("spec") or {}).get("addresses") or []
    internal = next((a.get("ip", "") for a in addresses if a.get("type") == "CiliumInternalIP"), "")
    return str(internal) if tunnel and internal else topo.node_ip(node)


def ipsec_wire(topo: Topology, src: Obj, dst: Obj, port: int, nodes: tuple[str, str]) -> WireView:
    cfg = (topo.store.try_get("configmaps", KS, "cilium-config") or {}).get("data") or {}
    if str(cfg.get("enable-ipsec")).lower() != "true":
        return plain(src, dst, port, nodes, "cilium-config does not enable IPsec")
    if same_node(nodes):
        return plain(src, dst, port, nodes, "same node: Cilium never encrypts node-local traffic")
    keys = [_key(topo, n) for n in nodes]
    spi = min_encrypt_key(keys[0], keys[1])
    if not spi:
        node = nodes[keys.index(0)]
        return plain(src, dst, port, nodes, f"node {node} reports IPsec key 0 (CiliumNode spec.encryption.key): "
                                            "no encryption to or from it (get_min_encrypt_key)")
    tunnel = str(cfg.get("routing-mode", "tunnel")) == "tunnel"
    outer = [_tunnel_ip(topo, n, tunnel) for n in nodes]
    fips = aead(secret_line(topo.store.try_get("secrets", KS, KEY_SECRET))) == "rfc4106(gcm(aes))"
    return WireView("ipsec", True, "esp", outer[0], outer[1], 0, False, f"ESP (SPI {spi}) between the nodes",
                    fips=fips)
