"""Linkerd 2.20: a control plane (destination, identity, proxy-injector) in namespace `linkerd` and a
`linkerd-proxy` sidecar injected into every pod of a namespace annotated `linkerd.io/inject: enabled`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...cluster.base import Cluster, Manifest
from ...model.fleet_names import SERVER, SERVER_PORT, proxy_access
from ...model.policy import Intent, ProxyAccess, l7_namespaces
from ...model.policy_errors import Unsupported
from ..base import EDIT, Component, EncryptionFacts, InstallContext, MeshInfo, MeshNotFound, Rule, image_tag
from ..install.steps import Step
from ..install.versions import Versions
from ..lint_base import Check
from .identity import PROXY
from .install import NAMESPACE, linkerd_steps
from .render import GROUP, POLICY_KINDS, render_linkerd, render_strict_mtls

__all__ = ["INBOUND_PORT", "INJECT", "LinkerdDriver"]

INJECT = {"linkerd.io/inject": "enabled"}  # read by the proxy injector as an annotation, never a label
INBOUND_PORT = 4143  # the proxy's inbound port: meshed peers connect pod IP to pod IP here (transport-header mode)
CONTROL_PLANE_LABEL = "linkerd.io/control-plane-ns"
FIPS_REASON = ("open-source Linkerd is not FIPS-validated: its proxy's release builds use aws-lc-rs without the "
               "FIPS feature (linkerd2-proxy Cargo.toml default features [], release.yml) and Linkerd states no "
               "validation; FIPS-validated Linkerd is Buoyant Enterprise for Linkerd, a commercial build. mTLS "
               "between meshed pods is TLS 1.3 only (X25519MLKEM768, AES-GCM/ChaCha20)")


class LinkerdDriver:
    name = "linkerd"
    colour = "#D55E00"  # Okabe-Ito vermillion: cilium-ipsec took the reddish purple; one colour per mesh
    policy_kinds = POLICY_KINDS
    permissions: tuple[Rule, ...] = (
        *((GROUP, resource, "", EDIT) for resource in
          ("servers", "authorizationpolicies", "meshtlsauthentications", "httproutes")),
        ("", "events", "", ("list",)),  # the identity controller's IssuedLeafCertificate events
    )
    install_resources = (
        ("apiextensions.k8s.io", "customresourcedefinitions"), ("rbac.authorization.k8s.io", "clusterroles"),
        ("rbac.authorization.k8s.io", "clusterrolebindings"),
        ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"),
        ("admissionregistration.k8s.io", "validatingwebhookconfigurations"),
    )
    is_cni = False
    lint_checks: dict[str, Check] = {}
    chart_key = "linkerd_chart"

    def detect(self, cluster: Cluster) -> MeshInfo:
        found = {n: cluster.get("apps/v1", "Deployment", f"linkerd-{n}", NAMESPACE)
                 for n in ("destination", "identity", "proxy-injector")}
        absent = [f"{NAMESPACE}/linkerd-{n}" for n, d in found.items() if d is None]
        if absent:
            raise MeshNotFound(f"linkerd: no Deployment {', '.join(absent)} (is linkerd-control-plane installed?)")
        containers = found["destination"]["spec"]["template"]["spec"]["containers"]  # type: ignore[index]
        image = next((c["image"] for c in containers if c.get("name") == "destination"), containers[0]["image"])
        return MeshInfo(self.name, image_tag(image), frozenset({"l4-policy", "l7-policy", "mtls"}),
                        {"fips": FIPS_REASON, "proxy": "linkerd2-proxy (Rust), TLS 1.3"})

    @staticmethod
    def declares_paths(obj: Mapping[str, Any]) -> bool:
        return obj.get("kind") == "HTTPRoute" and str(obj.get("apiVersion", "")).startswith(GROUP) and any(
            m.get("path", {}).get("value", "/") != "/" for r in (obj.get("spec") or {}).get("rules") or []
            for m in r.get("matches") or [])

    def namespace_labels(self) -> Mapping[str, str]:
        return {}

    def namespace_annotations(self) -> Mapping[str, str]:
        return INJECT

    def render(self, intents: Sequence[Intent], namespaces: Sequence[str], labels: Mapping[str, str]) -> list[Manifest]:
        return render_linkerd(intents, labels, proxy_access=proxy_access(), served_ports={SERVER: (SERVER_PORT,)})

    def l7_enforced(self, intents: Sequence[Intent]) -> frozenset[str]:
        """Where an intent has HTTP rules its Server is HTTP, and the proxy answers every deny there, a refused
        source too, with 403 ("traffic known to be HTTP ... denied by policy" -> 403: features/server-policy)."""
        return l7_namespaces(intents)

    def components(self) -> list[Component]:
        # The control plane's own containers, and every injected proxy (the control plane's too) once.
        return [
            Component("linkerd-control-plane", NAMESPACE, "linkerd.io/control-plane-component",
                      ("destination", "sp-validator", "policy", "identity", "proxy-injector")),
            Component("linkerd-proxy", None, f"{CONTROL_PLANE_LABEL}={NAMESPACE}", (PROXY,)),
        ]

    def encryption(self, info: MeshInfo) -> EncryptionFacts:
        return EncryptionFacts("linkerd-mtls", INBOUND_PORT, "tcp", False, info.details.get("fips", FIPS_REASON))

    def strict_mtls(self, namespaces: Sequence[str], labels: Mapping[str, str],
                    proxy: ProxyAccess) -> list[Manifest]:
        return render_strict_mtls(namespaces, labels, (SERVER_PORT,), proxy_access=proxy)

    def encryption_peers(self, cluster: Cluster) -> Mapping[str, bool]:
        raise Unsupported("linkerd", "mTLS is per connection between proxies; there are no node peers to count "
                          "(each workload's identity is checked instead: meshes/linkerd/identity.py)")

    def install_steps(self, ctx: InstallContext) -> list[Step]:
        return linkerd_steps(ctx)

    def install_pins(self, versions: Versions) -> tuple[tuple[str, str], ...]:
        return (("linkerd charts (linkerd-crds, linkerd-control-plane)", versions.pin("linkerd_chart")),)

    def install_notes(self, fips: bool) -> tuple[str, ...]:
        return (
            "trust anchor and identity issuer: generated when the plan is built (ECDSA P-256, as `step certificate "
            "create root.linkerd.cluster.local ... --profile root-ca` and `identity.linkerd.cluster.local ... "
            "--profile intermediate-ca --not-after 8760h` do), handed to helm on stdin, never printed or stored",
            "linkerd-init runs iptables in each meshed pod and needs NET_ADMIN and NET_RAW (kind's nodes allow "
            "them); where they are refused, install the linkerd2-cni chart and set cniEnabled=true",
            "the charts declare kubeVersion >=1.31.0-0: helm refuses an older cluster (on kind, linkerd's own "
            "node image pin, v1.31.9, is used; an existing cluster must be 1.31+)",
        )
