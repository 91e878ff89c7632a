"""Fake nodes from the profile's pools, named and labelled as AKS names them (the seed ran on AKS).

Names follow AKS VMSS nodes, `aks-<pool>-<8 digits>-vmss<6 base36>`, so the seed's Prometheus selector
`kubernetes_io_hostname=~"aks-clientpool.*"` works. Addresses are strings only, never contacted:
node IPs from AKS's default node subnet 10.224.0.0/12, a /24 pod CIDR per node from the seed's
`--pod-cidrs 10.128.0.0/10`.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from ...model import NodePool, Profile
from .objects import Obj

__all__ = ["MAX_PODS", "SIMULATED", "node_ip", "node_objects", "pod_cidr"]

MAX_PODS = 250  # AKS's maximum --max-pods with Azure CNI overlay
SIMULATED = "meshscale.io/simulated"
KUBELET_VERSION = "v1.30.6"  # an AKS 1.30 patch release of autumn 2024, the seed's time
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def node_ip(index: int) -> str:
    return f"10.224.{index // 250}.{index % 250 + 4}"


def pod_cidr(index: int) -> str:
    return f"10.{128 + index // 256}.{index % 256}.0/24"


def _vmss(n: int) -> str:
    digits = ""
    for _ in range(6):
        n, r = divmod(n, 36)
        digits = _B36[r] + digits
    return digits


def _uuid(name: str, what: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{what}.{name}.meshscale.sim"))


def _labels(pool: NodePool, name: str) -> dict[str, str]:
    return {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": f"Standard_D{pool.cores}ds_v5",
        "kubernetes.azure.com/agentpool": pool.name,
        "agentpool": pool.name,
        "meshscale.io/pool": pool.role,
        **dict(pool.labels),
    }


def _status(pool: NodePool, index: int, name: str) -> Obj:
    memory_ki = pool.memory_gib * 1024 * 1024
    # AKS reserves some CPU and memory for the kubelet and OS; a flat ~10% is close enough here.
    allocatable = {"cpu": f"{pool.cores * 900}m", "memory": f"{memory_ki * 9 // 10}Ki", "pods": str(MAX_PODS)}
    return {
        "capacity": {"cpu": str(pool.cores), "memory": f"{memory_ki}Ki", "pods": str(MAX_PODS)},
        "allocatable": allocatable,
        "addresses": [{"type": "InternalIP", "address": node_ip(index)}, {"type": "Hostname", "address": name}],
        "conditions": [
            {"type": t, "status": "False", "reason": f"KubeletHas{r}"}
            for t, r in (
                ("MemoryPressure", "SufficientMemory"),
                ("DiskPressure", "NoDiskPressure"),
                ("PIDPressure", "SufficientPID"),
            )
        ]
        + [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "simulated node is ready"}],
        "nodeInfo": {
            "kubeletVersion": KUBELET_VERSION,
            "kernelVersion": "5.15.0-1073-azure",
            "bootID": _uuid(name, "boot"),
            "machineID": _uuid(name, "machine").replace("-", ""),
            "systemUUID": _uuid(name, "system"),
            "kubeProxyVersion": KUBELET_VERSION,
            "containerRuntimeVersion": "containerd://1.7.22-1",
            "osImage": "Ubuntu 22.04.5 LTS",
            "operatingSystem": "linux",
            "architecture": "amd64",
        },
    }


def _node(pool: NodePool, index: int, name: str) -> Obj:
    spec: dict[str, Any] = {
        "podCIDR": pod_cidr(index),
        "podCIDRs": [pod_cidr(index)],
        "providerID": f"azure:///simulated/{name}",
    }
    if pool.taints:
        spec["taints"] = [{"key": t.key, "value": t.value, "effect": t.effect} for t in pool.taints]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": _labels(pool, name), "annotations": {SIMULATED: "true"}},
        "spec": spec,
        "status": _status(pool, index, name),
    }


def node_objects(profile: Profile, seed: int = 0) -> list[Obj]:
    """One Node per pool member, in pool order; the index numbers IPs and pod CIDRs across pools."""
    rng = random.Random(f"nodes-{seed}")
    nodes, index = [], 0
    for pool in profile.pools:
        vmss_id = rng.randrange(10_000_000, 100_000_000)
        for n in range(pool.count):
            nodes.append(_node(pool, index, f"aks-{pool.name}-{vmss_id}-vmss{_vmss(n)}"))
            index += 1
    return nodes
