"""Who is where: pods by IP, Services by name or ClusterIP, namespace labels, node addresses.

Fed by the store's change stream, so lookups by IP stay O(1) with ~52,000 pods.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import Any

from ..server.selectors import match_labels

__all__ = ["Resolved", "Topology", "labels_of", "pod_ip", "pod_key"]

Obj = dict[str, Any]
CLUSTER_SUFFIXES = (".svc.cluster.local", ".svc")


def labels_of(obj: Obj | None) -> dict[str, str]:
    return dict(((obj or {}).get("metadata") or {}).get("labels") or {})


def pod_ip(pod: Obj) -> str:
    return str((pod.get("status") or {}).get("podIP") or "")


def pod_key(pod: Obj) -> tuple[str, str]:
    meta = pod.get("metadata") or {}
    return str(meta.get("namespace", "")), str(meta.get("name", ""))


@dataclass(frozen=True, slots=True)
class Resolved:
    """A host name resolved: a Service (with its candidate backends) or one pod by IP; error says why not."""

    service: Obj | None = None
    pods: tuple[Obj, ...] = ()
    error: str = ""


class Topology:
    def __init__(self, store: Any) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._pod_by_ip: dict[str, tuple[str, str]] = {}
        self._svc_by_ip: dict[str, tuple[str, str]] = {}
        self._rr = itertools.count()
        store.subscribe(self._on_event)
        for resource in ("pods", "services"):
            for obj in store.list(resource)[0]:
                self._on_event("ADDED", resource, obj)

    def _on_event(self, event: str, resource: str, obj: Obj) -> None:
        if resource == "pods":
            self._index(self._pod_by_ip, event, pod_ip(obj), pod_key(obj))
        elif resource == "services":
            ip = str((obj.get("spec") or {}).get("clusterIP") or "")
            self._index(self._svc_by_ip, event, ip, pod_key(obj))

    def _index(self, index: dict[str, tuple[str, str]], event: str, ip: str, key: tuple[str, str]) -> None:
        if not ip or ip == "None":
            return
        with self._lock:
            if event == "DELETED":
                if index.get(ip) == key:
                    del index[ip]
            else:
                index[ip] = key

    # ---- lookups ---------------------------------------------------------------------------------
    def pod_by_ip(self, ip: str) -> Obj | None:
        key = self._pod_by_ip.get(ip)
        return self.store.try_get("pods", key[0], key[1]) if key else None

    def namespace_labels(self, namespace: str) -> dict[str, str]:
        return labels_of(self.store.try_get("namespaces", None, namespace))

    def node(self, name: str) -> Obj | None:
        return self.store.try_get("nodes", None, name) if name else None

    def node_ip(self, name: str) -> str:
        for addr in ((self.node(name) or {}).get("status") or {}).get("addresses") or []:
            if addr.get("type") == "InternalIP":
                return str(addr.get("address"))
        return ""

    def backends(self, service: Obj) -> tuple[Obj, ...]:
        """Ready pods with an IP selected by the Service, in a stable order."""
        selector = (service.get("spec") or {}).get("selector")
        if not selector:
            return ()
        ns = pod_key(service)[0]
        pods = self.store.list("pods", ns)[0]
        return tuple(
            p for p in pods if pod_ip(p) and _ready(p) and match_labels({"matchLabels": selector}, labels_of(p))
        )

    def pick(self, pods: tuple[Obj, ...]) -> Obj:
        """Round-robin over backends, as kube-proxy/eBPF load balancing spreads connections."""
        return pods[next(self._rr) % len(pods)]

    def resolve(self, host: str, src_namespace: str) -> Resolved:
        """host = pod IP, ClusterIP, `svc` (source's namespace), `svc.ns`, `svc.ns.svc[.cluster.local]`."""
        if host in self._pod_by_ip:
            pod = self.pod_by_ip(host)
            return Resolved(pods=(pod,)) if pod else Resolved(error=f"no pod has IP {host}")
        if host in self._svc_by_ip:
            ns, name = self._svc_by_ip[host]
            return self._service(ns, name, host)
        name, ns = _split_host(host, src_namespace)
        if not name:
            return Resolved(error=f"lookup {host}: no such host")
        return self._service(ns, name, host)

    def _service(self, ns: str, name: str, host: str) -> Resolved:
        svc = self.store.try_get("services", ns, name)
        if svc is None:
            return Resolved(error=f"lookup {host}: no such host")
        return Resolved(service=svc, pods=self.backends(svc))


def _split_host(host: str, src_namespace: str) -> tuple[str, str]:
    for suffix in CLUSTER_SUFFIXES:
        if host.endswith(suffix):
            host = host[: -len(suffix)]
            break
    parts = host.split(".")
    if len(parts) == 1:
        return parts[0], src_namespace
    if len(parts) == 2:
        return parts[0], parts[1]
    return "", ""


def _ready(pod: Obj) -> bool:
    status = pod.get("status") or {}
    if status.get("phase") not in (None, "Running"):
        return False
    conds = status.get("conditions")
    if not conds:
        return True  # pods without conditions (hand-made test objects) count as ready
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)
