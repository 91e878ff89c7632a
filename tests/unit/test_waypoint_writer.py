"""The agent's waypoint controller (istiod's part on a real API server): a Gateway deleted and created again
under the same name must not adopt the children the garbage collector is about to delete, else the new
Gateway is left without a waypoint and never Programmed (seen in CI: every request to that namespace reset)."""

from __future__ import annotations

import threading
import time
from typing import Any

from pytest_meshscale.sim.agent.mirror import Mirror
from pytest_meshscale.sim.meshes.istio_ambient.waypoint_writer import GATEWAYS, WaypointWriter

GW = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
      "metadata": {"name": "waypoint", "namespace": "ns", "uid": "new", "resourceVersion": "5"},
      "spec": {"gatewayClassName": "istio-waypoint", "listeners": []}}


class FakeApi:
    """The API server as the writer sees it: children left by the Gateway of uid 'old' until `collect()`."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        for kind in ("serviceaccounts", "services", "deployments"):
            self.objects[kind] = {"metadata": {"ownerReferences": [{"uid": "old"}]}}

    def _kind(self, path: str) -> str:
        return next(k for k in ("serviceaccounts", "services", "deployments") if f"/{k}" in path)

    def create(self, obj: dict[str, Any]) -> Any:
        kind = obj["kind"].lower() + "s"
        with self.lock:
            if kind in self.objects:
                return None  # 409
            self.objects[kind] = obj
            return obj

    def request(self, method: str, path: str, body: Any = None, ok: Any = (), **_: Any) -> tuple[int, Any]:
        if method == "PUT":
            return 200, body
        with self.lock:
            found = self.objects.get(self._kind(path))
        return (200, found) if found is not None else (404, None)

    def collect(self) -> None:
        with self.lock:
            old = [k for k, o in self.objects.items() if o["metadata"].get("ownerReferences") == [{"uid": "old"}]]
            for kind in old:
                del self.objects[kind]


def _owner_uids(api: FakeApi) -> set[str]:
    return {o["metadata"]["ownerReferences"][0]["uid"] for o in api.objects.values()}


def test_children_of_a_deleted_namesake_are_not_adopted_but_replaced_once_collected():
    api, mirror = FakeApi(), Mirror()
    writer = WaypointWriter(api, mirror, "v1", lambda line: None).start()
    try:
        mirror.apply("ADDED", GATEWAYS, GW)
        time.sleep(0.3)
        assert _owner_uids(api) == {"old"}, "nothing may be created while the old children exist"
        api.collect()  # the garbage collector deletes the old Gateway's children
        deadline = time.monotonic() + 5
        while _owner_uids(api) != {"new"} and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _owner_uids(api) == {"new"} and len(api.objects) == 3
    finally:
        writer.stop()
