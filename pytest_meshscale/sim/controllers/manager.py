"""The controller manager: routes store events to work-queue keys and runs a few worker threads.

Event callbacks run in the writer's thread (the store calls subscribers synchronously), so they only
do bookkeeping and queueing; all reconciling happens in the workers. Keys are tuples whose first item
names the reconciler. Pod events reach their owner and the namespace's Services through `add_after`,
so a wave of 100 pods turning Ready becomes one Deployment status write and one Endpoints write.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable

from ..runtime import PodRuntime
from ..store import ApiError, Store
from .clusterips import ClusterIPs
from .context import Context
from .daemonsets import DaemonSetController
from .deployments import DeploymentController
from .jobs import JobController
from .kubelet import Kubelet
from .namespaces import NamespaceController
from .objects import Obj, controller_ref, meta
from .services import EndpointsController
from .timing import Timing

__all__ = ["Controllers", "Route"]

Key = tuple[str, ...]
Route = Callable[[str, str, Obj], Iterable[Key]]  # (event, resource, obj) -> keys to queue
_OWNERS = {"Deployment": "deployments.apps", "DaemonSet": "daemonsets.apps", "Job": "jobs.batch"}
_WATCHED = ("nodes", "namespaces", "pods", "services", *_OWNERS.values())


class Controllers:
    def __init__(self, store: Store, runtime: PodRuntime, timing: Timing, seed: int = 0,
                 jobs_by_agent: bool = False) -> None:
        self.ctx = ctx = Context(store, runtime, timing, seed, jobs_by_agent)
        self.kubelet, self.endpoints, self.ips = Kubelet(ctx), EndpointsController(ctx), ClusterIPs(store)
        owners: list[DeploymentController | DaemonSetController | JobController] = [
            DeploymentController(ctx), DaemonSetController(ctx), JobController(ctx)]
        namespaces = NamespaceController(ctx)
        self._reconcilers: dict[str, Callable[[Key], None]] = {
            "pod": lambda k: self.kubelet.reconcile(k[1], k[2]),
            "namespaces": lambda k: namespaces.reconcile(k[2]),
            "endpoints-ns": lambda k: self.endpoints.reconcile_namespace(k[1]),
            "retry-unschedulable": lambda k: self.kubelet.retry_unschedulable(),
            "daemonsets-all": lambda k: self._enqueue_all("daemonsets.apps"),
        }
        for c in owners:
            self._reconcilers[c.resource] = c.reconcile_key
        self._routes: list[Route] = []
        self._extra: set[str] = set()
        self._threads: list[threading.Thread] = []

    # ---- extension (mesh components add their own controllers) ------------------------------------
    def extend(self, name: str, route: Route, reconcile: Callable[[Key], None], resources: Iterable[str]) -> None:
        """Add a controller: `route` maps events of `resources` to keys (first item `name`), `reconcile`
        handles a key. Call before start(): start() routes the objects that already exist."""
        self._reconcilers[name] = reconcile
        self._routes.append(route)
        self._extra.update(resources)

    # ---- lifecycle ----------------------------------------------------------------------------------
    def start(self) -> None:
        store = self.ctx.store
        store.subscribe(self._on_event)
        for resource in dict.fromkeys([*_WATCHED, *sorted(self._extra)]):
            for obj in store.list(resource)[0]:
                self._on_event("ADDED", resource, obj, initial=True)
        for i in range(max(1, self.ctx.timing.workers)):
            t = threading.Thread(target=self._work, name=f"meshscale-sim-controller-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        self.ctx.store.unsubscribe(self._on_event)
        self.ctx.queue.shut_down()
        for t in self._threads:
            t.join(timeout=5)
        self._threads.clear()

    def settle(self, timeout: float = 30.0) -> bool:
        """Wait until nothing is queued, delayed or in progress (tests and the timing script)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ctx.queue.idle():
                time.sleep(0.02)  # a worker may be between done() and its next write's event
                if self.ctx.queue.idle():
                    return True
            time.sleep(0.02)
        return False

    def _work(self) -> None:
        queue = self.ctx.queue
        while (key := queue.get()) is not None:
            try:
                self._reconcilers[key[0]](key)  # type: ignore[index,arg-type]
            except ApiError as exc:
                print(f"meshscale-sim: controller {key!r}: {exc.code} {exc.message}", file=sys.stderr)
            except Exception as exc:  # a bug in one reconcile must not kill the worker
                print(f"meshscale-sim: controller {key!r} failed: {exc!r}", file=sys.stderr)
            finally:
                queue.done(key)

    # ---- routing ------------------------------------------------------------------------------------
    def _on_event(self, event: str, resource: str, obj: Obj, initial: bool = False) -> None:
        self._route(event, resource, obj, initial)
        for route in self._routes:
            for key in route(event, resource, obj):
                self.ctx.queue.add(key)

    def _route(self, event: str, resource: str, obj: Obj, initial: bool = False) -> None:
        q, t, m = self.ctx.queue, self.ctx.timing, meta(obj)
        ns, name = m.get("namespace", ""), m.get("name", "")
        if resource == "pods":
            self.kubelet.on_event(event, obj)
            ref = controller_ref(obj)
            if ref and ref.get("kind") in _OWNERS:
                q.add_after((_OWNERS[ref["kind"]], ns, ref["name"]), t.status_coalesce_s)
            q.add_after(("endpoints-ns", ns), t.endpoints_coalesce_s)
            if event == "DELETED":
                q.add_after(("retry-unschedulable",), t.status_coalesce_s)
        elif resource in _OWNERS.values():
            observed = (obj.get("status") or {}).get("observedGeneration")
            if event != "DELETED" and (initial or event == "ADDED" or observed != m.get("generation")):
                q.add((resource, ns, name))
        elif resource == "nodes":
            self.ctx.placer.node_event(event, obj)
            q.add_after(("daemonsets-all",), t.status_coalesce_s)
            q.add_after(("retry-unschedulable",), t.status_coalesce_s)
        elif resource == "services":
            self._service_event(event, obj)
        elif resource == "namespaces" and event != "DELETED":
            q.add(("namespaces", "", name))

    def _service_event(self, event: str, svc: Obj) -> None:
        if event == "DELETED":
            self.endpoints.service_deleted(svc)
            return
        self.ips.on_service(svc)
        self.ctx.queue.add_after(("endpoints-ns", meta(svc)["namespace"]), self.ctx.timing.endpoints_coalesce_s)

    def _enqueue_all(self, resource: str) -> None:
        for obj in self.ctx.store.list(resource)[0]:
            self.ctx.queue.add((resource, meta(obj).get("namespace", ""), meta(obj)["name"]))
