"""CPU cores and memory of the mesh's components over a window, read from the metrics API.

The seed read cAdvisor through Prometheus (rate(container_cpu_usage_seconds_total[1m]) and working-set
memory); metrics.k8s.io serves the same cAdvisor numbers averaged over its own window, and needs no
Prometheus in the cluster. Samples are averaged over the window (cores) and memory is averaged too,
with the peak kept beside it.

Beside the mesh's own containers, each window reads what no pod accounts for (NodeLedger): per node, NodeMetrics'
CPU minus the sum of its pods' PodMetrics CPU, summed over the cluster (model/kernel.py), nodes whose pods exceed
them left out and named. The kernel cores the mesh adds are that figure against the baseline mesh's (Score).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from .. import progress
from ..cluster.base import Cluster, ClusterError
from ..meshes.base import Component
from ..model.kernel import cluster_unaccounted
from ..model.quantity import parse_quantity

__all__ = ["ComponentReading", "MeshMetrics", "NodeLedger", "UsageWindow"]

METRICS_API = "metrics.k8s.io/v1beta1"


@dataclass(frozen=True, slots=True)
class ComponentReading:
    cores: float
    memory_bytes: float
    pods: int


@dataclass(frozen=True, slots=True)
class UsageWindow:
    """Averages over the window, per component, plus every sample for charts."""

    seconds: float
    components: dict[str, ComponentReading]
    peak_memory_bytes: dict[str, float]
    samples: list[tuple[float, dict[str, ComponentReading]]]
    unaccounted_cores: float | None = None  # averaged over the ledger's samples; None: NodeMetrics unavailable
    rejected_nodes: tuple[str, ...] = ()

    @property
    def cores(self) -> float:
        return sum(c.cores for c in self.components.values())

    @property
    def memory_bytes(self) -> float:
        return sum(c.memory_bytes for c in self.components.values())


class NodeLedger:
    """Per node, NodeMetrics CPU against the sum of its pods' PodMetrics CPU. Which node a pod is on comes from one
    list of every Pod at the first sample; after that only the namespaces where a PodMetrics names a pod not seen
    yet (the churn's new replicas) are listed again, so a sample at 50,000 pods costs a few 100-pod lists, not a
    paged list of all of them. Lists are read a page at a time and only each pod's node is kept: at 54,000 pods
    the whole list decoded at once took about half a GiB of the plugin's memory."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._node_of: dict[tuple[str, str], str] = {}
        self._listed = False

    def _learn(self, namespace: str | None) -> None:
        if namespace is not None:  # the namespace's pods as they are now: forget the ones deleted since
            self._node_of = {k: v for k, v in self._node_of.items() if k[0] != namespace}
        for p in self.cluster.each("v1", "Pod", namespace):
            self._node_of[(p["metadata"].get("namespace", ""), p["metadata"]["name"])] = (p.get("spec") or {}).get(
                "nodeName", "")

    def sample(self) -> tuple[float, tuple[str, ...]] | None:
        """(unaccounted cores of the cluster, nodes left out), or None when the metrics API has no NodeMetrics."""
        try:
            nodes = {n["metadata"]["name"]: parse_quantity(n["usage"]["cpu"])
                     for n in self.cluster.list(METRICS_API, "NodeMetrics")}
        except ClusterError:
            return None
        if not self._listed:
            self._learn(None)
            self._listed = True
        pods = dict.fromkeys(nodes, 0.0)
        unknown: dict[tuple[str, str], float] = {}  # pods not seen yet: their namespaces are listed below
        try:
            for item in self.cluster.each(METRICS_API, "PodMetrics"):
                key = (item["metadata"].get("namespace", ""), item["metadata"]["name"])
                cores = sum(parse_quantity(c["usage"]["cpu"]) for c in item.get("containers", []))
                if key in self._node_of:
                    self._add(pods, key, cores)
                else:
                    unknown[key] = cores
        except ClusterError:
            return None
        for namespace in sorted({ns for ns, _ in unknown}):
            self._learn(namespace)
        for key, cores in unknown.items():
            self._add(pods, key, cores)
        return cluster_unaccounted({name: (cores, pods[name]) for name, cores in nodes.items()})

    def _add(self, pods: dict[str, float], key: tuple[str, str], cores: float) -> None:
        node = self._node_of.get(key, "")
        if node in pods:
            pods[node] += cores


class MeshMetrics:
    LEDGER_INTERVAL_S = 5.0  # the ledger lists every pod's metrics: not every second at 52,000 pods

    def __init__(self, cluster: Cluster, components: Sequence[Component]) -> None:
        self.cluster, self.components = cluster, list(components)
        self.ledger = NodeLedger(cluster)

    def sample(self) -> dict[str, ComponentReading]:
        return {c.name: self._read(c) for c in self.components}

    def window(self, seconds: float, interval_s: float = 1.0) -> UsageWindow:
        """Sample every interval for `seconds` (at least once) and average."""
        samples: list[tuple[float, dict[str, ComponentReading]]] = []
        ledger: list[tuple[float, tuple[str, ...]] | None] = []
        start = time.monotonic()
        report = progress.every()
        while True:
            samples.append((time.monotonic() - start, self.sample()))
            if len(ledger) * self.LEDGER_INTERVAL_S <= time.monotonic() - start:
                ledger.append(self.ledger.sample())
            report(f"mesh usage window: {time.monotonic() - start:.0f}/{seconds:.0f} s, {len(samples)} samples")
            if time.monotonic() - start + interval_s > seconds:
                break
            time.sleep(interval_s)
        return _summarise(seconds, samples, ledger)

    def _read(self, component: Component) -> ComponentReading:
        try:
            items = self.cluster.list(METRICS_API, "PodMetrics", component.namespace, component.labels)
        except ClusterError as exc:
            raise ClusterError(f"metrics API unavailable for {component.name}: {exc}") from None
        cores = memory = 0.0
        for item in items:
            for container in item.get("containers", []):
                if component.containers and container["name"] not in component.containers:
                    continue
                cores += parse_quantity(container["usage"]["cpu"])
                memory += parse_quantity(container["usage"]["memory"])
        return ComponentReading(cores, memory, len(items))


def _summarise(seconds: float, samples: list[tuple[float, dict[str, ComponentReading]]],
               ledger: Sequence[tuple[float, tuple[str, ...]] | None] = ()) -> UsageWindow:
    names = samples[0][1].keys()
    n = len(samples)
    averages = {
        name: ComponentReading(
            sum(s[name].cores for _, s in samples) / n,
            sum(s[name].memory_bytes for _, s in samples) / n,
            max(s[name].pods for _, s in samples),
        )
        for name in names
    }
    peaks = {name: max(s[name].memory_bytes for _, s in samples) for name in names}
    read = [r for r in ledger if r is not None]
    unaccounted = sum(cores for cores, _ in read) / len(read) if read else None
    rejected = tuple(sorted({node for _, nodes in read for node in nodes}))
    return UsageWindow(seconds, averages, peaks, samples, unaccounted, rejected)
