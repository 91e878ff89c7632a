"""delete_run_objects(): delete exactly what carries this run's label, and wait for run namespaces to go.

A namespace carries the run label only if the run created it (apply never labels an existing object),
so deleting labelled namespaces never removes a namespace the run found. Objects inside them go with the
namespace; labelled objects elsewhere are deleted one by one; objects with an owner go with their owner.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from .api import Api
from .base import RUN_LABEL, ClusterError, Manifest
from .errors import Target
from .resources import Discovery, Resource
from .watching import PAGE, list_all, watch_until

__all__ = ["TEARDOWN_KINDS", "delete_run_objects"]

# Looked at even if this process applied none of them (the objects may come from an earlier process
# of the same run); kinds the server does not serve, or the run's identity may not list, are skipped.
# No Secrets: the run never creates one, and the minimal ClusterRole grants none.
TEARDOWN_KINDS: tuple[tuple[str, str], ...] = (
    ("v1", "Service"),
    ("v1", "ConfigMap"),
    ("v1", "ServiceAccount"),
    ("v1", "Pod"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "DaemonSet"),
    ("batch/v1", "Job"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
)  # the meshes' own kinds come from the caller (meshes.policy_kinds())


class _Gone:
    """Watch handler: done when no object matching the watch is left."""

    def __init__(self) -> None:
        self.left: set[str] = set()

    def reset(self) -> None:
        self.left.clear()

    def event(self, kind: str, obj: Manifest) -> None:
        name = str((obj.get("metadata") or {}).get("name"))
        (self.left.discard if kind == "DELETED" else self.left.add)(name)

    def done(self) -> bool:
        return not self.left


def _delete(api: Api, res: Resource, name: str, namespace: str | None) -> bool:
    resp = api.call(
        Target("delete", res.kind, namespace, name),
        "DELETE",
        res.path(namespace, name),
        query={"propagationPolicy": "Background"},
        accept=(404,),
    )
    return resp.status != 404


def _listed(api: Api, res: Resource, selector: str, optional: bool) -> list[Manifest]:
    """The labelled objects of a kind; [] for an `optional` kind (one this process did not apply) that the
    run's identity may not list: it cannot have created any either (the ClusterRole grants list with create)."""
    if optional:
        first = api.call(Target("list", res.kind), "GET", res.path(), query={"labelSelector": selector, "limit": PAGE},
                         accept=(403,))
        if first.status == 403:
            return []
        doc = first.json()
        if not (doc.get("metadata") or {}).get("continue"):
            return list(doc.get("items") or [])
    return list_all(api, res, labels=selector)[0]


def _strays(api: Api, res: Resource, selector: str, run_namespaces: set[str], optional: bool) -> list[Manifest]:
    """Labelled objects that deleting the run's namespaces will not remove (and that have no owner)."""
    items = _listed(api, res, selector, optional)
    meta = [i.get("metadata") or {} for i in items]
    return [m for m in meta if m.get("namespace") not in run_namespaces and not m.get("ownerReferences")]


def delete_run_objects(
    api: Api,
    discovery: Discovery,
    run_id: str,
    kinds: Iterable[tuple[str, str]],
    timeout_s: float,
    clock: Callable[[], float] = time.monotonic,
    also: Iterable[tuple[str, str]] = (),
) -> int:
    """Delete the run's objects; return how many delete calls removed something (a namespace counts once).
    `kinds` were applied by this process (listing them must work); `also` and TEARDOWN_KINDS are looked
    at where the server serves them and the identity may list them."""
    deadline = clock() + timeout_s
    selector = f"{RUN_LABEL}={run_id}"
    ns_res = discovery.resource("v1", "Namespace")
    namespaces = {str(n["metadata"]["name"]) for n in list_all(api, ns_res, labels=selector)[0]}
    count = 0
    kinds = list(kinds)
    applied = set(kinds)
    for api_version, kind in dict.fromkeys([*kinds, *TEARDOWN_KINDS, *also]):
        res = discovery.find(api_version, kind)
        if res is None or kind == "Namespace":
            continue
        for meta in _strays(api, res, selector, namespaces, (api_version, kind) not in applied):
            count += _delete(api, res, str(meta["name"]), meta.get("namespace"))
    count += sum(_delete(api, ns_res, name, None) for name in sorted(namespaces))
    gone = _Gone()
    if not watch_until(api, ns_res, gone, deadline=deadline, labels=selector, clock=clock):
        raise ClusterError(
            f"teardown: namespaces of run {run_id} still there after {timeout_s:g}s: "
            f"{', '.join(sorted(gone.left))}"
        )
    return count
