"""What the agent watches: every kind the data plane, the images and the performance model read (see
sim/dataplane, sim/images, sim/perf), keyed as the Store keys them ("<plural>" or "<plural>.<group>").

A group's version is the API server's preferred one (discovery), so an upgraded CRD keeps working; a kind
whose group is not served (the baseline has no Cilium or Istio CRDs) is simply not watched.
"""

from __future__ import annotations

from dataclasses import dataclass

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


WATCHED: tuple[Watched, ...] = (
    _w("nodes"), _w("namespaces"), _w("pods"), _w("services"),
    _w("configmaps"),  # cilium-config (encryption mode), the load service's service-graph-config
    _w("secrets", "kube-system"),  # cilium-ipsec-keys only: the agent has no business with other secrets
    _w("deployments.apps", "istio-system"), _w("daemonsets.apps", "istio-system"),  # istiod/ztunnel crypto env
    _w("networkpolicies.networking.k8s.io"),
    _w("ciliumnetworkpolicies.cilium.io"), _w("ciliumclusterwidenetworkpolicies.cilium.io"),
    _w("ciliumnodes.cilium.io"),  # WireGuard keys per node
    _w("authorizationpolicies.security.istio.io"), _w("peerauthentications.security.istio.io"),
    _w("gateways.gateway.networking.k8s.io"),  # waypoints
)
