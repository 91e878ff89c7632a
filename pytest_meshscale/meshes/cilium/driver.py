"""Cilium: detected from its agent DaemonSet and `cilium-config`, as `cilium status` and cilium-cli do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ...cluster.base import Cluster, Manifest
from ...model.fleet_names import proxy_access
from ...model.policy import Intent, ProxyAccess
from ...model.policy_errors import Unsupported
from ..base import EDIT, Component, EncryptionFacts, InstallContext, MeshInfo, MeshNotFound, Rule, image_tag
from ..cilium_ipsec.facts import ipsec_facts
from ..install.steps import Step
from ..install.versions import Versions
from .install import cilium_steps
from .lint import CHECKS, declares_paths
from .render import render_cilium

__all__ = ["CiliumDriver"]

NAMESPACE = "kube-system"
WG_KEY_ANNOTATION = "network.cilium.io/wg-pub-key"


def _on(config: Mapping[str, str], key: str, default: str = "false") -> bool:
    return config.get(key, default).strip().lower() == "true"


class CiliumDriver:
    name = "cilium"
    colour = "#E69F00"
    policy_kinds = (("cilium.io/v2", "CiliumNetworkPolicy"), ("cilium.io/v2", "CiliumClusterwideNetworkPolicy"))
    permissions: tuple[Rule, ...] = (
        ("cilium.io", "ciliumnetworkpolicies", "", EDIT),
        ("cilium.io", "ciliumclusterwidenetworkpolicies", "", EDIT),
        ("cilium.io", "ciliumnodes", "", ("get", "list")),
    )
    install_resources: tuple[tuple[str, str], ...] = (
        ("apiextensions.k8s.io", "customresourcedefinitions"), ("rbac.authorization.k8s.io", "clusterroles"),
        ("rbac.authorization.k8s.io", "clusterrolebindings"), ("apps", "daemonsets"),
    )
    is_cni = True  # its kind config turns kindnet off, so nodes wait for it
    lint_checks = CHECKS
    chart_key = "cilium_chart"
    # the cilium-config keys reported in MeshInfo.details (the Allure environment)
    shown_config: tuple[str, ...] = ("enable-wireguard", "enable-l7-proxy", "kube-proxy-replacement")

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
        details = {k: config[k] for k in self.shown_config if k in config}
        return MeshInfo(self.name, image_tag(containers[0]["image"]), frozenset(features), details)

    @staticmethod
    def declares_paths(obj: Mapping[str, Any]) -> bool:
        return declares_paths(obj)

    def namespace_labels(self) -> Mapping[str, str]:
        return {}

    def namespace_annotations(self) -> Mapping[str, str]:
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
            return EncryptionFacts("wireguard", 51871, "udp", False, reason, between="nodes")
        if "ipsec" in info.features:
            return ipsec_facts()
        return EncryptionFacts("none", None, "", False, "Cilium runs without transparent encryption")

    def strict_mtls(self, namespaces: Sequence[str], labels: Mapping[str, str],
                    proxy: ProxyAccess) -> list[Manifest]:
        raise Unsupported("cilium", "no mTLS mode that refuses plaintext per namespace (encryption is node to node)")

    def encryption_peers(self, cluster: Cluster) -> Mapping[str, bool]:
        """Node -> whether its CiliumNode publishes a WireGuard public key (a node without one has no peers)."""
        nodes = {n["metadata"]["name"] for n in cluster.list("v1", "Node")}
        cilium_nodes = {c["metadata"]["name"]: c for c in cluster.list("cilium.io/v2", "CiliumNode")}
        return {
            name: bool(cilium_nodes.get(name, {}).get("metadata", {}).get("annotations", {}).get(WG_KEY_ANNOTATION))
            for name in sorted(nodes)
        }

    def install_steps(self, ctx: InstallContext) -> list[Step]:
        return cilium_steps(ctx)

    def install_pins(self, versions: Versions) -> tuple[tuple[str, str], ...]:
        return (("cilium chart", versions.pin("cilium_chart")),)

    def install_notes(self, fips: bool) -> tuple[str, ...]:
        return ("WireGuard needs the nodes' kernel wireguard module (kind: the host's kernel)",)
