"""The pod status a kubelet reports: Running+Ready with the pod IP, or the end of a Job pod's run."""

from __future__ import annotations

from ..runtime import JobOutcome
from .objects import Obj, condition, meta, now_iso, with_conditions
from .podfactory import scheduled

__all__ = ["final_status", "running_status"]


def _container_statuses(pod: Obj, state: Obj, ready: bool) -> list[Obj]:
    return [
        {
            "name": c.get("name", ""),
            "image": c.get("image", ""),
            "imageID": "",
            "ready": ready,
            "started": "running" in state,
            "restartCount": 0,
            "state": state,
            "containerID": f"containerd://simulated-{meta(pod).get('uid', '')[:8]}-{i}",
        }
        for i, c in enumerate((pod.get("spec") or {}).get("containers") or [])
    ]


def running_status(pod: Obj, ip: str, ready: bool) -> Obj:
    now = now_iso()
    status = dict(pod.get("status") or {})
    kinds = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady")
    conds = [condition(k, ready or k in kinds[:2]) for k in kinds] + [scheduled(True)]
    status.update(
        phase="Running",
        podIP=ip,
        podIPs=[{"ip": ip}],
        startTime=status.get("startTime", now),
        conditions=with_conditions(status.get("conditions"), conds),
        containerStatuses=_container_statuses(pod, {"running": {"startedAt": now}}, ready),
    )
    return status


def final_status(pod: Obj, outcome: JobOutcome) -> Obj:
    ok, now = outcome.exit_code == 0, now_iso()
    status = dict(pod.get("status") or {})
    started = status.get("startTime", now)
    term = {
        "terminated": {
            "exitCode": outcome.exit_code,
            "reason": "Completed" if ok else "Error",
            "startedAt": started,
            "finishedAt": now,
        }
    }
    conds = [condition(k, False, "PodCompleted") for k in ("Ready", "ContainersReady")]
    status.update(
        phase="Succeeded" if ok else "Failed",
        conditions=with_conditions(status.get("conditions"), conds + [scheduled(True)]),
        containerStatuses=_container_statuses(pod, term, False),
    )
    return status
