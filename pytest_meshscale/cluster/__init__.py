"""The cluster layer: the `Cluster` interface, its one implementation over the official Kubernetes client
(imported lazily, so `import pytest_meshscale.cluster` stays cheap), and the client stack under it
(rate limit, retries, counters). Providers that hand out a cluster live in provision/."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import MANAGED_BY_LABEL, RUN_LABEL, Cluster, ClusterError, Manifest, MetricsForbidden, ProxyResponse
from .ratelimit import RateLimit
from .retry import RetryPolicy
from .stats import ApiStats

if TYPE_CHECKING:
    from .kube import KubeCluster

__all__ = [
    "MANAGED_BY_LABEL",
    "RUN_LABEL",
    "ApiStats",
    "Cluster",
    "ClusterError",
    "KubeCluster",
    "Manifest",
    "MetricsForbidden",
    "ProxyResponse",
    "RateLimit",
    "RetryPolicy",
]


def __getattr__(name: str) -> Any:
    if name == "KubeCluster":  # the kubernetes client costs ~0.5 s to import: only when asked for
        from .kube import KubeCluster

        return KubeCluster
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
