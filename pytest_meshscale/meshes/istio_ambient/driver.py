"""Istio in ambient mode: istiod + ztunnel (+ istio-cni), waypoints as Gateways of class istio-waypoint."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...cluster.base import Cluster, KindNotServed, Manifest
from ...model.fleet_names import proxy_access
from ...model.policy import Intent, ProxyAccess, l7_namespaces
from ...model.policy_errors import Unsupported
from ..base import EDIT, Component, EncryptionFacts, InstallContext, MeshInfo, MeshNotFound, Rule, image_tag
from ..install.steps import Step
from ..install.versions import Versions
from .install import istio_ambient_steps
from .lint import CHECKS
from .render import render_istio, render_strict_mtls

__all__ = ["IstioAmbientDriver", "fips_verdict"]

NAMESPACE = "istio-system"
FIPS_POLICY = "fips-140-2"
WAYPOINT_CLASS_LABEL = "gateway.networking.k8s.io/gateway-class-name"


def _env(workload: Manifest) -> dict[str, str]:
    env: dict[str, str] = {}
    for container in workload["spec"]["template"]["spec"]["containers"]:
        env.update({e["name"]: str(e.get("value", "")) for e in container.get("env", [])})
    return env


def fips_verdict(istiod_env: Mapping[str, str], ztunnel_env: Mapping[str, str], ztunnel_log: str) -> tuple[bool, str]:
    """FIPS needs all three (istio/istio#49081 release note, istio/ztunnel PR #1711 and #1545):
    COMPLIANCE_POLICY=fips-140-2 on istiod, TLS 1.2 enabled on ztunnel, and a FIPS crypto provider."""
    missing = []
    if istiod_env.get("COMPLIANCE_POLICY") != FIPS_POLICY:
        missing.append(f"istiod has no COMPLIANCE_POLICY={FIPS_POLICY}")
    if ztunnel_env.get("TLS12_ENABLED", "").lower() != "true":
        missing.append("ztunnel has no TLS12_ENABLED=true (its TLS 1.3-only suites are not the FIPS 140-2 set)")
    if 'CryptoProvider:"tls-boring"' not in ztunnel_log:
        missing.append("ztunnel's crypto provider is not the FIPS build (tls-boring) per its startup log")
    if missing:
        return False, "not FIPS: " + "; ".join(missing)
    return True, "FIPS: COMPLIANCE_POLICY=fips-140-2, ztunnel TLS 1.2 ECDHE-AES-GCM, BoringSSL FIPS provider"


class IstioAmbientDriver:
    name = "istio-ambient"
    colour = "#0072B2"
    policy_kinds = (("security.istio.io/v1", "AuthorizationPolicy"), ("security.istio.io/v1", "PeerAuthentication"),
                    ("gateway.networking.k8s.io/v1", "Gateway"))
    permissions: tuple[Rule, ...] = (
        ("security.istio.io", "authorizationpolicies", "", EDIT),
        ("security.istio.io", "peerauthentications", "", EDIT),
        ("gateway.networking.k8s.io", "gateways", "", EDIT),
        # mesh detection: the istio-waypoint GatewayClass tells whether L7 policy is available
        ("gateway.networking.k8s.io", "gatewayclasses", "", ("get",)),
    )
    install_resources = (
        ("apiextensions.k8s.io", "customresourcedefinitions"), ("rbac.authorization.k8s.io", "clusterroles"),
        ("rbac.authorization.k8s.io", "clusterrolebindings"), ("apps", "daemonsets"),
        ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"),
    )
    is_cni = False
    lint_checks = CHECKS
    chart_key = "istio_chart"

    def detect(self, cluster: Cluster) -> MeshInfo:
        istiod = cluster.get("apps/v1", "Deployment", "istiod", NAMESPACE)
        ztunnel = cluster.get("apps/v1", "DaemonSet", "ztunnel", NAMESPACE)
        if istiod is None or ztunnel is None:
            raise MeshNotFound("istio-ambient: needs Deployment istio-system/istiod and DaemonSet istio-system/ztunnel")
        features = {"l4-policy", "mtls"}
        if self._has_waypoint_class(cluster):
            features.add("l7-policy")
        fips, reason = fips_verdict(_env(istiod), _env(ztunnel), self._ztunnel_log(cluster))
        if fips:
            features.add("fips")
        version = image_tag(istiod["spec"]["template"]["spec"]["containers"][0]["image"])
        return MeshInfo(self.name, version, frozenset(features), {"fips": reason})

    @staticmethod
    def _has_waypoint_class(cluster: Cluster) -> bool:
        """Waypoints (L7) need the Gateway API CRDs; without them Istio still does L4 and mTLS."""
        try:
            return cluster.get("gateway.networking.k8s.io/v1", "GatewayClass", "istio-waypoint") is not None
        except KindNotServed:
            return False

    def _ztunnel_log(self, cluster: Cluster) -> str:
        pods = cluster.list("v1", "Pod", NAMESPACE, "app=ztunnel")
        return cluster.logs(pods[0]["metadata"]["name"], NAMESPACE) if pods else ""

    @staticmethod
    def declares_paths(obj: Mapping[str, Any]) -> bool:
        return False  # its policies carry no L7 paths the seed's waypoint lint compares with

    def namespace_labels(self) -> Mapping[str, str]:
        return {"istio.io/dataplane-mode": "ambient"}

    def namespace_annotations(self) -> Mapping[str, str]:
        return {}

    def render(self, intents: Sequence[Intent], namespaces: Sequence[str], labels: Mapping[str, str]) -> list[Manifest]:
        return render_istio(intents, labels, proxy_access=proxy_access(), enroll=tuple(namespaces))

    def l7_enforced(self, intents: Sequence[Intent]) -> frozenset[str]:
        """Namespaces where L7 is enforced in front of L4, so a refused source sees a 403 (Istio waypoints)."""
        return l7_namespaces(intents)

    def components(self) -> list[Component]:
        # The seed's selectors: namespace="istio-system" or container="istio-proxy" (ztunnel and waypoints).
        return [
            Component("istiod", NAMESPACE, "app=istiod"),
            Component("ztunnel", NAMESPACE, "app=ztunnel"),
            Component("istio-cni", NAMESPACE, "k8s-app=istio-cni-node"),
            Component("waypoints", None, f"{WAYPOINT_CLASS_LABEL}=istio-waypoint", ("istio-proxy",), True),
        ]

    def encryption(self, info: MeshInfo) -> EncryptionFacts:
        return EncryptionFacts("hbone-mtls", 15008, "tcp", "fips" in info.features, info.details.get("fips", ""))

    def strict_mtls(self, namespaces: Sequence[str], labels: Mapping[str, str],
                    proxy: ProxyAccess) -> list[Manifest]:
        return render_strict_mtls(namespaces, labels, proxy_access=proxy)

    def encryption_peers(self, cluster: Cluster) -> Mapping[str, bool]:
        raise Unsupported("istio-ambient", "HBONE tunnels are per connection, there are no node peers to count")

    def install_steps(self, ctx: InstallContext) -> list[Step]:
        return istio_ambient_steps(ctx)

    def install_pins(self, versions: Versions) -> tuple[tuple[str, str], ...]:
        return (("istio charts", versions.pin("istio_chart")), ("gateway-api", versions.pin("gateway_api")))

    def install_notes(self, fips: bool) -> tuple[str, ...]:
        if fips:
            return ("FIPS values are necessary, not sufficient: point hub/tag at a FIPS (BoringSSL) Istio build",)
        return ()
