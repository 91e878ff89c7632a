"""The load running right now: which runs send how many requests/s from which node to which nodes.

A mesh's node agents and per-namespace L7 proxies read their share from here (SimMesh.component_load), so
pod_usage reflects the current load (idle vs under load).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Flow", "LoadBook"]


@dataclass(frozen=True, slots=True)
class Flow:
    run_id: str
    path: str  # perf path: the direct one or a mesh's (perf_paths())
    qps: float
    client_pod: tuple[str, str]
    client_node: str
    backend_nodes: Mapping[str, float] = field(default_factory=dict)  # node -> share of requests
    backend_pods: tuple[tuple[str, str], ...] = ()
    l7_proxy: tuple[str, str] | None = None  # (namespace, Deployment) of the per-namespace L7 proxy crossed


class LoadBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flows: dict[str, Flow] = {}
        self._version = 0
        self._per_node: dict[tuple[tuple[str, ...], bool], tuple[int, dict[str, float]]] = {}

    def start(self, flow: Flow) -> None:
        with self._lock:
            self._flows[flow.run_id] = flow
            self._version += 1

    def stop(self, run_id: str) -> None:
        with self._lock:
            self._flows.pop(run_id, None)
            self._version += 1

    def flows(self) -> list[Flow]:
        with self._lock:
            return list(self._flows.values())

    def active(self) -> int:
        return len(self._flows)

    def node_kqps(self, node: str, paths: tuple[str, ...], client_side: bool = True) -> float:
        """kqps crossing `node` on the given paths (client side counts unless told not to)."""
        return self._node_totals(paths, client_side).get(node, 0.0) / 1000

    def _node_totals(self, paths: tuple[str, ...], client_side: bool) -> dict[str, float]:
        # Every node at once, kept until the flows change: a PodMetrics list at full scale asks this for
        # 2,000 agent pods, and walking 500 flows for each one stalled the API server.
        with self._lock:
            version, flows = self._version, list(self._flows.values())
            cached = self._per_node.get((paths, client_side))
        if cached is not None and cached[0] == version:
            return cached[1]
        totals: dict[str, float] = {}
        for f in flows:
            if f.path not in paths:
                continue
            if client_side:
                totals[f.client_node] = totals.get(f.client_node, 0.0) + f.qps
            for node, share in f.backend_nodes.items():
                totals[node] = totals.get(node, 0.0) + f.qps * share
        with self._lock:
            self._per_node[(paths, client_side)] = (version, totals)
        return totals

    def l7_proxy_kqps(self, ns: str, name: str) -> float:
        return sum(f.qps for f in self.flows() if f.l7_proxy == (ns, name)) / 1000

    def pod_kqps(self, key: tuple[str, str]) -> float:
        total = 0.0
        for f in self.flows():
            if f.client_pod == key:
                total += f.qps
            if key in f.backend_pods:
                total += f.qps / len(f.backend_pods)
        return total / 1000
