"""Applying a policy case to the fleet through the mesh's driver, and removing exactly what was applied."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .. import progress
from ..cluster.base import Cluster, Manifest
from ..meshes.base import MeshDriver
from ..model import Intent, Matrix, PolicyCase

__all__ = ["AppliedPolicies", "expected_matrix", "programmed"]


def programmed(gateway: Manifest) -> bool:
    """Gateway API's Programmed condition: the controller has deployed and configured the gateway's proxy."""
    conditions = (gateway.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Programmed" and c.get("status") == "True" for c in conditions)


def expected_matrix(driver: MeshDriver, case: PolicyCase) -> Matrix:
    requests = [cell.request for cell in case.cells]
    return Matrix.build(case.intents, requests, l7_enforced=driver.l7_enforced(case.intents))


class AppliedPolicies:
    """Applies rendered (or raw) manifests; `remove()` deletes the created objects and takes back the
    namespace labels the policies added (Namespace items are label patches, never created or deleted).
    A Gateway among them (an Istio waypoint) is waited for until Programmed, at most `ready_timeout_s`:
    deploying a proxy is not policy propagation, which the probes' own deadline bounds."""

    def __init__(self, cluster: Cluster, driver: MeshDriver, namespaces: Sequence[str], labels: Mapping[str, str],
                 ready_timeout_s: float = 60.0):
        self.cluster, self.driver, self.namespaces, self.labels = cluster, driver, list(namespaces), dict(labels)
        self.ready_timeout_s = ready_timeout_s
        self.objects: list[Manifest] = []
        self.added_labels: dict[str, dict[str, str]] = {}
        self.manifests: list[Manifest] = []

    def apply_intents(self, intents: Sequence[Intent]) -> list[Manifest]:
        """Render through the driver (raises Unsupported with the skip reason) and apply."""
        return self.apply_manifests(self.driver.render(intents, self.namespaces, self.labels))

    def apply_manifests(self, manifests: Sequence[Manifest]) -> list[Manifest]:
        patches = [m for m in manifests if m["kind"] == "Namespace"]
        objects = [m for m in manifests if m["kind"] != "Namespace"]
        for patch in patches:
            self._label_namespace(patch["metadata"]["name"], patch["metadata"].get("labels", {}))
        self.cluster.apply(objects)
        self.objects += objects
        self.manifests += list(manifests)
        for gateway in (m for m in objects if m["kind"] == "Gateway"):
            self._wait_programmed(gateway)
        return list(manifests)

    def _wait_programmed(self, gateway: Manifest) -> None:
        meta = gateway["metadata"]
        what = f"Gateway {meta.get('namespace')}/{meta['name']} to be Programmed"
        progress.say(f"waiting for {what} (at most {self.ready_timeout_s:g} s)")
        self.cluster.wait_for(gateway["apiVersion"], "Gateway", programmed, name=meta["name"],
                              namespace=meta.get("namespace"), timeout_s=self.ready_timeout_s, what=what)

    def _label_namespace(self, name: str, wanted: Mapping[str, str]) -> None:
        current = (self.cluster.get("v1", "Namespace", name) or {}).get("metadata", {}).get("labels", {})
        new = {k: v for k, v in wanted.items() if current.get(k) != v and k not in self.labels}
        if new:
            self.cluster.label("v1", "Namespace", name, new)
            self.added_labels.setdefault(name, {}).update({k: current.get(k) for k in new})

    def remove(self) -> None:
        for obj in reversed(self.objects):
            meta = obj["metadata"]
            self.cluster.delete(obj["apiVersion"], obj["kind"], meta["name"], meta.get("namespace"))
        for name, previous in self.added_labels.items():
            self.cluster.label("v1", "Namespace", name, previous)  # None removes a label we added
        self.objects, self.added_labels = [], {}
