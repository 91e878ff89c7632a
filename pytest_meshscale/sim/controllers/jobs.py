"""Job -> pods that run their simulated image once (the kubelet calls runtime.run_job_pod), then
status succeeded/failed counts and the Complete / Failed conditions (`kubectl wait --for=condition=complete`).

Honoured: completions (default 1), parallelism (default 1), backoffLimit (default 6). Not modelled:
activeDeadlineSeconds, indexed completion, pod failure policy, ttlSecondsAfterFinished.
"""

from __future__ import annotations

from .objects import Obj, condition, is_ready, is_terminal, meta, now_iso, with_conditions
from .owner import OwnerController

__all__ = ["JobController"]


def _finished(job: Obj) -> bool:
    conds = (job.get("status") or {}).get("conditions") or []
    return any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True" for c in conds)


class JobController(OwnerController):
    resource = "jobs.batch"

    def sync(self, job: Obj) -> None:
        if _finished(job):
            return
        name = meta(job)["name"]
        spec = job.get("spec") or {}
        completions, parallelism = int(spec.get("completions", 1)), int(spec.get("parallelism", 1))
        pods = self.pods(job)
        phases = [(p.get("status") or {}).get("phase") for p in pods]
        succeeded, failed = phases.count("Succeeded"), phases.count("Failed")
        active = [p for p in pods if not is_terminal(p)]
        verdict = self._verdict(succeeded, failed, completions, int(spec.get("backoffLimit", 6)))
        if verdict is None:
            missing = min(parallelism, completions - succeeded) - len(active)
            if missing > 0:
                uid = meta(job)["uid"]
                labels = {
                    "batch.kubernetes.io/job-name": name,
                    "job-name": name,
                    "batch.kubernetes.io/controller-uid": uid,
                    "controller-uid": uid,
                }
                template = job["spec"].get("template") or {}
                template = {**template, "spec": {"restartPolicy": "Never", **(template.get("spec") or {})}}
                self.factory.create(job, template, missing, f"{name}-", labels)
        else:
            self.factory.delete(active)
            active = []
        self._status(job, succeeded, failed, active, verdict)

    @staticmethod
    def _verdict(succeeded: int, failed: int, completions: int, backoff: int) -> Obj | None:
        if succeeded >= completions:
            return condition("Complete", True)
        if failed > backoff:
            return condition("Failed", True, "BackoffLimitExceeded", "Job has reached the specified backoff limit")
        return None

    def _status(self, job: Obj, succeeded: int, failed: int, active: list[Obj], verdict: Obj | None) -> None:
        old = job.get("status") or {}
        status: Obj = {
            "startTime": old.get("startTime") or now_iso(),
            "active": len(active),
            "ready": sum(is_ready(p) for p in active),
            "succeeded": succeeded,
            "failed": failed,
            "terminating": 0,
        }
        if verdict is not None:
            # Kubernetes >= 1.31 first sets the *Target condition, then the final one; both stay.
            target = "SuccessCriteriaMet" if verdict["type"] == "Complete" else "FailureTarget"
            conds = [{**verdict, "type": target}, verdict]
            status["conditions"] = with_conditions(old.get("conditions"), conds)
            if verdict["type"] == "Complete":
                status["completionTime"] = now_iso()
        status = {k: v for k, v in status.items() if v or k in ("active", "ready", "terminating")}
        self.write_status(job, status)
