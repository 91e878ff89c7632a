"""Turn the data plane's verdicts for a load run's target into the performance model's inputs."""

from __future__ import annotations

from typing import Any

from ..dataplane import Outcome, Verdict
from ..perf import Flow, Mix, Saturation
from .base import Env, pod_name
from .fortio_params import RunParams

__all__ = ["Plan", "perf_path", "server_cores"]

Obj = dict[str, Any]


def perf_path(outcome: Outcome, mesh: str) -> str:
    """Which modelled path the allowed requests take, from the component that let them through."""
    by = outcome.by
    if by.startswith("waypoint "):
        return "ambient-l7"
    if by.startswith("ztunnel"):
        return "ambient-l4"
    if by.startswith("cilium-envoy"):
        return "cilium-l7"
    if by.startswith("cilium-agent"):
        return "cilium-l4"
    return "baseline"


def _kind(o: Outcome) -> str:
    if o.verdict is Verdict.ALLOW:
        return "ok"
    if o.verdict is Verdict.DENY_L7:
        return "l7_403"
    return "upstream_503" if o.status == 503 else o.how


class Plan:
    """What a run against `params.url` from `pod` will meet, evaluated when it starts."""

    def __init__(self, env: Env, pod: Obj, params: RunParams) -> None:
        host, port, path = params.host_port_path
        method = "POST" if params.payload else "GET"
        self.outcomes = env.dataplane.decide_each(pod, host, port, method, path)
        allowed = [o for o in self.outcomes if o.allowed]
        shares: dict[str, float] = {}
        for o in self.outcomes:
            shares[_kind(o)] = shares.get(_kind(o), 0.0) + 1 / len(self.outcomes)
        denied = next((o for o in self.outcomes if o.body), None)
        self.path = perf_path(allowed[0], env.mesh) if allowed else "baseline"
        self.mix = Mix(self.path, shares, deny_body=len(denied.body) if denied else 15)
        self.backends = [o.dst_pod for o in allowed if o.dst_pod is not None]
        self.target = _target(env, pod, host, port)
        wp = next((o.by for o in allowed if o.by.startswith("waypoint ")), "")
        ns, _, name = wp.partition(" ")[2].partition("/")
        self.waypoint = (ns, name) if wp else None

    def flow(self, run_id: str, pod: Obj, qps: float) -> Flow:
        nodes: dict[str, float] = {}
        for b in self.backends:
            node = str((b.get("spec") or {}).get("nodeName") or "")
            nodes[node] = nodes.get(node, 0.0) + 1 / len(self.backends)
        return Flow(
            run_id,
            self.path,
            qps * self.mix.shares.get("ok", 0.0),
            pod_name(pod),
            str((pod.get("spec") or {}).get("nodeName") or ""),
            nodes,
            tuple(pod_name(b) for b in self.backends),
            self.waypoint,
        )

    def saturation(self, env: Env, concurrent: int, writes_per_s: float) -> Saturation:
        pods = env.store.object_counts().get("pods", 0) if hasattr(env.store, "object_counts") else 0
        return Saturation(len(self.backends), server_cores(env), concurrent, writes_per_s, pods)


def server_cores(env: Env) -> float:
    if env.server_cores:
        return env.server_cores
    total = 0.0
    for node in env.store.list("nodes")[0]:
        cpu = str(((node.get("status") or {}).get("capacity") or {}).get("cpu") or "8")
        total += float(cpu[:-1]) / 1000 if cpu.endswith("m") else float(cpu)
    return total or 8.0


def _target(env: Env, pod: Obj, host: str, port: int) -> str:
    found = env.dataplane.topo.resolve(host, pod_name(pod)[0])
    if found.service is not None:
        return f"{(found.service.get('spec') or {}).get('clusterIP', '')}:{port}"
    return f"{host}:{port}" if found.pods else ""
