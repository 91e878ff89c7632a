"""Kernel-inclusive mesh cost and the price model: pure arithmetic on measured cores (stdlib only).

Per node, node CPU (NodeMetrics, or the kubelet's /metrics/resource) minus the sum of its pods' CPU (PodMetrics) is
work no pod accounts for: the kernel (WireGuard, IPsec, eBPF, the TCP stack, socket hops between proxies), the
kubelet and the OS. A mesh's kernel cores are that figure under load minus what the no-mesh `baseline` spends at
the same load (its idle figure plus its load-dependent part scaled to the mesh's QPS):

    kernel = U_mesh,load - (U_base,idle + (U_base,load - U_base,idle) * QPS_mesh / QPS_base)

Without a baseline nothing is attributed, and the Score says so. Dollars per million requests are a price model:
total mesh cores x USD per core-hour (the node pools' list prices / their vCPUs) / requests per hour x 1e6.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["NODE_TOLERANCE_CORES", "NO_BASELINE", "NO_PRICE", "NodeBalance", "cluster_unaccounted",
           "kernel_cores", "usd_per_million"]

# pods' CPU above node CPU by more than this is a measurement that does not add up (different windows, a pod
# counted on the wrong node): the node is left out and named, never silently clamped
NODE_TOLERANCE_CORES = 0.05
NODE_TOLERANCE_SHARE = 0.02  # ... or 2% of the node's CPU, whichever is larger
NO_BASELINE = "no baseline: kernel cost not attributed"
NO_PRICE = "no price"


@dataclass(frozen=True, slots=True)
class NodeBalance:
    """One node's CPU against the sum of its pods' CPU (cores)."""

    node: str
    node_cores: float
    pod_cores: float

    @property
    def unaccounted(self) -> float:
        return max(0.0, self.node_cores - self.pod_cores)

    @property
    def over_tolerance(self) -> bool:
        excess = self.pod_cores - self.node_cores
        return excess > max(NODE_TOLERANCE_CORES, NODE_TOLERANCE_SHARE * self.node_cores)


def cluster_unaccounted(nodes: Mapping[str, tuple[float, float]]) -> tuple[float, tuple[str, ...]]:
    """(unaccounted cores summed over the nodes that add up, the names of those that do not) from
    node -> (node cores, sum of its pods' cores)."""
    balances = [NodeBalance(name, node, pods) for name, (node, pods) in sorted(nodes.items())]
    rejected = tuple(b.node for b in balances if b.over_tolerance)
    return sum(b.unaccounted for b in balances if not b.over_tolerance), rejected


def kernel_cores(mesh_load: float, base_idle: float, base_load: float, qps_mesh: float, qps_base: float) -> float:
    """Unaccounted cores of a mesh under load beyond the baseline's at the mesh's QPS (may be < 0: noise, or a
    mesh that moves work the baseline did in the kernel into its pods; reported as measured)."""
    if qps_base <= 0:
        raise ValueError(f"the baseline's QPS must be > 0 to scale its load-dependent part, got {qps_base!r}")
    return mesh_load - (base_idle + (base_load - base_idle) * qps_mesh / qps_base)


def usd_per_million(total_cores: float, usd_per_core_hour: float, qps: float) -> float | None:
    """Price model: what the mesh's cores cost per million requests at this QPS; None without requests."""
    if qps <= 0:
        return None
    return total_cores * usd_per_core_hour / (qps * 3600.0) * 1e6
