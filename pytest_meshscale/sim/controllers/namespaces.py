"""What kube-controller-manager does with namespaces: it puts the `default` ServiceAccount and the
`kube-root-ca.crt` ConfigMap in every one, and finalizes a deleted one. The store sets phase Active, and on
deletion marks the namespace Terminating and deletes its contents; this controller removes it once it has
been Terminating for TERMINATING_S (kube-controller-manager takes about 5 s for an empty namespace)."""

from __future__ import annotations

from ..store import ApiError
from .context import Context
from .objects import Obj

__all__ = ["NamespaceController"]

# Not a real CA: the simulated cluster's pods never verify anything with it.
ROOT_CA_PLACEHOLDER = "# meshscale simulated cluster: no in-cluster CA is modelled\n"
TERMINATING_S = 0.5  # long enough to be seen (watch, GET, a refused create), short for the suites' teardown


class NamespaceController:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def reconcile(self, name: str) -> None:
        store = self.ctx.store
        terminating = store.terminating_for(name)
        if terminating is not None:
            if terminating >= TERMINATING_S:
                store.finalize_namespace(name)
            else:
                self.ctx.queue.add_after(("namespaces", "", name), TERMINATING_S - terminating)
            return
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
