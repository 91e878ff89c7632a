"""What the scenarios need from a mesh: detection, rendering intent, its cost components, encryption facts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..cluster.base import Cluster, Manifest
from ..model.policy import Intent, ProxyAccess
from ..model.policy_errors import Unsupported
from .install.steps import Step, Target
from .install.versions import Versions
from .lint_base import Check

__all__ = [
    "EDIT", "Component", "EncryptionFacts", "InstallContext", "MeshDriver", "MeshInfo", "MeshNotFound", "Rule",
    "Unsupported", "image_tag",
]

EDIT = ("create", "delete", "get", "list", "watch", "patch")
# (API group, resource, subresource, verbs): one row of what a run of a mesh may do (RBAC terms).
Rule = tuple[str, str, str, tuple[str, ...]]

# IP protocols a tcpdump filter names without a port (pcap-filter: `esp`, as Cilium's IPsec guide captures it).
PORTLESS = ("esp",)
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

    mechanism: str  # the mesh's word for it, e.g. "wireguard"; "none" when traffic is not encrypted
    encrypted_port: int | None  # where the encrypted channel is seen on the wire; None: no port (see capturable)
    encrypted_protocol: str  # "tcp" or "udp", or "esp" (an IP protocol without ports)
    fips_capable: bool
    fips_reason: str
    between: str = "pods"  # "pods": a tunnel from pod IP to pod IP; "nodes": node to node (the server's node)

    @property
    def capturable(self) -> bool:
        """A capture filter can name the encrypted channel: by its port, or by an IP protocol that has none."""
        return self.encrypted_port is not None or self.encrypted_protocol in PORTLESS

    def capture_filter(self, client_ip: str, server_ip: str, server_node_ip: str) -> str:
        """Tcpdump filter for the encrypted channel of this client -> server traffic on the server's node."""
        if self.encrypted_port is None:  # ESP: no ports, and its outer addresses are the mesh's choice
            return self.encrypted_protocol
        if self.between == "nodes":
            return f"dst host {server_node_ip} and {self.encrypted_protocol} port {self.encrypted_port}"
        return f"src host {client_ip} and dst host {server_ip} and {self.encrypted_protocol} port {self.encrypted_port}"


@dataclass(frozen=True, slots=True)
class InstallContext:
    """Where and how a mesh is installed: what provision/installer hands each mesh's install_steps."""

    target: Target
    versions: Versions
    values_dir: Path  # fixtures/meshes/<mesh>/
    platform: str  # "kind" or "aks": which values file
    api_host: str | None  # the API server's host as nodes see it (kind: <cluster>-control-plane)
    fips: bool


class MeshDriver(Protocol):
    """One mesh, everything mesh-specific behind it. Class attributes are read without a cluster (options,
    install plans, permissions, teardown, report colours); methods work through the Cluster API."""

    @property
    def name(self) -> str: ...

    @property
    def colour(self) -> str:
        """One colour per mesh across every chart."""

    @property
    def policy_kinds(self) -> tuple[tuple[str, str], ...]:
        """(apiVersion, kind) its renderers create: teardown looks at them."""

    @property
    def permissions(self) -> tuple[Rule, ...]:
        """What a run of this mesh may do beyond the mesh-neutral table."""

    @property
    def install_resources(self) -> tuple[tuple[str, str], ...]:
        """(group, resource) its install must create."""

    @property
    def is_cni(self) -> bool:
        """The mesh is the cluster's CNI (nodes are Ready only once it runs)."""

    @property
    def lint_checks(self) -> Mapping[str, Check]:
        """Kind -> the seed-defect checks of that kind (meshes/lint.py runs them)."""

    @property
    def chart_key(self) -> str:
        """The versions.yaml key --mesh-<mesh>-version overrides ("": nothing to install)."""

    def detect(self, cluster: Cluster) -> MeshInfo:
        """Find the installed mesh, its version and features, through the API only; MeshNotFound if absent."""

    @staticmethod
    def declares_paths(obj: Mapping[str, Any]) -> bool:
        """Whether this object (of the mesh's kinds) restricts HTTP paths: lint compares meshes' policies."""

    def namespace_labels(self) -> Mapping[str, str]:
        """Labels every fleet namespace gets so the mesh captures it (Istio: ambient enrolment)."""

    def namespace_annotations(self) -> Mapping[str, str]:
        """Annotations every fleet namespace gets so the mesh captures it, for a mesh that reads an annotation
        rather than a label (a sidecar injector's opt-in); {} for the others."""

    def render(self, intents: Sequence[Intent], namespaces: Sequence[str], labels: Mapping[str, str]) -> list[Manifest]:
        """The mesh's own objects for intents applied together; raises Unsupported with a reason."""

    def l7_enforced(self, intents: Sequence[Intent]) -> frozenset[str]:
        """Namespaces where L7 is enforced in front of L4, so a refused source sees a 403 (Istio waypoints)."""

    def components(self) -> list[Component]: ...

    def encryption(self, info: MeshInfo) -> EncryptionFacts: ...

    def strict_mtls(self, namespaces: Sequence[str], labels: Mapping[str, str],
                    proxy: ProxyAccess) -> list[Manifest]:
        """Objects that make the namespaces refuse plaintext (mTLS meshes); Unsupported otherwise."""

    def encryption_peers(self, cluster: Cluster) -> Mapping[str, bool]:
        """Node -> whether it takes part in node-to-node encryption (WireGuard: publishes a key)."""

    def install_steps(self, ctx: InstallContext) -> list[Step]:
        """The mesh's own install steps (PlanError, one line, when it cannot be installed so)."""

    def install_pins(self, versions: Versions) -> tuple[tuple[str, str], ...]: ...

    def install_notes(self, fips: bool) -> tuple[str, ...]: ...


def image_tag(image: str) -> str:
    """'quay.io/cilium/cilium:v1.16.1@sha256:...' -> '1.16.1'."""
    tag = image.split("@")[0].rsplit("/", 1)[-1].partition(":")[2]
    return tag.lstrip("v") or "unknown"
