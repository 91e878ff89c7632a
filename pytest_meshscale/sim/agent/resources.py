"""What the agent watches: every kind the data plane, the images and the performance model read (see
sim/dataplane, sim/images, sim/perf; each mesh's own in its SimMesh.watched), keyed as the Store keys them
("<plural>" or "<plural>.<group>").

A kind's version is found by discovery (Agent._discover): its group's preferred one when that serves it, else the
group's first other that does, so an upgraded CRD keeps working; a kind not served (the mesh's CRDs are installed
only for that mesh) is simply not watched.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..meshes import SIM_MESHES

__all__ = ["WATCHED", "Watched"]


@dataclass(frozen=True, slots=True)
class Watched:
    resource: str  # the Store's key
    group: str  # "" = the core API
    plural: str
    namespace: str = ""  # "" = every namespace (or cluster-scoped)

    def path(self, version: str) -> str:
        base = f"/api/{version}" if not self.group else f"/apis/{self.group}/{version}"
        return f"{base}/namespaces/{self.namespace}/{self.plural}" if self.namespace else f"{base}/{self.plural}"


def _w(resource: str, namespace: str = "") -> Watched:
    plural, _, group = resource.partition(".")
    return Watched(resource, group, plural, namespace)


_EVERY_MESH = (  # what the model of every cluster reads, whatever the mesh
    _w("nodes"), _w("namespaces"), _w("pods"), _w("services"),
    _w("configmaps"),  # the meshes' config (e.g. encryption mode), the load service's service-graph-config
    _w("networkpolicies.networking.k8s.io"),
)
# and what each registered mesh's model reads (the kinds whose group is not served are skipped)
WATCHED: tuple[Watched, ...] = _EVERY_MESH + tuple(
    _w(r, ns) for r, ns in dict.fromkeys(w for mesh in SIM_MESHES.values() for w in mesh.watched))
