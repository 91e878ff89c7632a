"""Kernel work per node: what node CPU holds beyond its pods' containers (SIMULATED).

node CPU = its pods' CPU + kernel work + a small base (kubelet, OS). Kernel work per request crossing the node
(client and server ends both count, as in LoadBook.node_kqps): the TCP/IP stack every mesh and the baseline pay,
plus the mesh's own: eBPF programs per packet (cilium*), crypto per byte and per packet on both ends (WireGuard
for cilium, IPsec ESP for cilium-ipsec; none under the `plaintext` fault), and the socket hops of user-space
proxies (ztunnel, sidecars: their CPU is in their pods, the loopback/redirect hops cost kernel time). Parameters:
`kernel:` in fixtures/sim/perf.yaml (shared) and in fixtures/meshes/<mesh>/sim-perf.yaml (the mesh's), each with
its source or marked ESTIMATE with its reasoning.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KernelParams", "MeshKernel", "kernel_cores_per_kqps"]


@dataclass(frozen=True, slots=True)
class KernelParams:
    """Shared: per node and per request end, whatever the mesh."""

    node_base_cores: float = 0.0
    tcp_us_per_request: float = 0.0
    bytes_per_request: float = 0.0
    packets_per_request: float = 0.0


@dataclass(frozen=True, slots=True)
class MeshKernel:
    """A mesh's own kernel work per request end (zeros: the baseline's, nothing beyond the TCP stack)."""

    crypto_ns_per_byte: float = 0.0
    crypto_ns_per_packet: float = 0.0
    ebpf_ns_per_packet: float = 0.0
    proxy_hops_per_request: float = 0.0
    ns_per_proxy_hop: float = 0.0


def kernel_cores_per_kqps(shared: KernelParams, mesh: MeshKernel, encrypted: bool) -> float:
    """Kernel cores per 1,000 requests/s crossing a node (one end of each request)."""
    ns = shared.tcp_us_per_request * 1e3 + shared.packets_per_request * mesh.ebpf_ns_per_packet
    ns += mesh.proxy_hops_per_request * mesh.ns_per_proxy_hop
    if encrypted:
        ns += shared.bytes_per_request * mesh.crypto_ns_per_byte
        ns += shared.packets_per_request * mesh.crypto_ns_per_packet
    return ns * 1e-9 * 1000
