"""What a capture between two pods' nodes sees: the encryption facts of the data plane.

Each mesh says what its wire looks like (SimMesh.wire in sim/meshes/<mesh>/); a mesh that does not encrypt
shows plaintext on the app port between the pod IPs. The `plaintext` fault makes every mesh plaintext.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .topology import Topology, pod_ip

if TYPE_CHECKING:
    from ..meshes.base import SimMesh

__all__ = ["WireView", "node_pair", "plain", "same_node", "wire_view"]

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class WireView:
    protocol: str  # plaintext, or the mesh's encryption (hbone-mtls, wireguard, ipsec, ...)
    encrypted: bool
    transport: str  # tcp | udp | esp
    src_addr: str  # outer addresses and port as a capture shows them
    dst_addr: str
    port: int
    same_node: bool
    reason: str
    tls_version: str = ""
    cipher: str = ""
    tls_versions: tuple[str, ...] = ()  # what the mesh's TLS server accepts
    fips: bool = False


def node_pair(src: Obj, dst: Obj) -> tuple[str, str]:
    """The nodes of the two pods ('' when not scheduled)."""
    return str((src.get("spec") or {}).get("nodeName") or ""), str((dst.get("spec") or {}).get("nodeName") or "")


def same_node(nodes: tuple[str, str]) -> bool:
    return nodes[0] == nodes[1] and bool(nodes[0])


def plain(src: Obj, dst: Obj, port: int, nodes: tuple[str, str], reason: str) -> WireView:
    return WireView("plaintext", False, "tcp", pod_ip(src), pod_ip(dst), port, same_node(nodes), reason)


def wire_view(topo: Topology, mesh: SimMesh, plaintext_fault: bool, src: Obj, dst: Obj, port: int) -> WireView:
    nodes = node_pair(src, dst)
    if plaintext_fault:
        return plain(src, dst, port, nodes, "plaintext fault: encryption is off")
    return mesh.wire(topo, src, dst, port, nodes)
