"""What the scenarios need from a mesh: detection, rendering intent, its cost components, encryption facts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..cluster.base import Cluster, Manifest
from ..model.policy import Intent
from ..model.policy_errors import Unsupported

__all__ = ["Component", "EncryptionFacts", "MeshDriver", "MeshInfo", "MeshNotFound", "Unsupported", "image_tag"]

FEATURES = ("l4-policy", "l7-policy", "mtls", "wireguard", "ipsec", "fips")


class MeshNotFound(RuntimeError):
    """The cluster does not run the mesh the user asked for; the message says what was looked for."""


@dataclass(frozen=True, slots=True)
class MeshInfo:
    name: str
    version: str
    features: frozenset[str]
    details: Mapping[str, str] = field(default_factory=dict)

    def missing(self, required: Sequence[str]) -> list[str]:
        return [f for f in required if f not in self.features]


@dataclass(frozen=True, slots=True)
class Component:
    """Pods whose CPU/memory count as mesh cost (the seed's Prometheus selectors, as API selectors)."""

    name: str
    namespace: str | None  # None: every namespace
    labels: str  # label selector
    containers: tuple[str, ...] = ()  # empty: every container
    optional: bool = False  # may have no pods (waypoints exist only where an L7 policy needs one)


@dataclass(frozen=True, slots=True)
class EncryptionFacts:
    """What the wire between two nodes must show when the mesh encrypts as it promises."""

    mechanism: str  # "hbone-mtls", "wireguard" or "none"
    encrypted_port: int | None  # 15008 (HBONE, TCP) or 51871 (WireGuard, UDP)
    encrypted_protocol: str  # "tcp" or "udp"
    fips_capable: bool
    fips_reason: str


class MeshDriver(Protocol):
    name: str

    def detect(self, cluster: Cluster) -> MeshInfo:
        """Find the installed mesh, its version and features, through the API only; MeshNotFound if absent."""

    def namespace_labels(self) -> Mapping[str, str]:
        """Labels every fleet namespace gets so the mesh captures it (Istio: ambient enrolment)."""

    def render(self, intents: Sequence[Intent], namespaces: Sequence[str], labels: Mapping[str, str]) -> list[Manifest]:
        """The mesh's own objects for intents applied together; raises Unsupported with a reason."""

    def l7_enforced(self, intents: Sequence[Intent]) -> frozenset[str]:
        """Namespaces where L7 is enforced in front of L4, so a refused source sees a 403 (Istio waypoints)."""

    def components(self) -> list[Component]: ...

    def encryption(self, info: MeshInfo) -> EncryptionFacts: ...


def image_tag(image: str) -> str:
    """'quay.io/cilium/cilium:v1.16.1@sha256:...' -> '1.16.1'."""
    tag = image.split("@")[0].rsplit("/", 1)[-1].partition(":")[2]
    return tag.lstrip("v") or "unknown"
