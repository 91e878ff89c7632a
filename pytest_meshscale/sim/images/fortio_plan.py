"""Turn the data plane's verdicts for a load run's target into the performance model's inputs."""

from __future__ import annotations

from typing import Any

from ..dataplane import Outcome, Verdict
from ..perf import DIRECT_PATH, Flow, Mix, Saturation
from .base import Env, pod_name
from .fortio_params import RunParams

__all__ = ["Plan", "server_cores"]

Obj = dict[str, Any]


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
        self.path = env.model.perf_path(allowed[0]) if allowed else DIRECT_PATH
        self.mix = Mix(self.path, shares, deny_body=len(denied.body) if denied else 15)
        self.backends = [o.dst_pod for o in allowed if o.dst_pod is not None]
        self.target = _target(env, pod, host, port)
        self.l7_proxy = next((p for p in map(env.model.l7_proxy, allowed) if p is not None), None)

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
            self.l7_proxy,
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
