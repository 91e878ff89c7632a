"""What the scheduler and the kubelet do for each pod, KWOK-style: bind pods created without a node,
then after a modelled delay mark them Running and Ready with an IP from the node's pod CIDR.

Job pods instead run their simulated image (`runtime.run_job_pod`) and end Succeeded or Failed after
the outcome's duration; with the data-plane agent (`jobs_by_agent`) they are only made Running, and the agent
ends them through the API. Every pod is one work-queue key; nothing here polls.
"""

from __future__ import annotations

import threading

from ..runtime import JobOutcome
from ..store import ApiError
from .context import Context
from .objects import Obj, controller_ref, is_ready, is_terminal, meta, with_conditions
from .podfactory import scheduled
from .podstatus import final_status, running_status

__all__ = ["Kubelet"]

Key = tuple[str, str]


class Kubelet:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._outcomes: dict[Key, JobOutcome] = {}
        self._unschedulable: set[Key] = set()
        self._lock = threading.Lock()

    # ---- events (called in the writer's thread: only bookkeeping and queueing) -------------------
    def on_event(self, event: str, pod: Obj) -> None:
        key = (meta(pod).get("namespace", ""), meta(pod)["name"])
        spec, phase = pod.get("spec") or {}, (pod.get("status") or {}).get("phase", "Pending")
        if event == "DELETED":
            self.ctx.placer.release(key)
            with self._lock:
                self._outcomes.pop(key, None)
                self._unschedulable.discard(key)
            return
        node = spec.get("nodeName")
        if not node:
            self.ctx.queue.add(("pod", *key))
            return
        self.ctx.placer.bind(key, node, spec)  # no-op for pods the factory placed
        if phase == "Pending":
            job = (controller_ref(pod) or {}).get("kind") == "Job"
            delay = self.ctx.timing.job_start_delay_s if job else self.ctx.ready_delay()
            self.ctx.queue.add_after(("pod", *key), delay)

    def retry_unschedulable(self) -> None:
        with self._lock:
            keys, self._unschedulable = list(self._unschedulable), set()
        for key in keys:
            self.ctx.queue.add(("pod", *key))

    # ---- work -------------------------------------------------------------------------------------
    def reconcile(self, ns: str, name: str) -> None:
        pod = self.ctx.store.try_get("pods", ns, name)
        if pod is None or is_terminal(pod):
            return
        phase = (pod.get("status") or {}).get("phase", "Pending")
        if not (pod.get("spec") or {}).get("nodeName"):
            self._bind(pod, (ns, name))
        elif (controller_ref(pod) or {}).get("kind") == "Job":
            self._job_step(pod, (ns, name), phase)
        elif phase == "Pending" or (phase == "Running" and not is_ready(pod)):
            self._write(pod, running_status(pod, self._ip(pod, (ns, name)), True))

    def _ip(self, pod: Obj, key: Key) -> str:
        return self.ctx.placer.ip_of(key) or self.ctx.placer.bind(key, pod["spec"]["nodeName"], pod["spec"])

    def _bind(self, pod: Obj, key: Key) -> None:
        spec = pod.get("spec") or {}
        where = self.ctx.placer.place(spec, [key]).get(key)
        if where is None:
            with self._lock:
                self._unschedulable.add(key)
            status = dict(pod.get("status") or {}, phase="Pending")
            status["conditions"] = with_conditions(
                status.get("conditions"), [scheduled(False, self.ctx.placer.explain(spec))]
            )
            self._write(pod, status)
            return
        node, host_ip = where[0], self.ctx.placer.host_ip(where[0])

        def bind(obj: Obj) -> None:
            obj["spec"]["nodeName"] = node
            st = obj.setdefault("status", {})
            st.update(
                hostIP=host_ip,
                hostIPs=[{"ip": host_ip}],
                conditions=with_conditions(st.get("conditions"), [scheduled(True)]),
            )

        try:
            self.ctx.store.mutate("pods", key[0], key[1], bind)
        except ApiError:
            self.ctx.placer.release(key)

    def _job_step(self, pod: Obj, key: Key, phase: str) -> None:
        if phase == "Pending" and self.ctx.jobs_by_agent:
            self._write(pod, running_status(pod, self._ip(pod, key), True))
            return
        if phase == "Pending":
            try:
                outcome = self.ctx.runtime.run_job_pod(pod)
            except Exception as exc:  # a broken simulated image fails its pod, not the controller
                outcome = JobOutcome(1, f"meshscale-sim: simulated image failed: {exc!r}\n")
            with self._lock:
                self._outcomes[key] = outcome
            if self._write(pod, running_status(pod, self._ip(pod, key), True)):
                self.ctx.queue.add_after(("pod", *key), outcome.duration_s)
            return
        with self._lock:
            done = self._outcomes.pop(key) if key in self._outcomes else None
        if done is not None:
            self._write(pod, final_status(pod, done))

    def _write(self, pod: Obj, status: Obj) -> bool:
        try:
            self.ctx.store.update("pods", {**pod, "status": status}, subresource="status")
        except ApiError as exc:
            if exc.code == 409:  # changed meanwhile: look again
                self.ctx.queue.add(("pod", meta(pod)["namespace"], meta(pod)["name"]))
            return False
        return True
