"""The seed's scorecard run: idle cost, then churn + one synchronized load, mesh usage over the same
window, and a Score (QPS, merged-histogram percentiles, errors, cores, memory, queries per core)."""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from .. import progress
from ..cluster.base import Cluster, is_simulated, planes
from ..data.policies import load_policy_case
from ..meshes import MeshDriver, MeshInfo
from ..model import ComponentUsage, MeshUsage, Profile, RunMeta, Score, Unaccounted, Unsupported, score_from
from .churn import ChurnLog, ChurnRunner
from .fleet import Fleet
from .load import LoadRun, run_profile_load
from .metrics import MeshMetrics, UsageWindow
from .policies import AppliedPolicies

__all__ = ["ScaleRun", "apply_scale_policy", "idle_window_s", "run_scorecard"]


@dataclass(frozen=True, slots=True)
class ScaleRun:
    score: Score
    load: LoadRun
    idle: UsageWindow | None
    loaded: UsageWindow | None
    churn: ChurnLog


def idle_window_s(profile: Profile) -> float:
    """Long enough to average a few metrics samples, short next to the load itself."""
    return max(2.0, min(30.0, profile.load.duration_s / 4))


def run_scorecard(
    cluster: Cluster, driver: MeshDriver, info: MeshInfo, fleet: Fleet, profile: Profile, run_id: str
) -> ScaleRun:
    metrics = MeshMetrics(cluster, driver.components())
    has_components = bool(metrics.components)
    # measured for every mesh, the baseline too: the unaccounted CPU is what its kernel cost is measured against
    idle = metrics.window(idle_window_s(profile))
    duration = profile.load.duration_s
    clients = fleet.clients(cluster)
    _say(f"{info.name}: load on {len(clients)} clients for {duration:g} s with churn")
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with ChurnRunner(cluster, fleet.namespaces, profile.churn) as churn, ThreadPoolExecutor(1) as pool:
        sampling: list[Future[UsageWindow]] = []

        def measure(spread_s: float) -> None:
            # While every client runs: starting 100 clients through the pod proxy takes seconds on a busy
            # host, and samples taken before the last started or after the first stopped would count idle
            # time as "under load" (seen: a mesh's Envoy at 0.72x its load when the clients started slowly).
            sampling.append(pool.submit(metrics.window, max(1.0, duration - spread_s)))

        load = run_profile_load(cluster, clients, profile.load, f"meshscale {run_id} {info.name}", duration, _say,
                                measure)
        loaded = sampling[0].result() if sampling else None
    version = cluster.server_version()
    meta = RunMeta(info.name, info.version, profile.name, cluster.kind, is_simulated(cluster.kind, version), run_id,
                   started, duration, planes=planes(cluster.kind, version))
    cost = unaccounted(idle, loaded, profile)
    if not has_components:  # no mesh components (baseline): nothing to chart, a mesh cost of zero
        return ScaleRun(score_from(load.merged, mesh_usage(None, None), meta, cost), load, None, None, churn.log)
    return ScaleRun(score_from(load.merged, mesh_usage(idle, loaded), meta, cost), load, idle, loaded, churn.log)


def unaccounted(idle: UsageWindow, loaded: UsageWindow | None, profile: Profile) -> Unaccounted:
    rejected = tuple(sorted(set(idle.rejected_nodes) | set(loaded.rejected_nodes if loaded else ())))
    return Unaccounted(idle.unaccounted_cores, loaded.unaccounted_cores if loaded else None, rejected,
                       profile.usd_per_core_hour, profile.price_note)


def apply_scale_policy(applied: AppliedPolicies, cluster: Cluster, profile: Profile) -> str:
    """The profile's per-namespace policy (the seed's L7 policy; on Istio it brings a waypoint per
    namespace), applied and ready before a scale test measures. A mesh that cannot express it (baseline:
    no L7) is measured without it: the returned note says which, for the report."""
    name = profile.workload.policy
    if name == "none":
        return "no policy (profile workload.policy: none)"
    case = load_policy_case(name, applied.namespaces)
    try:
        manifests = applied.apply_intents(case.intents)
    except Unsupported as exc:
        return f"no policy: {exc}"
    # Waypoints are Deployments in the fleet's namespaces: wait until they serve, as the seed did.
    cluster.wait_deployments_available(applied.namespaces, profile.creation.ready_timeout_s)
    kinds = sorted({m["kind"] for m in manifests if m["kind"] != "Namespace"})
    return f"policy {name} in {len(applied.namespaces)} namespaces ({', '.join(kinds)})"


def mesh_usage(idle: UsageWindow | None, loaded: UsageWindow | None) -> MeshUsage:
    if idle is None or loaded is None:  # no mesh components (baseline): a mesh cost of zero, measured as such
        return MeshUsage(0.0, 0.0, 0.0, 0.0)
    components = {
        name: ComponentUsage(
            idle.components[name].cores, loaded.components[name].cores,
            idle.components[name].memory_bytes, loaded.components[name].memory_bytes,
        )
        for name in idle.components
    }  # fmt: skip
    return MeshUsage(idle.cores, loaded.cores, idle.memory_bytes, loaded.memory_bytes, components)


_say = progress.say
