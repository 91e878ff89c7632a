"""Job pods end when their simulated image says so, as a kubelet reports a container's exit: the agent runs
the image's model when the pod starts Running (a capture's window opens then), and after the image's duration
writes the pod's status (Succeeded or Failed, each container terminated with the image's exit code) through
the API. The Job controller of kube-controller-manager does the rest. KWOK's stages leave Job pods Running
for this (fixtures/kwok/stages.yaml has no completion stage).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from ..control_plane.kubeapi import ApiError
from ..runtime import JobOutcome, PodRuntime
from .informer import Client
from .mirror import Mirror

__all__ = ["JobPods", "terminated_status"]

Obj = dict[str, Any]
STRATEGIC = "application/strategic-merge-patch+json"  # conditions merge by type: the others are kept


def _stamp(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def terminated_status(pod: Obj, exit_code: int, started: float, finished: float) -> Obj:
    done = {"status": "False", "reason": "PodCompleted", "lastProbeTime": None,
            "lastTransitionTime": _stamp(finished)}
    containers = (pod.get("spec") or {}).get("containers") or []
    return {"status": {
        "phase": "Succeeded" if exit_code == 0 else "Failed",
        "conditions": [{"type": t, **done} for t in ("ContainersReady", "Ready")],
        "containerStatuses": [{
            "name": c.get("name", ""), "image": c.get("image", ""), "imageID": "", "ready": False,
            "restartCount": 0, "started": False, "state": {"terminated": {
                "exitCode": exit_code, "reason": "Completed" if exit_code == 0 else "Error",
                "startedAt": _stamp(started), "finishedAt": _stamp(finished)}}} for c in containers]}}


def _job_pod_running(pod: Obj) -> bool:
    meta = pod.get("metadata") or {}
    owned = any(o.get("kind") == "Job" for o in meta.get("ownerReferences") or [])
    return owned and not meta.get("deletionTimestamp") and (pod.get("status") or {}).get("phase") == "Running"


class JobPods:
    def __init__(self, client: Client, mirror: Mirror, runtime: PodRuntime, log: Callable[[str], None]) -> None:
        self.client, self.runtime, self.log = client, runtime, log
        self._started: set[str] = set()
        self._lock = threading.Lock()
        mirror.subscribe(self._on_event)

    def _on_event(self, event: str, resource: str, pod: Obj) -> None:
        if resource != "pods" or event == "DELETED" or not _job_pod_running(pod):
            return
        uid = str(pod["metadata"].get("uid"))
        with self._lock:
            if uid in self._started:
                return
            self._started.add(uid)
        started = time.time()
        outcome = self.runtime.run_job_pod(pod)  # the image starts now (a capture's window opens)
        timer = threading.Timer(outcome.duration_s, self._finish, (pod, outcome, started))
        timer.daemon = True
        timer.start()

    def _finish(self, pod: Obj, outcome: JobOutcome, started: float) -> None:
        meta = pod["metadata"]
        path = f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/status"
        try:  # 404: the pod was deleted meanwhile (its Job too)
            self.client.request("PATCH", path, terminated_status(pod, outcome.exit_code, started, time.time()),
                                ok=(404,), content_type=STRATEGIC)
        except (OSError, ApiError) as exc:
            self.log(f"agent: cannot end Job pod {meta['namespace']}/{meta['name']}: {exc}")
