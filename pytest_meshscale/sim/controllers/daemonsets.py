"""DaemonSet -> one pod per eligible node (nodeSelector, node affinity, tolerations vs taints).

As the real controller, each pod is pinned to its node with a matchFields node affinity; node capacity
is not checked for daemon pods (a simplification). A changed template replaces the pods at once.
"""

from __future__ import annotations

from .objects import Obj, is_ready, is_terminal, meta, template_hash
from .owner import OwnerController

__all__ = ["DaemonSetController"]

# The controller adds these tolerations to every daemon pod (kubernetes pkg/controller/daemon/util).
_DAEMON_TOLERATIONS = [
    {"key": f"node.kubernetes.io/{k}", "operator": "Exists", "effect": e}
    for k, e in (
        ("not-ready", "NoExecute"),
        ("unreachable", "NoExecute"),
        ("disk-pressure", "NoSchedule"),
        ("memory-pressure", "NoSchedule"),
        ("pid-pressure", "NoSchedule"),
        ("unschedulable", "NoSchedule"),
    )
]


def _pinned(template: Obj, node: str) -> Obj:
    spec = dict(template.get("spec") or {})
    spec["tolerations"] = list(spec.get("tolerations") or []) + _DAEMON_TOLERATIONS
    pin = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
    spec["affinity"] = {
        **(spec.get("affinity") or {}),
        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [pin]}},
    }
    return {**template, "spec": spec}


class DaemonSetController(OwnerController):
    resource = "daemonsets.apps"

    def sync(self, ds: Obj) -> None:
        name = meta(ds)["name"]
        template = (ds.get("spec") or {}).get("template") or {}
        spec = dict(template.get("spec") or {})
        spec["tolerations"] = list(spec.get("tolerations") or []) + _DAEMON_TOLERATIONS
        wanted = set(self.ctx.placer.eligible_nodes(spec))
        current_hash = template_hash(template)
        by_node: dict[str, Obj] = {}
        stale = []
        for pod in self.pods(ds):
            node = (pod.get("spec") or {}).get("nodeName", "")
            labels = meta(pod).get("labels") or {}
            fresh = labels.get("controller-revision-hash") == current_hash and not is_terminal(pod)
            if node in wanted and node not in by_node and fresh:
                by_node[node] = pod
            else:
                stale.append(pod)
        self.factory.delete(stale)
        labels = {
            "controller-revision-hash": current_hash,
            "pod-template-generation": str(meta(ds).get("generation", 1)),
        }
        for node in sorted(wanted - set(by_node)):
            self.factory.create(ds, _pinned(template, node), 1, f"{name}-", labels, node=node)
        self._status(ds, len(wanted), list(by_node.values()))

    def _status(self, ds: Obj, desired: int, pods: list[Obj]) -> None:
        ready = sum(is_ready(p) for p in pods)
        status = {
            "observedGeneration": meta(ds).get("generation", 1),
            "desiredNumberScheduled": desired,
            "currentNumberScheduled": desired,
            "updatedNumberScheduled": desired,
            "numberMisscheduled": 0,
            "numberReady": ready,
            "numberAvailable": ready,
            "numberUnavailable": desired - ready,
        }
        self.write_status(ds, status)
