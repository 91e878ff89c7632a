"""Endpoints + EndpointSlices from the pods a Service's selector picks (ready ones as addresses, others
as notReadyAddresses / ready=false). Selector-less Services keep whatever Endpoints their owner writes,
as in Kubernetes. Slices hold at most 100 endpoints, as the EndpointSlice controller's default.
"""

from __future__ import annotations

from ..server.selectors import match_labels
from ..store import ApiError
from .context import Context
from .objects import Obj, is_ready, is_terminal, meta, owner_ref

__all__ = ["EndpointsController"]

SLICE_MAX = 100
MANAGED_BY = "endpointslice-controller.k8s.io"
SLICES = "endpointslices.discovery.k8s.io"


def _target_port(port: Obj, pod: Obj) -> int:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int) or str(target).isdigit():
        return int(str(target))
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("name") == target:
                return int(p.get("containerPort", 0))
    return int(port.get("port", 0))


def _target_ref(pod: Obj) -> Obj:
    m = meta(pod)
    return {"kind": "Pod", "namespace": m["namespace"], "name": m["name"], "uid": m.get("uid", "")}


class EndpointsController:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def reconcile_namespace(self, ns: str) -> None:
        services = self.ctx.store.list("services", ns)[0]
        if not any((s.get("spec") or {}).get("selector") for s in services):
            return
        pods = [
            p for p in self.ctx.store.list("pods", ns)[0] if not is_terminal(p) and (p.get("status") or {}).get("podIP")
        ]
        for svc in services:
            selector = (svc.get("spec") or {}).get("selector")
            if selector:
                chosen = [p for p in pods if match_labels({"matchLabels": selector}, meta(p).get("labels") or {})]
                self._write_endpoints(svc, chosen)
                self._write_slices(svc, chosen)

    def _ports(self, svc: Obj, pod: Obj | None) -> list[Obj]:
        out = []
        for port in (svc.get("spec") or {}).get("ports") or []:
            entry = {
                "port": _target_port(port, pod) if pod else int(port.get("port", 0)),
                "protocol": port.get("protocol", "TCP"),
            }
            if port.get("name"):
                entry["name"] = port["name"]
            out.append(entry)
        return out

    def _write_endpoints(self, svc: Obj, pods: list[Obj]) -> None:
        addresses: dict[bool, list[Obj]] = {True: [], False: []}
        for pod in pods:
            addresses[is_ready(pod)].append(
                {
                    "ip": pod["status"]["podIP"],
                    "nodeName": pod["spec"].get("nodeName", ""),
                    "targetRef": _target_ref(pod),
                }
            )
        subset: Obj = {"ports": self._ports(svc, pods[0] if pods else None)}
        if addresses[True]:
            subset["addresses"] = addresses[True]
        if addresses[False]:
            subset["notReadyAddresses"] = addresses[False]
        subsets = [subset] if pods else []
        m = meta(svc)
        labels = {**(m.get("labels") or {}), "endpointslice.kubernetes.io/skip-mirror": "true"}
        self._upsert(
            "endpoints",
            {
                "apiVersion": "v1",
                "kind": "Endpoints",
                "metadata": {"name": m["name"], "namespace": m["namespace"], "labels": labels},
                "subsets": subsets,
            },
        )

    def _write_slices(self, svc: Obj, pods: list[Obj]) -> None:
        m = meta(svc)
        chunks = [pods[i : i + SLICE_MAX] for i in range(0, len(pods), SLICE_MAX)] or [[]]
        base = f"{m['name']}-{m.get('uid', 'x')[:5]}"
        for i, chunk in enumerate(chunks):
            endpoints = [
                {
                    "addresses": [p["status"]["podIP"]],
                    "nodeName": p["spec"].get("nodeName", ""),
                    "conditions": {"ready": is_ready(p), "serving": is_ready(p), "terminating": False},
                    "targetRef": _target_ref(p),
                }
                for p in chunk
            ]
            labels = {
                **(m.get("labels") or {}),
                "kubernetes.io/service-name": m["name"],
                "endpointslice.kubernetes.io/managed-by": MANAGED_BY,
            }
            self._upsert(
                SLICES,
                {
                    "apiVersion": "discovery.k8s.io/v1",
                    "kind": "EndpointSlice",
                    "addressType": "IPv4",
                    "metadata": {
                        "name": f"{base}{i or ''}",
                        "namespace": m["namespace"],
                        "labels": labels,
                        "ownerReferences": [owner_ref(svc)],
                    },
                    "endpoints": endpoints,
                    "ports": self._ports(svc, chunk[0] if chunk else None),
                },
            )
        for extra in self.ctx.store.list(SLICES, m["namespace"], f"kubernetes.io/service-name={m['name']}")[0]:
            if meta(extra)["name"] not in {f"{base}{i or ''}" for i in range(len(chunks))}:
                self._delete(SLICES, extra)

    def _upsert(self, resource: str, obj: Obj) -> None:
        m = obj["metadata"]
        old = self.ctx.store.try_get(resource, m["namespace"], m["name"])
        try:
            if old is None:
                self.ctx.store.create(resource, obj)
            elif (
                any(old.get(k) != v for k, v in obj.items() if k != "metadata")
                or meta(old).get("labels") != m["labels"]
            ):
                self.ctx.store.update(resource, {**old, **obj, "metadata": {**meta(old), **m}})
        except ApiError:
            self.ctx.queue.add(("endpoints-ns", m["namespace"]))  # raced with a write or a deletion

    def _delete(self, resource: str, obj: Obj) -> None:
        try:
            self.ctx.store.delete(resource, meta(obj)["namespace"], meta(obj)["name"])
        except ApiError:
            pass

    def service_deleted(self, svc: Obj) -> None:
        """Endpoints have no owner reference to their Service, so they are removed here (slices are GC'd)."""
        if (svc.get("spec") or {}).get("selector"):
            ep = self.ctx.store.try_get("endpoints", meta(svc)["namespace"], meta(svc)["name"])
            if ep is not None:
                self._delete("endpoints", ep)
