"""Cilium: detected from its agent DaemonSet and `cilium-config`, as `cilium status` and cilium-cli do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..cluster.base import Cluster, Manifest
from ..model.policy import Intent
from ..policy_files import proxy_access
from .base import Component, EncryptionFacts, MeshInfo, MeshNotFound, image_tag
from .render_cilium import render_cilium

__all__ = ["CiliumDriver"]

NAMESPACE = "kube-system"


def _on(config: Mapping[str, str], key: str, default: str = "false") -> bool:
    return config.get(key, default).strip().lower() == "true"


class CiliumDriver:
    name = "cilium"

    def detect(self, cluster: Cluster) -> MeshInfo:
        agent = cluster.get("apps/v1", "DaemonSet", "cilium", NAMESPACE)
        if agent is None:
            raise MeshNotFound("cilium: no DaemonSet kube-system/cilium (is Cilium installed?)")
        containers = agent["spec"]["template"]["spec"]["containers"]
        config_map = cluster.get("v1", "ConfigMap", "cilium-config", NAMESPACE) or {}
        config: Mapping[str, str] = config_map.get("data", {})
        features = {"l4-policy"}
        # l7Proxy defaults to true in the chart (helm values table); absent key = on.
        if _on(config, "enable-l7-proxy", "true"):
            features.add("l7-policy")
        if _on(config, "enable-wireguard"):
            features.add("wireguard")
        if _on(config, "enable-ipsec"):
            features |= {"ipsec", "fips"}  # IPsec with AES-GCM is FIPS-capable (kernel crypto in FIPS mode)
        shown = ("enable-wireguard", "enable-l7-proxy", "kube-proxy-replacement")
        details = {k: config[k] for k in shown if k in config}
        return MeshInfo(self.name, image_tag(containers[0]["image"]), frozenset(features), details)

    def namespace_labels(self) -> Mapping[str, str]:
        return {}

    def render(self, intents: Sequence[Intent], namespaces: Sequence[str], labels: Mapping[str, str]) -> list[Manifest]:
        return render_cilium(intents, labels, proxy_access=proxy_access())

    def l7_enforced(self, intents: Sequence[Intent]) -> frozenset[str]:
        """Namespaces where L7 is enforced in front of L4, so a refused source sees a 403 (Istio waypoints)."""
        return frozenset()

    def components(self) -> list[Component]:
        # The seed's selector was pod=~"cilium.*": agent, operator and the external Envoy.
        return [
            Component("cilium-agent", NAMESPACE, "k8s-app=cilium"),
            Component("cilium-operator", NAMESPACE, "io.cilium/app=operator"),
            Component("cilium-envoy", NAMESPACE, "k8s-app=cilium-envoy"),
        ]

    def encryption(self, info: MeshInfo) -> EncryptionFacts:
        if "wireguard" in info.features:
            reason = "WireGuard uses ChaCha20-Poly1305, Curve25519 and BLAKE2s: no FIPS-approved algorithm"
            return EncryptionFacts("wireguard", 51871, "udp", False, reason)
        if "ipsec" in info.features:
            reason = "IPsec with AES-GCM is FIPS-capable when the nodes' kernel crypto runs in FIPS mode"
            return EncryptionFacts("ipsec", None, "esp", True, reason)
        return EncryptionFacts("none", None, "", False, "Cilium runs without transparent encryption")
