"""The scheduler's bookkeeping: which node each pod is on, what it requests, and its pod IP.

Placement spreads pods over the least-loaded eligible nodes (by pod count, as the default
LeastAllocated score does for equal pods) and respects each node's pods/cpu/memory allocatable.
A batch of pods is placed with one heap over the eligible nodes, so 100 replicas cost one pass.
"""

from __future__ import annotations

import heapq
import json
import threading
from dataclasses import dataclass, field

from .eligibility import eligible
from .objects import Obj, meta, parse_cpu_m, parse_memory

__all__ = ["Placer", "requests_of"]

Key = tuple[str, str]  # (namespace, pod name)


def requests_of(spec: Obj) -> tuple[int, int]:
    """(cpu millicores, memory bytes) the scheduler counts for a pod spec (its containers' requests)."""
    cpu = mem = 0
    for c in spec.get("containers") or []:
        req = (c.get("resources") or {}).get("requests") or {}
        cpu += parse_cpu_m(req.get("cpu"))
        mem += parse_memory(req.get("memory"))
    return cpu, mem


@dataclass
class _Slot:
    node: Obj
    cpu: int
    mem: int
    pods: int
    ip_base: str  # "10.128.3." of a /24 pod CIDR
    host_ip: str
    used: tuple[int, int, int] = (0, 0, 0)  # pods, cpu m, memory bytes
    free_ips: list[int] = field(default_factory=lambda: list(range(254, 1, -1)))

    def fits(self, cpu: int, mem: int) -> bool:
        pods, c, m = self.used
        return pods < self.pods and c + cpu <= self.cpu and m + mem <= self.mem and bool(self.free_ips)

    def take(self, cpu: int, mem: int) -> str:
        pods, c, m = self.used
        self.used = (pods + 1, c + cpu, m + mem)
        return self.ip_base + str(self.free_ips.pop())

    def give(self, cpu: int, mem: int, ip: str) -> None:
        pods, c, m = self.used
        self.used = (pods - 1, c - cpu, m - mem)
        if ip.startswith(self.ip_base):
            self.free_ips.append(int(ip.rsplit(".", 1)[1]))


def _slot(node: Obj) -> _Slot:
    alloc = (node.get("status") or {}).get("allocatable") or {}
    cidr = str((node.get("spec") or {}).get("podCIDR") or "10.255.255.0/24")
    return _Slot(
        node,
        parse_cpu_m(alloc.get("cpu", "1000")),
        parse_memory(alloc.get("memory", "1Gi")),
        int(alloc.get("pods", 110)),
        cidr.split("/")[0].rsplit(".", 1)[0] + ".",
        _internal_ip(node),
    )


def _internal_ip(node: Obj) -> str:
    for addr in (node.get("status") or {}).get("addresses") or []:
        if addr.get("type") == "InternalIP":
            return str(addr.get("address"))
    return ""


def _schedulable(node: Obj) -> bool:
    if (node.get("spec") or {}).get("unschedulable"):
        return False
    conds = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)


class Placer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[str, _Slot] = {}
        self._placed: dict[Key, tuple[str, int, int, str]] = {}  # key -> node, cpu, mem, ip
        # eligible node names per (nodeSelector, affinity, tolerations); any node event clears it.
        # Without it every 100-pod batch re-checks 1,000 nodes: the full profile's main cost.
        self._eligible: dict[str, list[str]] = {}

    def node_event(self, event: str, node: Obj) -> None:
        name = meta(node)["name"]
        with self._lock:
            self._eligible.clear()
            if event == "DELETED":
                self._slots.pop(name, None)
            elif name in self._slots:
                self._slots[name].node = node
            else:
                self._slots[name] = _slot(node)

    def nodes(self) -> list[Obj]:
        with self._lock:
            return [s.node for s in self._slots.values()]

    def eligible_nodes(self, spec: Obj) -> list[str]:
        key = json.dumps([spec.get("nodeSelector"), spec.get("affinity"), spec.get("tolerations")], sort_keys=True)
        with self._lock:
            names = self._eligible.get(key)
            if names is None:
                names = [n for n, s in self._slots.items() if _schedulable(s.node) and eligible(spec, s.node)]
                self._eligible[key] = names
            return names

    def place(self, spec: Obj, keys: list[Key]) -> dict[Key, tuple[str, str]]:
        """Place each key on the least-loaded eligible node that fits; keys left out are unschedulable."""
        cpu, mem = requests_of(spec)
        names = self.eligible_nodes(spec)
        out: dict[Key, tuple[str, str]] = {}
        with self._lock:
            heap = [(self._slots[n].used[0], n) for n in names if n in self._slots]
            heapq.heapify(heap)
            for key in keys:
                while heap and not self._slots[heap[0][1]].fits(cpu, mem):
                    heapq.heappop(heap)
                if not heap:
                    break
                _, name = heap[0]
                out[key] = (name, self._take(key, name, cpu, mem))
                heapq.heapreplace(heap, (self._slots[name].used[0], name))
        return out

    def bind(self, key: Key, node: str, spec: Obj) -> str:
        """Account a pod bound to a given node (DaemonSets, pods created with nodeName); its pod IP."""
        with self._lock:
            if key in self._placed:
                return self._placed[key][3]
            if node not in self._slots:
                return ""
            return self._take(key, node, *requests_of(spec))

    def _take(self, key: Key, node: str, cpu: int, mem: int) -> str:
        ip = self._slots[node].take(cpu, mem)
        self._placed[key] = (node, cpu, mem, ip)
        return ip

    def release(self, key: Key) -> None:
        with self._lock:
            node, cpu, mem, ip = self._placed.pop(key, ("", 0, 0, ""))
            if node in self._slots:
                self._slots[node].give(cpu, mem, ip)

    def host_ip(self, node: str) -> str:
        slot = self._slots.get(node)
        return slot.host_ip if slot else ""

    def ip_of(self, key: Key) -> str:
        with self._lock:
            return self._placed.get(key, ("", 0, 0, ""))[3]

    def explain(self, spec: Obj) -> str:
        """The scheduler's FailedScheduling message shape: '0/N nodes are available: ...'."""
        total = len(self._slots)
        names = self.eligible_nodes(spec)
        full = len(names)
        return (
            f"0/{total} nodes are available: {total - full} node(s) didn't match Pod's node "
            f"affinity/selector or had untolerated taints, {full} node(s) had insufficient resources."
        )
