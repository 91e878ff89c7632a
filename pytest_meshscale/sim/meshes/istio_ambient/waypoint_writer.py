"""istiod's waypoint controller, played by the agent on a real API server (KWOK runs no istiod): a Gateway of
class istio-waypoint gets its ServiceAccount, Service and Deployment, and the status istiod writes (Accepted,
then Programmed once a waypoint pod is Ready). What to create and what status to write are the sim's own
(components/waypoints.py); only the writes differ: POSTs and a PUT of the status subresource.

It reacts to the Mirror's events (gateways and the waypoint pods), one reconcile at a time in its thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ...agent.informer import Client
from ...agent.mirror import Mirror
from ...agent.workqueue import Key, MirrorController
from ...control_plane.kubeapi import path_of
from ...controllers.objects import is_ready
from .waypoints import MANAGED, NAME_LABEL, WAYPOINT_CLASS, waypoint_children, waypoint_status

__all__ = ["WaypointWriter"]

GATEWAYS = "gateways.gateway.networking.k8s.io"
RETRY_S = 0.5
Obj = dict[str, Any]


class WaypointWriter(MirrorController):
    name = "waypoint"

    def __init__(self, client: Client, mirror: Mirror, version: str, log: Callable[[str], None]) -> None:
        self.client, self.version = client, version
        self._made: set[tuple[str, str]] = set()  # (Gateway uid, resource) created
        super().__init__(mirror, log)

    def route(self, event: str, resource: str, obj: Obj) -> Iterable[Key]:
        meta = obj.get("metadata") or {}
        labels = meta.get("labels") or {}
        if resource == GATEWAYS and event != "DELETED":
            return [(meta.get("namespace", ""), meta.get("name", ""))]
        if resource == "pods" and MANAGED in labels and NAME_LABEL in labels:
            return [(meta.get("namespace", ""), labels[NAME_LABEL])]
        return []

    def _owned_by(self, obj: Obj, uid: str) -> bool:
        status, found = self.client.request("GET", path_of(obj, name=True), ok=(404,))
        if status == 404:  # collected meanwhile: create it on the next try
            return False
        return any(o.get("uid") == uid for o in (found.get("metadata") or {}).get("ownerReferences") or [])

    def reconcile(self, ns: str, name: str) -> None:
        gw = self.mirror.try_get(GATEWAYS, ns, name)
        if gw is None or (gw.get("spec") or {}).get("gatewayClassName") != WAYPOINT_CLASS:
            return
        uid = (gw.get("metadata") or {}).get("uid", "")
        for resource, obj in waypoint_children(gw):
            if (uid, resource) in self._made:  # once per Gateway: what exists and is ours is left as it is
                continue
            if self.client.create(obj) is None and not self._owned_by(obj, uid):
                # A Gateway of the same name was deleted a moment ago and the garbage collector has yet to
                # delete its child: adopting it would leave this Gateway without one once it goes. Try again.
                self.requeue((ns, name), RETRY_S)
                continue
            self._made.add((uid, resource))
        pods = self.mirror.list("pods", ns, label_selector=f"{NAME_LABEL}={name}")[0]
        status = waypoint_status(gw, any(is_ready(p) for p in pods), self.mirror.try_get("services", ns, name))
        if status is None:
            return
        path = f"/apis/gateway.networking.k8s.io/{self.version}/namespaces/{ns}/gateways/{name}/status"
        # resourceVersion in the body: a Gateway changed meanwhile is a 409, and its event brings us back
        self.client.request("PUT", path, {**gw, "status": status}, ok=(409, 404))
