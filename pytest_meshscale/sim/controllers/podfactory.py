"""Creating pods for an owner (Deployment, DaemonSet, Job): names, labels, owner reference, placement.

Pods are created already bound to a node (the scheduler's decision is made here, in one pass per batch),
so a 100-replica Deployment costs 100 creates and no separate bind writes. Pods nothing fits are created
Pending with PodScheduled=False, as the scheduler leaves them.
"""

from __future__ import annotations

from ..store import ApiError
from .context import Context
from .objects import Obj, condition, meta, owner_ref, with_conditions

__all__ = ["PodFactory", "build_pod", "scheduled"]


def scheduled(ok: bool, message: str = "") -> Obj:
    return condition("PodScheduled", ok, "" if ok else "Unschedulable", message)


def build_pod(owner: Obj, template: Obj, name: str, labels: dict[str, str], node: str, host_ip: str) -> Obj:
    tmeta, tspec = template.get("metadata") or {}, dict(template.get("spec") or {})
    tspec.setdefault("serviceAccountName", tspec.get("serviceAccount") or "default")
    tspec.setdefault("restartPolicy", "Always")
    tspec.setdefault("schedulerName", "default-scheduler")
    tspec.setdefault("dnsPolicy", "ClusterFirst")
    tspec.setdefault("terminationGracePeriodSeconds", 30)
    status: Obj = {"phase": "Pending", "conditions": with_conditions(None, [scheduled(bool(node))])}
    if node:
        tspec["nodeName"] = node
        status["hostIP"], status["hostIPs"] = host_ip, [{"ip": host_ip}]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": meta(owner)["namespace"],
            "labels": {**(tmeta.get("labels") or {}), **labels},
            "annotations": dict(tmeta.get("annotations") or {}),
            "ownerReferences": [owner_ref(owner)],
        },
        "spec": tspec,
        "status": status,
    }


class PodFactory:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def _names(self, ns: str, prefix: str, count: int) -> list[str]:
        names: list[str] = []
        while len(names) < count:
            name = prefix + self.ctx.suffix()
            if name not in names and self.ctx.store.try_get("pods", ns, name) is None:
                names.append(name)
        return names

    def create(
        self, owner: Obj, template: Obj, count: int, prefix: str, labels: dict[str, str], node: str | None = None
    ) -> int:
        """Create `count` pods named prefix+5 chars; on `node` if given, else placed. Returns how many."""
        ns, spec = meta(owner)["namespace"], template.get("spec") or {}
        keys = [(ns, n) for n in self._names(ns, prefix, count)]
        if node is not None:
            placed = {k: (node, "") for k in keys if self.ctx.placer.bind(k, node, spec)}
        else:
            placed = self.ctx.placer.place(spec, keys)
        created = 0
        for key in keys:
            where = placed.get(key, ("", ""))[0]
            pod = build_pod(owner, template, key[1], labels, where, self.ctx.placer.host_ip(where))
            if not self._create(key, pod):
                break
            created += 1
        for key in keys[created:]:
            self.ctx.placer.release(key)
        return created

    def delete(self, pods: list[Obj]) -> None:
        for pod in pods:
            try:
                self.ctx.store.delete("pods", meta(pod)["namespace"], meta(pod)["name"])
            except ApiError:
                pass  # already gone (namespace deletion, GC)

    def _create(self, key: tuple[str, str], pod: Obj) -> bool:
        try:
            self.ctx.store.create("pods", pod)
        except ApiError:  # namespace going away or an API fault: the next reconcile retries
            return False
        return True
