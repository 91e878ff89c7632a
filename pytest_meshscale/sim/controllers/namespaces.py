"""What kube-controller-manager puts in every namespace: the `default` ServiceAccount and the
`kube-root-ca.crt` ConfigMap (the store itself sets phase Active and cascades deletion)."""

from __future__ import annotations

from ..store import ApiError
from .context import Context
from .objects import Obj

__all__ = ["NamespaceController"]

# Not a real CA: the simulated cluster's pods never verify anything with it.
ROOT_CA_PLACEHOLDER = "# meshscale simulated cluster: no in-cluster CA is modelled\n"


class NamespaceController:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def reconcile(self, name: str) -> None:
        store = self.ctx.store
        ns = store.try_get("namespaces", None, name)
        if ns is None or (ns.get("status") or {}).get("phase") == "Terminating":
            return
        wanted: list[tuple[str, Obj]] = [
            (
                "serviceaccounts",
                {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": name}},
            ),
            (
                "configmaps",
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "kube-root-ca.crt", "namespace": name},
                    "data": {"ca.crt": ROOT_CA_PLACEHOLDER},
                },
            ),
        ]
        for resource, obj in wanted:
            if store.try_get(resource, name, obj["metadata"]["name"]) is None:
                try:
                    store.create(resource, obj)
                except ApiError:
                    return  # the namespace went away meanwhile
