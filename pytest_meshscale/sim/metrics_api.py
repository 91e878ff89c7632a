"""metrics.k8s.io/v1beta1 as metrics-server serves it: NodeMetrics and PodMetrics (get; list across the cluster or
in one namespace, with label and field selectors) and the discovery documents of the group. One implementation
for both backends: the embedded API server serves it from its Store (server/api.py), the data-plane agent from
its Mirror as an aggregated API of a real kube-apiserver (agent/metrics.py).

Every number is the performance model's (the runtime's `pod_usage`): SIMULATED, and every object carries the
`meshscale.io/simulated: "true"` annotation. A node's usage is the sum of its Running pods' usage plus what no pod
accounts for: the runtime's `node_kernel_cores` (kernel work of the mesh's data plane and a small base for the
kubelet and the OS; sim/perf/kernel.py). The JSON shape is metrics-server's (k8s.io/metrics v1beta1 types): cpu in
nanocores (`123n`), memory (working set) in KiB (`456Ki`), labels copied from the pod or node, a `timestamp`
and a `window`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from .runtime import ContainerUsage
from .server.selectors import SelectorError
from .server.storetypes import ApiError

__all__ = ["GROUP", "GROUP_VERSION", "RESOURCES", "SIMULATED_ANNOTATION", "ResourceMetrics", "api_group",
           "api_group_list", "resource_list"]

Obj = dict[str, Any]
GROUP, VERSION = "metrics.k8s.io", "v1beta1"
GROUP_VERSION = f"{GROUP}/{VERSION}"
SIMULATED_ANNOTATION = "meshscale.io/simulated"
WINDOW = "15s"  # metrics-server's default --metric-resolution
# plural, kind, namespaced: what metrics-server's APIResourceList names (verbs get and list)
RESOURCES = (("nodes", "NodeMetrics", False), ("pods", "PodMetrics", True))

# What kube-apiserver's OpenAPI aggregation downloads from an aggregated server: valid, empty documents (a 404 makes
# it log an error and requeue; no schema is published for the metrics kinds)
OPENAPI: dict[str, Obj] = {
    "v2": {"swagger": "2.0", "info": {"title": "meshscale metrics.k8s.io (SIMULATED)", "version": VERSION},
           "paths": {}, "definitions": {}},
    "v3": {"paths": {}},
}


class Readable(Protocol):
    """The read side of the embedded Store and of the agent's Mirror."""

    def try_get(self, resource: str, namespace: str | None, name: str) -> Obj | None: ...

    def list(self, resource: str, namespace: str | None = None, label_selector: str | None = None,
             field_selector: str | None = None) -> tuple[list[Obj], str]: ...


def resource_list() -> Obj:
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": GROUP_VERSION,
            "resources": [{"name": p, "singularName": "", "namespaced": ns, "kind": k, "verbs": ["get", "list"]}
                          for p, k, ns in RESOURCES]}


def api_group() -> Obj:
    gv = {"groupVersion": GROUP_VERSION, "version": VERSION}
    return {"kind": "APIGroup", "apiVersion": "v1", "name": GROUP, "versions": [gv], "preferredVersion": gv}


def api_group_list() -> Obj:
    group = api_group()
    del group["kind"], group["apiVersion"]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [group]}


def _now(clock: Callable[[], float]) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(clock()))


def _quantities(cores: float, memory_bytes: int) -> dict[str, str]:
    return {"cpu": f"{int(cores * 1e9)}n", "memory": f"{memory_bytes // 1024}Ki"}


