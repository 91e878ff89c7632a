"""The seam between the sim's API server and what runs 'inside' pods.

The API server (server/handlers) calls a PodRuntime for pod proxy, pod logs and the metrics API;
the simulated images, data plane and performance model implement it. Keeping this a small Protocol
lets each side be built and tested alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["ContainerUsage", "JobOutcome", "NullRuntime", "PodRuntime", "ProxyResult"]


@dataclass(frozen=True, slots=True)
class ProxyResult:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": "text/plain"})


@dataclass(frozen=True, slots=True)
class JobOutcome:
    """How a simulated Job pod ended: its exit code and the log it leaves behind."""

    exit_code: int
    log: str
    duration_s: float = 0.5


@dataclass(frozen=True, slots=True)
class ContainerUsage:
    name: str
    cpu_cores: float
    memory_bytes: int


class PodRuntime(Protocol):
    def proxy(self, pod: dict[str, Any], port: int, method: str, path: str, query: str, body: bytes) -> ProxyResult:
        """Answer an HTTP request sent through /api/v1/namespaces/NS/pods/NAME:PORT/proxy/PATH."""

    def logs(self, pod: dict[str, Any], container: str | None) -> str:
        """The text `kubectl logs` shows for this pod."""

    def run_job_pod(self, pod: dict[str, Any]) -> JobOutcome:
        """Run the simulated image of a Job's pod to completion (called by the Job controller)."""

    def pod_usage(self, pod: dict[str, Any]) -> list[ContainerUsage]:
        """Current CPU/memory of each container, for metrics.k8s.io (simulated)."""

    def node_kernel_cores(self, node: dict[str, Any]) -> float:
        """CPU of the node that no pod accounts for: kernel work + a small base (simulated)."""


class NullRuntime:
    """A runtime with no images: every proxied request is 503, logs are empty, usage is zero."""

    def proxy(self, pod: dict[str, Any], port: int, method: str, path: str, query: str, body: bytes) -> ProxyResult:
        return ProxyResult(503, b"no simulated image serves this pod\n")

    def logs(self, pod: dict[str, Any], container: str | None) -> str:
        return ""

    def run_job_pod(self, pod: dict[str, Any]) -> JobOutcome:
        return JobOutcome(0, "")

    def pod_usage(self, pod: dict[str, Any]) -> list[ContainerUsage]:
        return []

    def node_kernel_cores(self, node: dict[str, Any]) -> float:
        return 0.0
