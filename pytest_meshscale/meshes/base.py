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
    "EDIT", "HTTP_GET", "TLS_APPLICATION_DATA", "Component", "EncryptionFacts", "InstallContext", "MeshDriver",
    "MeshInfo", "MeshNotFound", "Rule", "Unsupported", "image_tag",
]

EDIT = ("create", "delete", "get", "list", "watch", "patch")
# (API group, resource, subresource, verbs): one row of what a run of a mesh may do (RBAC terms).
Rule = tuple[str, str, str, tuple[str, ...]]

# IP protocols a tcpdump filter names without a port (pcap-filter: `esp`, as Cilium's IPsec guide captures it).
PORTLESS = ("esp",)
FEATURES = ("l4-policy", "l7-policy", "mtls", "wireguard", "ipsec", "fips")
# pcap-filter byte tests on the first bytes of a TCP payload (its offset is the TCP header length, tcp[12] >> 4
# words): a TLS record of type application_data (23, RFC 8446 section 5.1; every TLS 1.3 record after the
# handshake), and an HTTP request line "GET " in ASCII.
_PAYLOAD = "tcp[((tcp[12:1] & 0xf0) >> 2)"
TLS_APPLICATION_DATA = f"{_PAYLOAD}:1] = 0x17"
HTTP_GET = f"{_PAYLOAD}:4] = 0x47455420"


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
    # The mTLS runs on the destination's app port itself (sidecar proxies), not on a port of its own: the wire
    # tells TLS from plaintext by the first bytes of each TCP payload, not by the port.
    on_app_port: bool = False
    alpn: tuple[str, ...] = ()  # what a TLS probe offers so the mesh's listener takes it (Istio sidecars)
    # labels that keep a probe pod out of the mesh (no sidecar injected), so it meets the wire, not its own proxy
    probe_labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def capturable(self) -> bool:
        """A capture filter can name the encrypted channel: by its port, by an IP protocol that has none, or by its
        TLS records on the app port."""
        return self.encrypted_port is not None or self.encrypted_protocol in PORTLESS or self.on_app_port

    def channel_port(self, app_port: int) -> int | None:
        """The port the encrypted channel is seen on for traffic to `app_port` (None: none, or not capturable)."""
        return app_port if self.on_app_port else self.encrypted_port

    def capture_filter(self, client_ip: str, server_ip: str, server_node_ip: str, app_port: int = 0) -> str:
        """Tcpdump filter for the encrypted channel of this client -> server traffic on the server's node."""
        if self.encrypted_port is None and not self.on_app_port:  # ESP: no ports, outer addresses the mesh's choice
            return self.encrypted_protocol
        if self.between == "nodes":
            return f"dst host {server_node_ip} and {self.encrypted_protocol} port {self.encrypted_port}"
        pair = f"src host {client_ip} and dst host {server_ip} and {self.encrypted_protocol}"
        if self.on_app_port:
            return f"{pair} port {app_port} and {TLS_APPLICATION_DATA}"
        return f"{pair} port {self.encrypted_port}"

    def plaintext_filter(self, client_ip: str, server_ip: str, app_port: int) -> str:
        """Tcpdump filter for plaintext client -> server requests: any packet to the app port, or, where the mTLS
        shares that port, the packets whose payload starts an HTTP GET (the captures' traffic is fortio GETs)."""
        pair = f"src host {client_ip} and dst host {server_ip} and tcp port {app_port}"
        return f"{pair} and {HTTP_GET}" if self.on_app_port else pair


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
