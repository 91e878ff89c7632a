"""The Cluster interface every scenario module uses; one implementation (kube.py) talks to any API server.

Every object the run creates carries RUN_LABEL=<run id>, so teardown deletes exactly what the run made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["RUN_LABEL", "MANAGED_BY_LABEL", "Cluster", "ClusterError", "ForeignObject", "KindNotServed",
           "MetricsForbidden", "ProxyResponse", "Manifest", "is_simulated"]

RUN_LABEL = "meshscale.io/run-id"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"

Manifest = dict[str, Any]


SIM_VERSION_MARK = "-meshscale-sim"  # in the simulated API server's gitVersion (sim/server/discovery.py)


def is_simulated(kind: str, server_version: str) -> bool:
    """A sim is a sim also when reached as an `existing` cluster through its kubeconfig: its numbers are
    model outputs either way and must never be reported as measured. On `kwok` the control plane is real
    but the data plane behind every pod is our model, so its traffic numbers are simulated too."""
    return kind in ("sim", "kwok") or server_version.endswith(SIM_VERSION_MARK)


def planes(kind: str, server_version: str) -> str:
    """Which halves of the cluster are real, for every report of the run: on `kwok` the API server is
    kube-apiserver itself while every pod's traffic is our model; the sim is a model throughout."""
    if kind == "sim" or server_version.endswith(SIM_VERSION_MARK):
        return f"control plane: SIMULATED ({server_version}), data plane: SIMULATED"
    data = "SIMULATED" if kind == "kwok" else "real"
    return f"control plane: kube-apiserver {server_version} (real), data plane: {data}"


class ClusterError(RuntimeError):
    """A non-transient API failure, worded as one line for the user (verb, object, reason)."""


class ForeignObject(ClusterError):
    """An object the run was about to create exists and was not created by this run: it is never
    adopted or changed (the message names it and, if another run of the plugin left it, that run)."""


class KindNotServed(ClusterError):
    """The API server does not serve this kind (its CRD is not installed): callers may treat it as absent."""


class MetricsForbidden(ClusterError):
    """RBAC denies `get` on the non-resource URL /metrics: what is read from it is not measured, and the run
    goes on (the message is the one line that says why and what to grant)."""


@dataclass(frozen=True, slots=True)
class ProxyResponse:
    """What the API server's pod proxy returned: the pod's own HTTP status and body."""

    status: int
    body: bytes
    headers: Mapping[str, str]

    def json(self) -> Any:
        import json

        return json.loads(self.body)


class Cluster(Protocol):
    """Verbs the scenarios need, shaped like lightkube's; all go through the Kubernetes API."""

    name: str
    kind: str  # "sim", "kind", "existing" or "kwok"
    run_id: str
    kubeconfig: str
    etcd_metrics_url: str  # etcd's /metrics where the run can reach it (kwok: its client URL), else ""

    def apply(self, manifests: Iterable[Manifest], *, wave_size: int | None = None) -> list[Manifest]:
        """Create or update objects (labelled with the run id), in waves under the client-side rate limit."""

    def get(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> Manifest | None: ...

    def list(
        self, api_version: str, kind: str, namespace: str | None = None, labels: str | None = None
    ) -> list[Manifest]: ...

    def each(
        self, api_version: str, kind: str, namespace: str | None = None, labels: str | None = None
    ) -> Iterator[Manifest]:
        """What list() returns, one page (500 objects) in memory at a time: for lists of every pod at 50,000."""

    def delete(self, api_version: str, kind: str, name: str, namespace: str | None = None) -> None: ...

    def delete_run_objects(self, timeout_s: float = 300, kinds: Iterable[tuple[str, str]] = ()) -> int:
        """Delete every object carrying this run's label (and nothing else); return how many."""

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
        """Watch (never poll) until one object satisfies predicate; ClusterError naming `what` on timeout."""

    def wait_deployments_available(
        self, namespaces: Iterable[str], timeout_s: float, progress: Callable[[int, int], None] | None = None
    ) -> None:
        """Watch Deployment status across namespaces until all are Available with all replicas ready."""

    def scale(self, kind: str, name: str, namespace: str, replicas: int) -> None: ...

    def label(
        self, api_version: str, kind: str, name: str, labels: Mapping[str, str | None], namespace: str | None = None
    ) -> None: ...

    def logs(self, pod: str, namespace: str, container: str | None = None) -> str: ...

    def proxy_get(self, pod: str, namespace: str, port: int, path: str) -> ProxyResponse: ...

    def proxy_post(
        self, pod: str, namespace: str, port: int, path: str, body: bytes, *, repeatable: bool = False
    ) -> ProxyResponse: ...

    def server_version(self) -> str: ...

    def metrics_text(self) -> str:
        """The API server's own /metrics (Prometheus text); MetricsForbidden when RBAC denies `get /metrics`."""

    def close(self) -> None: ...
