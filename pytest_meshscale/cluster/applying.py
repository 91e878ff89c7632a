"""apply(): create each object with the run label; if it already exists, merge-patch it without the label.

Why create-then-patch rather than server-side apply: an object that existed before the run (a namespace
such as istio-system, a user's ConfigMap) must never gain the run label, or teardown would delete what the
run did not create. The POST tells us which objects are ours (201) and which were there (409); server-side
apply would silently adopt both. A new object still costs one request, and a retried POST whose first try
landed comes back 409 and converges through the patch.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .api import Api
from .base import MANAGED_BY_LABEL, RUN_LABEL, ClusterError, Manifest
from .errors import Target
from .ratelimit import plan_waves
from .resources import Discovery

__all__ = ["MANAGED_BY", "Applier", "run_labelled", "update_patch"]

MANAGED_BY = "pytest-meshscale"
MERGE_PATCH = "application/merge-patch+json"


def run_labelled(manifest: Manifest, run_id: str) -> Manifest:
    """A copy carrying the run label and managed-by label (the input is never modified)."""
    out = copy.deepcopy(manifest)
    labels = out.setdefault("metadata", {}).setdefault("labels", {})
    labels.update({RUN_LABEL: run_id, MANAGED_BY_LABEL: MANAGED_BY})
    return out


def update_patch(manifest: Manifest) -> Manifest:
    """The merge patch for an object that already exists: the manifest minus our labels and server fields."""
    out = copy.deepcopy(manifest)
    meta: dict[str, Any] = out.setdefault("metadata", {})
    for key in ("resourceVersion", "uid", "creationTimestamp", "managedFields"):
        meta.pop(key, None)
    for key in (RUN_LABEL, MANAGED_BY_LABEL):
        (meta.get("labels") or {}).pop(key, None)
    out.pop("status", None)
    return out


class Applier:
    def __init__(self, api: Api, discovery: Discovery, run_id: str, workers: int) -> None:
        self.api, self.discovery, self.run_id, self.workers = api, discovery, run_id, workers
        self.kinds: set[tuple[str, str]] = set()  # (apiVersion, kind) ever applied: where teardown looks
        self.created = 0
        self.updated = 0
        self._lock = threading.Lock()

    def apply(self, manifests: Iterable[Manifest], namespaces_per_wave: int) -> list[Manifest]:
        """Waves one after another; in a wave CRDs, then namespaces, then the rest, each phase concurrent."""
        done: list[Manifest] = []
        with ThreadPoolExecutor(self.workers, thread_name_prefix="meshscale-apply") as pool:
            for wave in plan_waves(manifests, namespaces_per_wave):
                for phase in wave.phases:
                    done += list(pool.map(self.apply_one, phase))
        return done

    def apply_one(self, manifest: Manifest) -> Manifest:
        api_version, kind = str(manifest.get("apiVersion", "")), str(manifest.get("kind", ""))
        meta = manifest.get("metadata") or {}
        name, namespace = meta.get("name"), meta.get("namespace")
        res = self.discovery.resource(api_version, kind)
        if res.namespaced and not namespace:
            raise ClusterError(f"apply {kind} {name}: a namespaced kind needs metadata.namespace")
        namespace = namespace if res.namespaced else None
        with self._lock:
            self.kinds.add((api_version, kind))
        body = run_labelled(manifest, self.run_id)
        resp = self.api.call(
            Target("create", kind, namespace, name), "POST", res.path(namespace), body=body, accept=(409,)
        )
        if resp.status != 409:
            with self._lock:
                self.created += 1
            return dict(resp.json())
        resp = self.api.call(
            Target("patch", kind, namespace, name),
            "PATCH",
            res.path(namespace, name),
            body=update_patch(manifest),
            content_type=MERGE_PATCH,
        )
        with self._lock:
            self.updated += 1
        return dict(resp.json())
