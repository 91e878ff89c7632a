"""Cilium with IPsec: the cilium driver (same agent, same CiliumNetworkPolicy renderer and lint) with IPsec's
detection, encryption facts, per-node key state, key Secret and values.

L7 policy with IPsec, as the sources say it today (the seed's blog: "L7 policy and load balancing are
incompatible with IPsec"): Cilium's IPsec guide (v1.16 to v1.20, Limitations) lists no L7 limitation; it
listed "for clusters running in native routing mode, IPsec encryption is not applied to connections which are
selected by an L7 Egress Network Policy or a DNS Policy" (PR #31478, GHSA-j89h-qrvr-xc36) until the fix
(PR #32683) and its removal from the docs (PR #32906, June 2024, before 1.16.0). Pod-to-pod traffic through an
egress and an ingress proxy was MTU-dropped with IPsec (cilium/cilium#33168) until 1.16.4 (PR #35173), the
pinned chart. What remains documented is a dependency, not a limitation: with the L7 proxy, IPsec needs the
DNS proxy in transparent mode. So L7 tests run and are measured; detect() reports this in the details, and
the encryption suite checks that traffic under an L7 policy is still ESP (tests/encryption/test_cilium_ipsec.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from ...cluster.base import Cluster
from ..base import InstallContext, MeshInfo, MeshNotFound
from ..cilium.driver import CiliumDriver
from ..install.steps import Step
from ..install.versions import Versions
from .facts import AEAD, KEY_SECRET, key_indices
from .install import CHART_PIN, cilium_ipsec_steps

__all__ = ["L7_WITH_IPSEC", "CiliumIpsecDriver"]

L7_WITH_IPSEC = (
    "supported: Cilium's IPsec guide lists no L7 limitation since PR #32906 (the native-routing L7-egress gap, "
    "GHSA-j89h-qrvr-xc36, fixed by PR #32683); egress+ingress proxy MTU drops (#33168) fixed in 1.16.4; "
    "needs dnsproxy-enable-transparent-mode=true"
)


class CiliumIpsecDriver(CiliumDriver):
    name = "cilium-ipsec"
    colour = "#CC79A7"  # Okabe-Ito reddish purple: next to cilium's orange, apart from the other meshes
    install_resources = (*CiliumDriver.install_resources, ("", "secrets"))  # the key Secret
    chart_key = CHART_PIN
    shown_config = (*CiliumDriver.shown_config, "enable-ipsec", "dnsproxy-enable-transparent-mode")

    def detect(self, cluster: Cluster) -> MeshInfo:
        info = super().detect(cluster)
        if "ipsec" not in info.features:
            raise MeshNotFound(f"{self.name}: Cilium runs, but kube-system/cilium-config has no enable-ipsec: "
                               f"\"true\" (installed with WireGuard or without encryption?)")
        details = {**info.details, "ipsec-key-secret": f"kube-system/{KEY_SECRET}", "l7-with-ipsec": L7_WITH_IPSEC}
        return MeshInfo(info.name, info.version, info.features, details)

    def encryption_peers(self, cluster: Cluster) -> Mapping[str, bool]:
        """Node -> whether its CiliumNode reports an IPsec key index (spec.encryption.key > 0): a node at 0
        neither encrypts nor is encrypted to (bpf/lib/encrypt.h: 0 on either end means no encryption)."""
        return {node: key > 0 for node, key in key_indices(cluster).items()}

    def install_steps(self, ctx: InstallContext) -> list[Step]:
        return cilium_ipsec_steps(ctx)

    def install_pins(self, versions: Versions) -> tuple[tuple[str, str], ...]:
        return (("cilium chart", versions.pin(CHART_PIN)),)

    def install_notes(self, fips: bool) -> tuple[str, ...]:
        notes = [f"IPsec key: generated at install ({AEAD}, 20 random bytes, as Cilium's IPsec guide), kept "
                 f"only in Secret kube-system/{KEY_SECRET}; an existing Secret is used as it is"]
        if fips:
            notes.append("fips: AES-GCM ESP is FIPS-capable only on nodes whose kernel crypto runs in FIPS mode "
                         "(/proc/sys/crypto/fips_enabled = 1; kind: the host's kernel); not a validation claim")
        return tuple(notes)
