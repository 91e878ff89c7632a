"""The source of a connection as policies see it: a pod, or the API server's pod proxy."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .topology import Topology, labels_of, pod_ip, pod_key

__all__ = ["APISERVER_IP", "Peer", "apiserver_peer", "in_cidr", "pod_peer"]

# Where the API server's proxied connections come from in the sim (a managed control plane outside the
# pod network, as on AKS): no pod labels, no mesh identity. Documented for ipBlock/fromCIDR rules.
APISERVER_IP = "172.31.0.1"


@dataclass(frozen=True, slots=True)
class Peer:
    kind: str  # "pod" or "apiserver"
    namespace: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    ns_labels: Mapping[str, str] = field(default_factory=dict)
    ip: str = ""
    service_account: str = ""
    node: str = ""

    @property
    def principal(self) -> str:
        """SPIFFE-style Istio principal (without the spiffe:// scheme), '' when there is no identity."""
        if self.kind != "pod":
            return ""
        return f"cluster.local/ns/{self.namespace}/sa/{self.service_account}"


def pod_peer(pod: dict[str, Any], topo: Topology) -> Peer:
    ns, _ = pod_key(pod)
    spec = pod.get("spec") or {}
    return Peer(
        "pod",
        ns,
        labels_of(pod),
        topo.namespace_labels(ns),
        pod_ip(pod),
        str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"),
        str(spec.get("nodeName") or ""),
    )


def apiserver_peer() -> Peer:
    return Peer("apiserver", ip=APISERVER_IP)


def in_cidr(ip: str, cidr: str, excepts: list[str] | None = None) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
        if addr not in ipaddress.ip_network(cidr, strict=False):
            return False
        return not any(addr in ipaddress.ip_network(e, strict=False) for e in excepts or [])
    except ValueError:
        return False
