"""ApiCluster: the Cluster verbs on top of `Api` (rate limit, retries, one-line errors) and discovery.

kube.py gives it a transport built from the official client; tests can give it a fake one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .api import Api
from .applying import MERGE_PATCH, Applier
from .base import RUN_LABEL, Cluster, ClusterError, Manifest, MetricsForbidden, ProxyResponse
from .errors import Target, failure_line
from .ratelimit import RateLimit
from .readiness import DeploymentsReady, FirstMatch
from .resources import Discovery, Resource
from .teardown import delete_run_objects
from .watching import list_all, pages, watch_until

__all__ = ["ApiCluster"]

METRICS_TIMEOUT_S = 60.0  # kube-apiserver's /metrics is ~3 MB at smoke scale, more with many resources
PROXY_TIMEOUT_S = 900.0  # a synchronous fortio run answers only when the load is over
SCALABLE = {"Deployment": "apps/v1", "StatefulSet": "apps/v1", "ReplicaSet": "apps/v1"}


class ApiCluster:
    """Implements the Cluster protocol; `stats` holds the run's API load."""

    def __init__(
        self, api: Api, *, kubeconfig: str, run_id: str, kind: str, name: str, rate: RateLimit,
        etcd_metrics_url: str = "",
    ) -> None:
        self.api, self.stats = api, api.stats
        self.kubeconfig, self.run_id, self.kind, self.name, self.rate = kubeconfig, run_id, kind, name, rate
        self.etcd_metrics_url = etcd_metrics_url
        self.discovery = Discovery(lambda path: self.api.get_json(Target("discover", path), path))
        self.applier = Applier(api, self.discovery, run_id, rate.workers)

    def _res(self, api_version: str, kind: str) -> Resource:
        return self.discovery.resource(api_version, kind)

    def apply(self, manifests: Iterable[Manifest], *, wave_size: int | None = None) -> list[Manifest]:
        """wave_size = namespaces per wave (default: the profile's creation.wave_namespaces)."""
        return self.applier.apply(manifests, self.rate.wave_namespaces if wave_size is None else wave_size)

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Manifest | None:
        res = self._res(api_version, kind)
        found = self.api.get_json(Target("get", kind, namespace, name), res.path(namespace, name))
        return None if found is None else dict(found)

    def list(
        self, api_version: str, kind: str, namespace: str | None = None, labels: str | None = None
    ) -> list[Manifest]:
        return list_all(self.api, self._res(api_version, kind), namespace, labels)[0]

    def each(
        self, api_version: str, kind: str, namespace: str | None = None, labels: str | None = None
    ) -> Iterator[Manifest]:
        for page, _ in pages(self.api, self._res(api_version, kind), namespace, labels):
            yield from page

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> None:
        """Delete one object; already gone is fine."""
        res = self._res(api_version, kind)
        self.api.call(
            Target("delete", kind, namespace, name),
            "DELETE",
            res.path(namespace, name),
            query={"propagationPolicy": "Background"},
            accept=(404,),
        )

    def delete_run_objects(self, timeout_s: float = 300, kinds: Iterable[tuple[str, str]] = ()) -> int:
        """Delete what carries this run's label: kinds it applied, the common kinds, and `kinds` (the
        meshes' policy kinds, which an earlier process of the same run may have applied)."""
        return delete_run_objects(
            self.api, self.discovery, self.run_id, sorted(self.applier.kinds), timeout_s, also=kinds
        )

    def wait_for(
        self,
        api_version: str,
        kind: str,
        predicate: Callable[[Manifest], bool],
        *,
        name: str | None = None,
        namespace: str | None = None,
        labels: str | None = None,
        timeout_s: float,
        what: str,
    ) -> Manifest:
        handler = FirstMatch(predicate, name)
        fields = f"metadata.name={name}" if name else None
        deadline = time.monotonic() + timeout_s
        watch_until(
            self.api,
            self._res(api_version, kind),
            handler,
            deadline=deadline,
            namespace=namespace,
            labels=labels,
            fields=fields,
        )
        if handler.match is None:
            raise ClusterError(f"timed out after {timeout_s:g}s waiting for {what}")
        return handler.match

    def wait_deployments_available(
        self, namespaces: Iterable[str], timeout_s: float, progress: Callable[[int, int], None] | None = None
    ) -> None:
        """ONE watch on Deployments in all namespaces, selected by the run label, filtered to `namespaces`."""
        handler = DeploymentsReady(namespaces, progress)
        deadline = time.monotonic() + timeout_s
        watch_until(
            self.api,
            self._res("apps/v1", "Deployment"),
            handler,
            deadline=deadline,
            labels=f"{RUN_LABEL}={self.run_id}",
        )
        if not handler.done():
            available, total = handler.counts()
            raise ClusterError(
                f"timed out after {timeout_s:g}s waiting for deployments to be available: "
                f"{available}/{total} available; waiting for {handler.pending()}"
            )

    def scale(self, kind: str, name: str, namespace: str, replicas: int) -> None:
        if kind not in SCALABLE:
            raise ClusterError(f"scale {kind} {namespace}/{name}: only {', '.join(SCALABLE)} can be scaled")
        res = self._res(SCALABLE[kind], kind)
        self.api.call(
            Target("scale", kind, namespace, name),
            "PATCH",
            res.path(namespace, name, "scale"),
            body={"spec": {"replicas": replicas}},
            content_type=MERGE_PATCH,
        )

    def label(
        self,
        api_version: str,
        kind: str,
        name: str,
        labels: Mapping[str, str | None],
        namespace: str | None = None,
    ) -> None:
        """Merge-patch labels; None removes a label. The run label is teardown's, never changed here."""
        if RUN_LABEL in labels:
            raise ClusterError(
                f"label {kind} {name}: {RUN_LABEL} is set only by apply (teardown relies on it)"
            )
        res = self._res(api_version, kind)
        self.api.call(
            Target("label", kind, namespace, name),
            "PATCH",
            res.path(namespace, name),
            body={"metadata": {"labels": dict(labels)}},
            content_type=MERGE_PATCH,
        )

    def logs(self, pod: str, namespace: str, container: str | None = None) -> str:
        path = self._res("v1", "Pod").path(namespace, pod, "log")
        resp = self.api.call(
            Target("logs", "Pod", namespace, pod), "GET", path, query={"container": container}
        )
        return resp.body.decode("utf-8", "replace")

    def _proxy(
        self, method: str, pod: str, namespace: str, port: int, path: str, body: bytes | None,
        repeatable: bool = False,
    ) -> ProxyResponse:
        url = self._res("v1", "Pod").path(namespace, f"{pod}:{port}", "proxy") + "/" + path.lstrip("/")
        resp = self.api.call(
            Target(f"proxy {method}", "Pod", namespace, f"{pod}:{port}"),
            method,
            url,
            body=body,
            passthrough=True,
            # A second POST to an async /fortio/rest/run would start a second load; a probe may repeat.
            idempotent=method == "GET" or repeatable,
            timeout=PROXY_TIMEOUT_S,
        )
        return ProxyResponse(resp.status, resp.body, dict(resp.headers))

    def proxy_get(self, pod: str, namespace: str, port: int, path: str) -> ProxyResponse:
        """The pod's own reply through the API server's pod proxy, whatever its status."""
        return self._proxy("GET", pod, namespace, port, path, None)

    def proxy_post(
        self, pod: str, namespace: str, port: int, path: str, body: bytes, *, repeatable: bool = False
    ) -> ProxyResponse:
        """POST through the pod proxy. `repeatable`: the pod may see it twice (a one-shot probe), so a 5xx
        from the API server itself or a dropped connection is retried too, not only a 429."""
        return self._proxy("POST", pod, namespace, port, path, body, repeatable)

    def server_version(self) -> str:
        doc: Any = self.api.get_json(Target("get", "version"), "/version") or {}
        return str(doc.get("gitVersion", "unknown"))

    def metrics_text(self) -> str:
        resp = self.api.call(Target("get", "/metrics"), "GET", "/metrics", accept=(403,), timeout=METRICS_TIMEOUT_S)
        if resp.status == 403:
            raise MetricsForbidden(
                f"{failure_line(Target('get', '/metrics'), 403, resp.body)} (grant nonResourceURLs [/metrics] "
                "verbs [get], as fixtures/rbac/meshscale-clusterrole.yaml does)")
        return resp.body.decode("utf-8", "replace")

    def close(self) -> None:
        self.api.transport.close()


if TYPE_CHECKING:  # mypy checks here that ApiCluster (and so KubeCluster) implements the Cluster protocol
    _conforms: type[Cluster] = ApiCluster