def _running(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running"


class ResourceMetrics:
    """PodMetrics and NodeMetrics of `store`'s objects, with `usage(pod)` from the performance model."""

    def __init__(self, store: Readable, usage: Callable[[Obj], list[ContainerUsage]],
                 kernel: Callable[[Obj], float] = lambda node: 0.0, clock: Callable[[], float] = time.time) -> None:
        self.store, self.usage, self.kernel, self.clock = store, usage, kernel, clock

    def _list(self, resource: str, namespace: str | None, labels: str | None, fields: str | None) -> list[Obj]:
        try:
            return self.store.list(resource, namespace, labels or None, fields or None)[0]
        except SelectorError as exc:  # the Mirror's; the Store answers ApiError 400 itself
            raise ApiError(400, "BadRequest", str(exc)) from None

    def _meta(self, obj: Obj) -> Obj:
        meta = obj.get("metadata") or {}
        out = {"name": meta.get("name"), **({"namespace": meta["namespace"]} if meta.get("namespace") else {})}
        return {**out, "creationTimestamp": _now(self.clock), "labels": dict(meta.get("labels") or {}),
                "annotations": {SIMULATED_ANNOTATION: "true"}}

    # ---- PodMetrics ------------------------------------------------------------------------------------------
    def pod_metrics(self, pod: Obj) -> Obj:
        return {"kind": "PodMetrics", "apiVersion": GROUP_VERSION, "metadata": self._meta(pod),
                "timestamp": _now(self.clock), "window": WINDOW,
                "containers": [{"name": u.name, "usage": _quantities(u.cpu_cores, u.memory_bytes)}
                               for u in self.usage(pod)]}

    def pod(self, namespace: str, name: str) -> Obj:
        pod = self.store.try_get("pods", namespace, name)
        if pod is None or not _running(pod):  # metrics-server has no metrics for a pod that is not running
            raise ApiError(404, "NotFound", f'podmetrics.metrics.k8s.io "{namespace}/{name}" not found',
                           {"name": name, "group": GROUP, "kind": "pods"})
        return self.pod_metrics(pod)

    def pods(self, namespace: str | None = None, labels: str | None = None, fields: str | None = None) -> Obj:
        items = [self.pod_metrics(p) for p in self._list("pods", namespace, labels, fields) if _running(p)]
        return {"kind": "PodMetricsList", "apiVersion": GROUP_VERSION, "metadata": {}, "items": items}

    # ---- NodeMetrics -----------------------------------------------------------------------------------------
    def _node_metrics(self, node: Obj, pods: list[Obj]) -> Obj:
        usage = [u for p in pods for u in self.usage(p)]
        cores, memory = sum(u.cpu_cores for u in usage) + self.kernel(node), sum(u.memory_bytes for u in usage)
        return {"kind": "NodeMetrics", "apiVersion": GROUP_VERSION, "metadata": self._meta(node),
                "timestamp": _now(self.clock), "window": WINDOW, "usage": _quantities(cores, memory)}

    def node(self, name: str) -> Obj:
        node = self.store.try_get("nodes", None, name)
        if node is None:
            raise ApiError(404, "NotFound", f'nodemetrics.metrics.k8s.io "{name}" not found',
                           {"name": name, "group": GROUP, "kind": "nodes"})
        return self._node_metrics(node, self._list("pods", None, None, f"spec.nodeName={name}"))

    def nodes(self, labels: str | None = None, fields: str | None = None) -> Obj:
        by_node: dict[str, list[Obj]] = {}
        for pod in self._list("pods", None, None, None):  # one pass over the pods, not one list per node
            by_node.setdefault(str((pod.get("spec") or {}).get("nodeName") or ""), []).append(pod)
        items = [self._node_metrics(n, [p for p in by_node.get(n["metadata"]["name"], []) if _running(p)])
                 for n in self._list("nodes", None, labels, fields)]
        return {"kind": "NodeMetricsList", "apiVersion": GROUP_VERSION, "metadata": {}, "items": items}

    # ---- one GET by path, as an aggregated API server answers it ---------------------------------------------
    def get(self, path: str, query: dict[str, str]) -> Obj:
        """The document at `path` (/apis, /apis/metrics.k8s.io[/v1beta1[/...]], /openapi/v2|v3); ApiError 404 for
        any other."""
        parts = [p for p in path.split("/") if p]
        if parts in (["openapi", "v2"], ["openapi", "v3"]):
            return OPENAPI[parts[1]]
        labels, fields = query.get("labelSelector"), query.get("fieldSelector")
        prefix = ["apis", GROUP, VERSION]
        if parts in (["apis"], prefix[:2], prefix):
            return {1: api_group_list, 2: api_group, 3: resource_list}[len(parts)]()
        if parts[:3] == prefix:
            rest = parts[3:]
            if rest == ["nodes"]:
                return self.nodes(labels, fields)
            if len(rest) == 2 and rest[0] == "nodes":
                return self.node(rest[1])
            if rest == ["pods"]:
                return self.pods(None, labels, fields)
            if len(rest) == 3 and rest[0] == "namespaces" and rest[2] == "pods":
                return self.pods(rest[1], labels, fields)
            if len(rest) == 4 and rest[0] == "namespaces" and rest[2] == "pods":
                return self.pod(rest[1], rest[3])
        raise ApiError(404, "NotFound", "the server could not find the requested resource")
