"""The fleet of one run on one cluster: created in waves, ready by watching Deployment status."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..cluster.base import Cluster
from ..model import Profile
from .load import ClientPod
from .workloads import CLIENT, FleetSpec, fleet_spec

__all__ = ["Fleet", "create_fleet"]


@dataclass(frozen=True, slots=True)
class Fleet:
    spec: FleetSpec
    ready_s: float  # from the first create to every Deployment Available
    requests: int  # API requests the set-up made (from the cluster's own counters)

    @property
    def namespaces(self) -> tuple[str, ...]:
        return self.spec.namespaces

    def clients(self, cluster: Cluster) -> list[ClientPod]:
        """Running client pods of this fleet (one cluster-wide list, filtered to the fleet's namespaces)."""
        pods = cluster.list("v1", "Pod", None, f"app={CLIENT}")
        own = set(self.namespaces)
        return [
            ClientPod(p["metadata"]["namespace"], p["metadata"]["name"])
            for p in pods
            if p["metadata"]["namespace"] in own and p.get("status", {}).get("phase") == "Running"
        ]


def _progress(label: str) -> Callable[[int, int], None]:
    last = [0.0]

    def report(done: int, total: int) -> None:
        # Long waits say what they wait for, at most every 5 s, so a full-scale run is not silent.
        if time.monotonic() - last[0] > 5 or done == total:
            last[0] = time.monotonic()
            print(f"meshscale: {label}: {done}/{total} deployments available", file=sys.stderr, flush=True)

    return report


def create_fleet(cluster: Cluster, profile: Profile, namespace_labels: Mapping[str, str]) -> Fleet:
    spec = fleet_spec(profile, namespace_labels)
    before = _request_count(cluster)
    start = time.monotonic()
    manifests = [m for ns in spec.namespaces for m in spec.manifests_by_namespace[ns]]
    cluster.apply(manifests, wave_size=profile.creation.wave_namespaces)
    cluster.wait_deployments_available(
        spec.namespaces, profile.creation.ready_timeout_s, _progress(f"fleet on {cluster.name}")
    )
    return Fleet(spec, time.monotonic() - start, _request_count(cluster) - before)


def _request_count(cluster: Cluster) -> int:
    stats = getattr(cluster, "stats", None)  # KubeCluster's ApiStats; other Cluster implementations may lack it
    return sum(stats.requests.values()) if stats is not None else 0
