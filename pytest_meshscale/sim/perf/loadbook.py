"""The load running right now: which runs send how many requests/s from which node to which nodes.

Node agents (ztunnel, cilium-agent, cilium-envoy) and waypoints read their share from here, so
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
    path: str  # perf path: baseline, ambient-l4, ambient-l7, cilium-l4, cilium-l7
    qps: float
    client_pod: tuple[str, str]
    client_node: str
    backend_nodes: Mapping[str, float] = field(default_factory=dict)  # node -> share of requests
    backend_pods: tuple[tuple[str, str], ...] = ()
    waypoint: tuple[str, str] | None = None


class LoadBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flows: dict[str, Flow] = {}

    def start(self, flow: Flow) -> None:
        with self._lock:
            self._flows[flow.run_id] = flow

    def stop(self, run_id: str) -> None:
        with self._lock:
            self._flows.pop(run_id, None)

    def flows(self) -> list[Flow]:
        with self._lock:
            return list(self._flows.values())

    def active(self) -> int:
        return len(self._flows)

    def node_kqps(self, node: str, paths: tuple[str, ...], client_side: bool = True) -> float:
        """kqps crossing `node` on the given paths (client side counts unless told not to)."""
        total = 0.0
        for f in self.flows():
            if f.path not in paths:
                continue
            if client_side and f.client_node == node:
                total += f.qps
            total += f.qps * f.backend_nodes.get(node, 0.0)
        return total / 1000

    def waypoint_kqps(self, ns: str, name: str) -> float:
        return sum(f.qps for f in self.flows() if f.waypoint == (ns, name)) / 1000

    def pod_kqps(self, key: tuple[str, str]) -> float:
        total = 0.0
        for f in self.flows():
            if f.client_pod == key:
                total += f.qps
            if key in f.backend_pods:
                total += f.qps / len(f.backend_pods)
        return total / 1000
