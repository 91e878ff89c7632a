"""The fleet of one run on one cluster: created in waves, ready by watching Deployment status."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .. import progress
from ..cluster.applying import MANAGED_BY
from ..cluster.base import MANAGED_BY_LABEL, RUN_LABEL, Cluster, ForeignObject, Manifest
from ..model import Profile
from .load import ClientPod
from .workloads import CLIENT, FleetSpec, fleet_spec

__all__ = ["Fleet", "create_fleet", "refuse_foreign"]


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
    report = progress.every()

    def deployments(done: int, total: int) -> None:
        report(f"{label}: {done}/{total} deployments available", done == total)

    return deployments


def refuse_foreign(cluster: Cluster, names: Sequence[str], run_id: str) -> None:
    """Before anything is created: a fleet namespace that exists already (a user's, another run's) is
    never adopted or changed. One namespace LIST, not a GET per name. Also says which other runs'
    namespaces are on the cluster (running now, or left over)."""
    existing = {str(n["metadata"]["name"]): n for n in cluster.list("v1", "Namespace")}
    taken = [existing[n] for n in names if n in existing]
    others = Counter(_owner(n) for n in existing.values() if _owner(n) not in ("", run_id))
    if others:
        runs = ", ".join(f"{run} ({count} namespaces)" for run, count in sorted(others.items()))
        progress.say(f"note: namespaces of other meshscale runs are on {cluster.name} (running now or left "
                     f"over): {runs}; `meshscale cleanup --run-id RUN` removes a finished run's objects")
    if taken:
        first = taken[0]
        owner = _owner(first)
        whose = f"was left by meshscale run {owner} (`meshscale cleanup --run-id {owner}` removes it)" if owner \
            else "was not created by meshscale"
        more = f" (and {len(taken) - 1} more of the fleet's {len(names)} namespaces)" if len(taken) > 1 else ""
        raise ForeignObject(f"meshscale: namespace {first['metadata']['name']} on {cluster.name} already exists "
                             f"and {whose}{more}; refusing to adopt or change it: nothing was written. Choose "
                             "another --mesh-namespace-prefix, or leave it out to get names with this run's id")


def _owner(namespace: Manifest) -> str:
    labels = (namespace.get("metadata") or {}).get("labels") or {}
    return str(labels.get(RUN_LABEL, "")) if labels.get(MANAGED_BY_LABEL) == MANAGED_BY else ""


def create_fleet(cluster: Cluster, profile: Profile, namespace_labels: Mapping[str, str], run_id: str,
                 run_tag: str = "", namespace_annotations: Mapping[str, str] | None = None) -> Fleet:
    """The profile's fleet in namespaces named with `run_tag`; ForeignObject (nothing written) if a
    name is taken. `namespace_annotations`: what the mesh reads on a namespace besides its labels."""
    spec = fleet_spec(profile, namespace_labels, run_tag, namespace_annotations)
    refuse_foreign(cluster, spec.namespaces, run_id)
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
