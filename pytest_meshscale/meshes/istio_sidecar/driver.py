"""Istio in sidecar mode (istio.io docs/setup/additional-setup/sidecar-injection, Istio 1.30): istiod injects an
`istio-proxy` container (and the `istio-init` init container) into every pod of a namespace labelled
istio-injection=enabled; each pod's sidecar enforces the AuthorizationPolicies selecting it, at L4 and L7, and
speaks mTLS to the other sidecars on the destination's own app port (ALPN istio-peer-exchange / istio-http/*),
TLS 1.3 unless COMPLIANCE_POLICY=fips-140-2 restricts it to TLS 1.2."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from ...cluster.base import Cluster, Manifest
from ...model.fleet_names import proxy_access
from ...model.policy import Intent, ProxyAccess
from ...model.policy_errors import Unsupported
from ..base import EDIT, Component, EncryptionFacts, InstallContext, MeshInfo, MeshNotFound, Rule, image_tag
from ..install.steps import Step
from ..install.versions import Versions
from ..istio_ambient.render import render_strict_mtls
from .install import CHART_KEY, ISTIO_NS, istio_sidecar_steps
from .render import INJECTION_LABELS, render_sidecar

__all__ = ["IstioSidecarDriver", "fips_verdict", "proxy_image"]

FIPS_POLICY = "fips-140-2"
INJECTOR_CONFIGMAP = "istio-sidecar-injector"  # the istiod chart's injection templates and values
SIDECAR = "istio-proxy"
INJECT_LABEL = "sidecar.istio.io/inject"  # a pod's own say over injection (istio.io sidecar-injection)
# Every ALPN Istio's inbound mTLS chains accept (pilot/pkg/networking/core/listener.go allIstioMtlsALPNs): a TLS
# client must offer one of them, or a PERMISSIVE sidecar matches no filter chain and closes the connection.
ISTIO_MTLS_ALPN = ("istio-peer-exchange", "istio")


def _env(workload: Manifest) -> dict[str, str]:
    env: dict[str, str] = {}
    for container in workload["spec"]["template"]["spec"]["containers"]:
        env.update({e["name"]: str(e.get("value", "")) for e in container.get("env", [])})
    return env


def proxy_image(injector_values: Mapping[str, Any]) -> str:
    """The image the injector gives every istio-proxy container: global.proxy.image on global.hub at global.tag
    (a name with a '/' is a full reference, as the injection template takes it)."""
    glob = injector_values.get("global") or {}
    image = str((glob.get("proxy") or {}).get("image") or "proxyv2")
    return image if "/" in image else f"{glob.get('hub', '')}/{image}:{glob.get('tag', '')}"


def fips_verdict(istiod_env: Mapping[str, str], proxy_metadata: Mapping[str, str], image: str) -> tuple[bool, str]:
    """FIPS needs all three: COMPLIANCE_POLICY=fips-140-2 on istiod and on every proxy (meshConfig.defaultConfig
    .proxyMetadata, which the injector turns into the sidecar's environment; istio/istio#49081), and a FIPS build
    of the proxy. The public istio/proxyv2 images link plain BoringSSL (`envoy --version` ends in BoringSSL, a FIPS
    build in BoringSSL-FIPS); the API shows only the image's name, so a build counts as FIPS when its name says
    so (vendors' FIPS builds do, e.g. Tetrate's `-tetratefips-` tags), which `envoy --version` must confirm."""
    missing = []
    if istiod_env.get("COMPLIANCE_POLICY") != FIPS_POLICY:
        missing.append(f"istiod has no COMPLIANCE_POLICY={FIPS_POLICY}")
    if proxy_metadata.get("COMPLIANCE_POLICY") != FIPS_POLICY:
        missing.append(f"the sidecars get no COMPLIANCE_POLICY={FIPS_POLICY} (meshConfig.defaultConfig.proxyMetadata)")
    if "fips" not in image.lower():
        missing.append(f"the injected proxy {image} is not a FIPS build of Envoy (BoringSSL-FIPS)")
    if missing:
        return False, "not FIPS: " + "; ".join(missing)
    return True, (f"FIPS: COMPLIANCE_POLICY=fips-140-2 on istiod and sidecars (TLS 1.2 ECDHE-AES-GCM, P-256), FIPS "
                  f"proxy build {image} (confirm `envoy --version` ends in BoringSSL-FIPS)")


class IstioSidecarDriver:
    name = "istio-sidecar"
    colour = "#56B4E9"  # Okabe-Ito sky blue: the same project as istio-ambient's blue, told apart
    policy_kinds = (("security.istio.io/v1", "AuthorizationPolicy"), ("security.istio.io/v1", "PeerAuthentication"))
    permissions: tuple[Rule, ...] = (
        ("security.istio.io", "authorizationpolicies", "", EDIT),
        ("security.istio.io", "peerauthentications", "", EDIT),
    )
    install_resources = (
        ("apiextensions.k8s.io", "customresourcedefinitions"), ("rbac.authorization.k8s.io", "clusterroles"),
        ("rbac.authorization.k8s.io", "clusterrolebindings"), ("apps", "deployments"),
        ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"),
    )
    is_cni = False
    lint_checks: Mapping[str, Any] = {}  # Istio's AuthorizationPolicy checks are istio-ambient's (lint is by kind)
    chart_key = CHART_KEY

    def detect(self, cluster: Cluster) -> MeshInfo:
        istiod = cluster.get("apps/v1", "Deployment", "istiod", ISTIO_NS)
        injector = cluster.get("v1", "ConfigMap", INJECTOR_CONFIGMAP, ISTIO_NS)
        if istiod is None or injector is None:
            raise MeshNotFound(f"istio-sidecar: needs Deployment {ISTIO_NS}/istiod and ConfigMap "
                               f"{ISTIO_NS}/{INJECTOR_CONFIGMAP} (the sidecar injector)")
        mesh_cm = cluster.get("v1", "ConfigMap", "istio", ISTIO_NS) or {}
        mesh_config = yaml.safe_load((mesh_cm.get("data") or {}).get("mesh") or "") or {}
        metadata = (mesh_config.get("defaultConfig") or {}).get("proxyMetadata") or {}
        values = json.loads((injector.get("data") or {}).get("values") or "{}")
        image = proxy_image(values)
        fips, reason = fips_verdict(_env(istiod), {str(k): str(v) for k, v in metadata.items()}, image)
        features = {"l4-policy", "l7-policy", "mtls", *(("fips",) if fips else ())}
        version = image_tag(istiod["spec"]["template"]["spec"]["containers"][0]["image"])
        return MeshInfo(self.name, version, frozenset(features), {"fips": reason, "proxy": image})

    @staticmethod
    def declares_paths(obj: Mapping[str, Any]) -> bool:
        return False  # lint's path comparison is by kind: istio-ambient's checks read AuthorizationPolicies

    def namespace_labels(self) -> Mapping[str, str]:
        return dict(INJECTION_LABELS)

    def namespace_annotations(self) -> Mapping[str, str]:
        return {}  # injection is opted into by the namespace label istio-injection=enabled, not an annotation

    def render(self, intents: Sequence[Intent], namespaces: Sequence[str], labels: Mapping[str, str]) -> list[Manifest]:
        return render_sidecar(intents, labels, proxy_access=proxy_access())

    def l7_enforced(self, intents: Sequence[Intent]) -> frozenset[str]:
        """Every namespace a policy targets: the server's sidecar enforces all of it with its HTTP RBAC filter on
        the fleet's HTTP port (Service port http-web), so a refused source sees 403, an L4 refusal too."""
        return frozenset(ns for i in intents for ns in i.target.namespaces)

    def components(self) -> list[Component]:
        # The seed's Istio selectors (container="istio-proxy" or namespace="istio-system"): istiod, and the sidecar
        # in every meshed pod, app and load client alike (the injector labels each security.istio.io/tlsMode=istio).
        return [
            Component("istiod", ISTIO_NS, "app=istiod"),
            Component("sidecars", None, "security.istio.io/tlsMode=istio", (SIDECAR,)),
        ]

    def encryption(self, info: MeshInfo) -> EncryptionFacts:
        # The TLS probe Job runs in a fleet namespace: without the opt-out it would get a sidecar, which would meet
        # the server in its place and keep the Job from ever completing.
        return EncryptionFacts("sidecar-mtls", None, "tcp", "fips" in info.features, info.details.get("fips", ""),
                               on_app_port=True, alpn=ISTIO_MTLS_ALPN, probe_labels={INJECT_LABEL: "false"})

    def strict_mtls(self, namespaces: Sequence[str], labels: Mapping[str, str],
                    proxy: ProxyAccess) -> list[Manifest]:
        return render_strict_mtls(namespaces, labels, proxy_access=proxy)

    def encryption_peers(self, cluster: Cluster) -> Mapping[str, bool]:
        raise Unsupported("istio-sidecar", "mTLS runs per connection between sidecars; there are no node peers")

    def install_steps(self, ctx: InstallContext) -> list[Step]:
        return istio_sidecar_steps(ctx)

    def install_pins(self, versions: Versions) -> tuple[tuple[str, str], ...]:
        return (("istio charts (base, istiod)", versions.pin(CHART_KEY)),)

    def install_notes(self, fips: bool) -> tuple[str, ...]:
        if fips:
            return ("FIPS values are necessary, not sufficient: point global.hub/global.tag at a FIPS build of istiod "
                    "and the proxy (`envoy --version` ending in BoringSSL-FIPS)",)
        return ()
