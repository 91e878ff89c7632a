"""Fill a fresh control plane for one mesh: the upstream CRDs (until Established), the profile's nodes, the
mesh's components, and wait until KWOK has made every node Ready. Only through the API (kubeapi.Api).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..meshes import SimContext, sim_mesh
from .kubeapi import Api, path_of

__all__ = ["Populate"]

Obj = dict[str, Any]
_WORKERS = 8
_ORDER = {"Namespace": 0, "ServiceAccount": 1, "ConfigMap": 1}  # pods need their ServiceAccount when created
_CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


def _condition(obj: Obj, kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True"
               for c in (obj.get("status") or {}).get("conditions") or [])


class Populate:
    def __init__(self, api: Api, mesh: str, progress: Callable[[str], None], check: Callable[[], None],
                 ctx: SimContext) -> None:
        self.api, self.mesh, self.progress, self.check = api, mesh, progress, check
        self.ctx = ctx  # the faults the agent injects shape what the mesh's controllers write

    def create_all(self, objects: list[Obj], workers: int = _WORKERS) -> list[Obj]:
        """Created objects as the API server returned them (with uid); ones that existed are skipped."""
        if workers == 1 or len(objects) < 2:
            return [o for o in map(self.api.create, objects) if o is not None]
        with ThreadPoolExecutor(workers, thread_name_prefix="meshscale-cp-create") as pool:
            return [o for o in pool.map(self.api.create, objects) if o is not None]

    def run(self, nodes: list[Obj], crds: list[Obj], components: list[Obj], timeout: float) -> list[Obj]:
        """CRDs first (Established takes a moment), then nodes and built-in kinds meanwhile, then the mesh's
        custom resources and the statuses its controllers would write. Returns the created nodes."""
        self.create_all(crds)
        created_nodes = self.create_all(nodes)
        groups = {d["spec"]["group"] for d in crds}
        custom = [o for o in components if o["apiVersion"].split("/")[0] in groups]
        builtin = [o for o in components if o not in custom]
        created = self.create_all(sorted(builtin, key=lambda o: _ORDER.get(o["kind"], 2)), workers=1)
        self.wait_established({d["metadata"]["name"] for d in crds}, timeout)
        created += self.create_all(custom, workers=1)
        extra, statuses = sim_mesh(self.mesh).status_updates(created, created_nodes, self.ctx)
        self.create_all(extra)
        for obj in statuses:
            self.api.request("PUT", path_of(obj, name=True) + "/status", obj)
        self.progress(f"created {len(created_nodes)} nodes, {len(crds)} CRDs, {len(created) + len(extra)} "
                      f"{self.mesh} objects")
        return created_nodes

    def wait_established(self, pending: set[str], timeout: float) -> None:
        def done() -> bool:
            for name in sorted(pending):
                if _condition(self.api.get(f"{_CRDS}/{name}") or {}, "Established"):
                    pending.discard(name)
            return not pending

        if pending:
            self.api.wait(f"{len(pending)} CRDs Established", done, timeout, self.progress)

    def wait_nodes_ready(self, names: set[str], timeout: float) -> None:
        """List, then watch from the list's resourceVersion, in rounds of 10 s with a progress line each."""
        ready: set[str] = set()
        deadline = time.monotonic() + timeout

        def note(obj: Obj) -> bool:
            (ready.add if _condition(obj, "Ready") else ready.discard)(obj["metadata"]["name"])
            return names <= ready

        while True:
            listed = self.api.get("/api/v1/nodes") or {}
            for node in listed.get("items") or []:
                note(node)
            if names <= ready:
                return
            self.check()
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{len(names - ready)} of {len(names)} nodes not Ready after {timeout:g} s")
            self.progress(f"{len(ready & names)}/{len(names)} nodes Ready")
            try:
                self.api.watch_until("/api/v1/nodes", listed["metadata"]["resourceVersion"],
                                     lambda _type, obj: note(obj), min(10.0, left))
                return
            except TimeoutError:
                continue
