"""Deployment -> pods, without ReplicaSets (a simplification: `kubectl rollout` is not modelled).

Pods carry the template's labels plus `pod-template-hash` and are named `<deploy>-<hash>-<5 chars>`
like ReplicaSet pods. A changed template replaces all old pods at once. Scale-down removes
not-ready pods first, then the newest (the ReplicaSet controller's ranking, simplified). Status and the
Available/Progressing conditions follow the pods, with the real maxUnavailable rule for Available.
"""

from __future__ import annotations

import math

from .objects import Obj, condition, is_ready, is_terminal, meta, template_hash, with_conditions
from .owner import OwnerController

__all__ = ["DeploymentController", "max_unavailable"]


def max_unavailable(spec: Obj, replicas: int) -> int:
    """spec.strategy.rollingUpdate.maxUnavailable (default 25%, rounded down), 0 for Recreate."""
    strategy = spec.get("strategy") or {}
    if strategy.get("type") == "Recreate":
        return 0
    value = (strategy.get("rollingUpdate") or {}).get("maxUnavailable", "25%")
    if isinstance(value, str) and value.endswith("%"):
        return math.floor(replicas * float(value[:-1]) / 100)
    return int(value)


def _scale_down_order(pod: Obj) -> tuple[bool, str, str]:
    m = meta(pod)
    return is_ready(pod), _negate(m.get("creationTimestamp", "")), _negate(m.get("name", ""))


def _negate(text: str) -> str:
    return "".join(chr(0x10FFFF - ord(ch)) for ch in text)  # sorts descending inside an ascending sort


class DeploymentController(OwnerController):
    resource = "deployments.apps"

    def sync(self, deploy: Obj) -> None:
        name = meta(deploy)["name"]
        spec = deploy.get("spec") or {}
        template = spec.get("template") or {}
        current_hash = template_hash(template)
        pods = [p for p in self.pods(deploy) if not is_terminal(p)]
        old = [p for p in pods if (meta(p).get("labels") or {}).get("pod-template-hash") != current_hash]
        pods = [p for p in pods if p not in old]
        self.factory.delete(old)
        want = int(spec.get("replicas", 1))
        if len(pods) < want:
            labels = {"pod-template-hash": current_hash}
            self.factory.create(deploy, template, want - len(pods), f"{name}-{current_hash}-", labels)
            pods = [p for p in self.pods(deploy) if not is_terminal(p)]
            pods = [p for p in pods if (meta(p).get("labels") or {}).get("pod-template-hash") == current_hash]
        elif len(pods) > want:
            extra = sorted(pods, key=_scale_down_order)[: len(pods) - want]
            self.factory.delete(extra)
            pods = [p for p in pods if p not in extra]
        self._status(deploy, pods, len(old))

    def _status(self, deploy: Obj, pods: list[Obj], old: int) -> None:
        spec, name = deploy.get("spec") or {}, meta(deploy)["name"]
        want, ready = int(spec.get("replicas", 1)), sum(is_ready(p) for p in pods)
        available = ready >= want - max_unavailable(spec, want)
        done = ready >= want and len(pods) == want and not old
        rs = f'ReplicaSet "{name}-{template_hash(spec.get("template") or {})}"'
        conds = [
            condition(
                "Available",
                available,
                "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
                "Deployment has minimum availability."
                if available
                else "Deployment does not have minimum availability.",
            ),
            condition(
                "Progressing",
                True,
                "NewReplicaSetAvailable" if done else "ReplicaSetUpdated",
                f"{rs} has successfully progressed." if done else f"{rs} is progressing.",
            ),
        ]
        old_status = deploy.get("status") or {}
        status = {
            "observedGeneration": meta(deploy).get("generation", 1),
            "replicas": len(pods),
            "updatedReplicas": len(pods),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "unavailableReplicas": max(0, want - ready),
            "conditions": with_conditions(old_status.get("conditions"), conds, update_time=True),
        }
        status = {k: v for k, v in status.items() if v or k in ("observedGeneration", "replicas", "conditions")}
        self.write_status(deploy, status)

