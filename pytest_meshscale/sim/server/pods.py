"""Pod subresources answered by the PodRuntime (logs, proxy) and the metrics.k8s.io API (PodMetrics and
NodeMetrics, sim/metrics_api.py), whose numbers come from the runtime's model and are annotated as simulated."""

from __future__ import annotations

from typing import Any

from ..metrics_api import SIMULATED_ANNOTATION, ResourceMetrics
from ..runtime import PodRuntime
from ..store import Store
from .messages import Request, Response, json_response
from .routing import Target
from .storetypes import ApiError

__all__ = ["PodHandler", "SIMULATED_ANNOTATION"]


def _proxy_target(pod: dict[str, Any], name: str) -> int:
    """The port of NAME[:PORT] (a scheme prefix such as https: is accepted); default: first container port."""
    parts = name.split(":")
    if len(parts) > 1 and parts[-1]:
        try:
            return int(parts[-1])
        except ValueError:
            pass  # a named port: resolved below from the pod's container ports
        for c in pod.get("spec", {}).get("containers") or []:
            for p in c.get("ports") or []:
                if p.get("name") == parts[-1]:
                    return int(p["containerPort"])
        raise ApiError(400, "BadRequest", f"pod proxy: no port named {parts[-1]!r} on pod {pod['metadata']['name']}")
    for c in pod.get("spec", {}).get("containers") or []:
        for p in c.get("ports") or []:
            return int(p["containerPort"])
    return 80


def _pod_name(name: str) -> str:
    parts = name.split(":")
    return parts[1] if len(parts) > 1 and parts[0] in ("http", "https") else parts[0]


class PodHandler:
    def __init__(self, store: Store, runtime: PodRuntime) -> None:
        self.store, self.runtime = store, runtime
        self.resource_metrics = ResourceMetrics(store, runtime.pod_usage, runtime.node_kernel_cores)

    def log(self, t: Target, req: Request) -> Response:
        pod = self.store.get("pods", t.namespace, t.name or "")
        container = req.query.get("container") or None
        spec = pod.get("spec", {})
        names = [c.get("name") for c in spec.get("containers") or []]
        every = [c.get("name") for c in spec.get("initContainers") or []] + names
        if container and container not in every:
            raise ApiError(400, "BadRequest", f"container {container} is not valid for pod {t.name}")
        if not container and len(every) > 1:  # kube-apiserver's words; kubectl picks a default container itself
            raise ApiError(400, "BadRequest", f"a container name must be specified for pod {t.name}, choose one "
                                              f"of: [{' '.join(str(n) for n in every)}]")
        text = self.runtime.logs(pod, container)
        tail = req.query.get("tailLines")
        if tail and tail.isdigit():
            text = "".join(text.splitlines(keepends=True)[-int(tail) :]) if int(tail) else ""
        return Response(200, text.encode(), "text/plain")

    def proxy(self, t: Target, req: Request) -> Response:
        pod = self.store.get("pods", t.namespace, _pod_name(t.name or ""))
        port = _proxy_target(pod, t.name or "")
        result = self.runtime.proxy(pod, port, req.method, "/" + t.rest, req.raw_query, req.body)
        headers = {k: v for k, v in result.headers.items() if k.lower() != "content-type"}
        return Response(result.status, result.body, result.headers.get("Content-Type", "text/plain"), headers)

    def metrics(self, t: Target, req: Request) -> Response:
        """metrics.k8s.io/v1beta1 pods and nodes (sim/metrics_api.py, shared with the data-plane agent). The
        request is already parsed into `t`: the documents are asked for directly, not through get()'s path."""
        m, labels, fields = self.resource_metrics, req.query.get("labelSelector"), req.query.get("fieldSelector")
        if t.plural == "nodes":
            return json_response(m.node(t.name) if t.name else m.nodes(labels, fields))
        if t.name and not t.namespace:  # /pods/NAME: a namespaced kind has no such path
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return json_response(m.pod(t.namespace or "", t.name) if t.name else m.pods(t.namespace, labels, fields))
