"""pod_usage for mesh components and app containers: the performance model applied to the load that
crosses each container right now (SIMULATED; metrics.k8s.io serves these numbers)."""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any

from ..perf import DIRECT_PATH, Counts, usage_of
from ..perf.kernel import kernel_cores_per_kqps
from ..runtime import ContainerUsage
from .base import Env, pod_name
from .registry import containers_images

__all__ = ["UsageModel"]

Obj = dict[str, Any]
APP_IMAGES = {"fortio/fortio": "fortio", "gcr.io/istio-testing/isotope": "isotope", "istio/isotope": "isotope"}
WINDOW_S = 60.0
COUNTS_TTL_S = 1.0


class UsageModel:
    def __init__(self, env: Env) -> None:
        self.env = env
        self._lock = threading.Lock()
        self._samples: deque[tuple[float, int]] = deque()
        self._counts: dict[str, int] = {}
        self._counted_at = 0.0

    def writes_per_s(self) -> float:
        """API writes per second over the last minute: the churn the control planes absorb."""
        now, total = time.time(), int(sum((getattr(self.env.store, "write_counts", None) or {}).values()))
        with self._lock:
            self._samples.append((now, total))
            while self._samples and now - self._samples[0][0] > WINDOW_S:
                self._samples.popleft()
            t0, w0 = self._samples[0]
        return (total - w0) / (now - t0) if now - t0 >= 1 else 0.0

    def counts(self, services: int | None = None) -> Counts:
        objs = self._object_counts()
        policies = sum(objs.get(r, 0) for r in self.env.model.policy_resources)
        return Counts(
            objs.get("pods", 0),
            services if services is not None else objs.get("services", 0),
            policies,
            self.writes_per_s(),
        )

    def _object_counts(self) -> dict[str, int]:
        """Object counts, refreshed at most every COUNTS_TTL_S: metrics for 52,000 pods ask once per pod."""
        now = time.time()
        with self._lock:
            if now - self._counted_at > COUNTS_TTL_S:
                store = self.env.store
                self._counts = store.object_counts() if hasattr(store, "object_counts") else {}
                self._counted_at = now
            return self._counts

    def node_kernel_cores(self, node: Obj) -> float:
        """Kernel work of the requests crossing `node` (both ends) + the node's base: sim/perf/kernel.py."""
        env, name = self.env, str((node.get("metadata") or {}).get("name") or "")
        model = env.model
        mesh = env.params.kernel_of(model.name)
        encrypted = not env.faults.plaintext and (mesh.crypto_ns_per_byte > 0 or mesh.crypto_ns_per_packet > 0)
        kqps = env.loadbook.node_kqps(name, (DIRECT_PATH, *model.perf_paths))
        return round(env.params.kernel.node_base_cores + kqps * kernel_cores_per_kqps(env.params.kernel, mesh,
                                                                                        encrypted), 6)

    def pod_usage(self, pod: Obj) -> list[ContainerUsage]:
        labels = (pod.get("metadata") or {}).get("labels") or {}
        out = []
        for name, repo in containers_images(pod):
            comp = next((c for c in self.env.params.components if c.matches(labels) and c.container == name), None)
            if comp is not None:
                load = self.env.model.component_load(comp.name, pod, self.env.loadbook, self.env.store)
                cores, mem = usage_of(comp, load.kqps, self.counts(load.services))
            elif repo in APP_IMAGES:
                app = self.env.params.apps[APP_IMAGES[repo]]
                cores, mem = usage_of(app, self.env.loadbook.pod_kqps(pod_name(pod)), Counts())
            else:
                cores, mem = 0.001, 10 * 1024 * 1024
            out.append(ContainerUsage(name, round(cores, 6), mem))
        return out
