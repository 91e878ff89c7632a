"""ClusterIP allocation, as the API server does it at Service creation: from AKS's default service CIDR
10.0.0.0/16 (kubernetes is 10.0.0.1 and kube-dns 10.0.0.10 there, so allocation starts above them)."""

from __future__ import annotations

import threading

from ..store import ApiError, Store
from .objects import Obj, meta

__all__ = ["ClusterIPs"]


class ClusterIPs:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock, self._next, self._used = threading.Lock(), 11, set[str]()

    def on_service(self, svc: Obj) -> None:
        """Note a Service's address, or give it one. Runs in the writer's thread (the store calls
        subscribers synchronously), so the ClusterIP is stored before the create call returns."""
        spec = svc.get("spec") or {}
        ip = spec.get("clusterIP")
        if ip and ip != "None":
            with self._lock:
                self._used.add(ip)
        elif not ip and spec.get("type") != "ExternalName":
            self._assign(meta(svc)["namespace"], meta(svc)["name"], self._allocate())

    def _allocate(self) -> str:
        with self._lock:
            while True:
                ip, self._next = f"10.0.{self._next // 256}.{self._next % 256}", self._next + 1
                if ip not in self._used and not ip.endswith((".0", ".255")):
                    self._used.add(ip)
                    return ip

    def _assign(self, ns: str, name: str, ip: str) -> None:
        def assign(obj: Obj) -> None:
            spec = obj.setdefault("spec", {})
            spec.update(clusterIP=ip, clusterIPs=[ip], type=spec.get("type", "ClusterIP"), ipFamilies=["IPv4"],
                        ipFamilyPolicy="SingleStack", sessionAffinity=spec.get("sessionAffinity", "None"))
            for port in spec.get("ports") or []:
                port.setdefault("protocol", "TCP")
                port.setdefault("targetPort", port.get("port"))

        try:
            self.store.mutate("services", ns, name, assign)
        except ApiError:
            pass  # deleted already
