"""CPU cores and memory of the mesh's components over a window, read from the metrics API.

The seed read cAdvisor through Prometheus (rate(container_cpu_usage_seconds_total[1m]) and working-set
memory); metrics.k8s.io serves the same cAdvisor numbers averaged over its own window, and needs no
Prometheus in the cluster. Samples are averaged over the window (cores) and memory is averaged too,
with the peak kept beside it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from .. import progress
from ..cluster.base import Cluster, ClusterError
from ..meshes.base import Component
from ..model.quantity import parse_quantity

__all__ = ["ComponentReading", "MeshMetrics", "UsageWindow"]

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

    @property
    def cores(self) -> float:
        return sum(c.cores for c in self.components.values())

    @property
    def memory_bytes(self) -> float:
        return sum(c.memory_bytes for c in self.components.values())


class MeshMetrics:
    def __init__(self, cluster: Cluster, components: Sequence[Component]) -> None:
        self.cluster, self.components = cluster, list(components)

    def sample(self) -> dict[str, ComponentReading]:
        return {c.name: self._read(c) for c in self.components}

    def window(self, seconds: float, interval_s: float = 1.0) -> UsageWindow:
        """Sample every interval for `seconds` (at least once) and average."""
        samples: list[tuple[float, dict[str, ComponentReading]]] = []
        start = time.monotonic()
        report = progress.every()
        while True:
            samples.append((time.monotonic() - start, self.sample()))
            report(f"mesh usage window: {time.monotonic() - start:.0f}/{seconds:.0f} s, {len(samples)} samples")
            if time.monotonic() - start + interval_s > seconds:
                break
            time.sleep(interval_s)
        return _summarise(seconds, samples)

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


def _summarise(seconds: float, samples: list[tuple[float, dict[str, ComponentReading]]]) -> UsageWindow:
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
    return UsageWindow(seconds, averages, peaks, samples)
