"""apply(): create each object with the run label; an object that already exists is changed only if
this run created it (a retried POST whose first try landed, a policy applied again), never otherwise.

Why create rather than server-side apply: an object that existed before the run (a user's Deployment in a
namespace of the same name, another run's policy) must never gain this run's label nor be changed, or
teardown would delete what the run did not create and the run would measure what it did not set up.
The POST tells us which objects are ours (201) and which were there (409); server-side apply would
silently adopt both. A 409 costs one GET to tell the two apart; a foreign object is ForeignObject.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .api import Api
from .base import MANAGED_BY_LABEL, RUN_LABEL, ClusterError, ForeignObject, Manifest
from .errors import Target
from .ratelimit import plan_waves
from .resources import Discovery, Resource

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
        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="meshscale-apply")
        try:
            for wave in plan_waves(manifests, namespaces_per_wave):
                for phase in wave.phases:
                    done += list(pool.map(self.apply_one, phase))
        except BaseException:
            # Interrupted (a signal, a foreign object): creates not yet started never start, and those in
            # flight finish before teardown lists what to delete, so nothing is created after it.
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
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
        self._refuse_foreign(res, kind, namespace, str(name))
        resp = self.api.call(
            Target("patch", kind, namespace, name),
            "PATCH",
            res.path(namespace, name),
            body=run_labelled(update_patch(manifest), self.run_id),
            content_type=MERGE_PATCH,
        )
        with self._lock:
            self.updated += 1
        return dict(resp.json())

    def _refuse_foreign(self, res: Resource, kind: str, namespace: str | None, name: str) -> None:
        current = self.api.call(Target("get", kind, namespace, name), "GET", res.path(namespace, name)).json()
        labels = (current.get("metadata") or {}).get("labels") or {}
        owner = labels.get(RUN_LABEL) if labels.get(MANAGED_BY_LABEL) == MANAGED_BY else None
        if owner == self.run_id:
            return
        where = f"{namespace}/{name}" if namespace else name
        whose = f"was left by meshscale run {owner}" if owner else "was not created by meshscale"
        raise ForeignObject(f"meshscale: {kind} {where} already exists and {whose}; refusing to adopt or "
                            "change it")
