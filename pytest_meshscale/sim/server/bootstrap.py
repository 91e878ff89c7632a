"""What every simulated cluster holds before any controller runs: the system namespaces and the mesh
CRDs (so `kubectl get crd` lists them as on a cluster with the meshes' CRDs installed)."""

from __future__ import annotations

from ..store import Store
from .discovery import crd_objects

__all__ = ["SYSTEM_NAMESPACES", "seed_store"]

SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def seed_store(store: Store) -> None:
    for name in SYSTEM_NAMESPACES:
        if store.try_get("namespaces", None, name) is None:
            store.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    for crd in crd_objects():
        if store.try_get("customresourcedefinitions.apiextensions.k8s.io", None, crd["metadata"]["name"]) is None:
            store.create("customresourcedefinitions.apiextensions.k8s.io", crd)
