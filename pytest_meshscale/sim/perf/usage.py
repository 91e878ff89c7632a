"""CPU and memory of mesh components and app containers as linear functions of load and object counts.

SIMULATED: these are the performance model's outputs (fixtures/sim/perf.yaml), not measurements.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .params import Component

__all__ = ["Counts", "usage_of"]


@dataclass(frozen=True, slots=True)
class Counts:
    pods: int = 0
    services: int = 0
    policies: int = 0
    writes_per_s: float = 0.0


def usage_of(comp: Component, kqps: float, counts: Counts) -> tuple[float, int]:
    """(cores, bytes) of one container of this component."""
    c: Mapping[str, float] = comp.coef
    cores = (
        c.get("idle_cores", 0)
        + c.get("cores_per_kqps", 0) * kqps
        + c.get("cores_per_write_per_s", 0) * counts.writes_per_s
        + c.get("cores_per_kpod", 0) * counts.pods / 1000
    )
    memory = (
        c.get("idle_bytes", 0)
        + c.get("bytes_per_pod", 0) * counts.pods
        + c.get("bytes_per_service", 0) * counts.services
        + c.get("bytes_per_policy", 0) * counts.policies
        + c.get("bytes_per_kqps", 0) * kqps
    )
    return cores, int(memory)
