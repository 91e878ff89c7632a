"""What a capture between two pods' nodes sees, per mesh: the encryption facts of the data plane.

- istio-ambient: both pods captured -> HBONE (TCP 15008, pod IPs) inside mTLS. ztunnel speaks TLS 1.3
  (TLS_AES_256_GCM_SHA384) unless the FIPS trio holds: istiod env COMPLIANCE_POLICY=fips-140-2, ztunnel
  env TLS12_ENABLED=true and a FIPS crypto provider (ztunnel env CRYPTO_PROVIDER=tls-boring, or a ztunnel
  image tag ending in `-fips`): then TLS 1.2 ECDHE-ECDSA-AES256-GCM-SHA384. Otherwise plaintext.
- cilium: ConfigMap kube-system/cilium-config `enable-wireguard: "true"` (assumed when the ConfigMap is
  missing: the seed's install) -> WireGuard UDP 51871 between node IPs when the pods are on different
  nodes and both CiliumNodes carry `network.cilium.io/wg-pub-key`; same-node traffic is never encrypted.
  `enable-ipsec: "true"` -> ESP between node IPs (FIPS-capable with an AES-GCM key).
- baseline: plaintext. The `plaintext` fault makes every mesh plaintext.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from .istio import captured
from .topology import Topology, pod_ip

__all__ = ["TLS12_FIPS_CIPHER", "TLS13_CIPHER", "WG_KEY", "WireView", "ambient_tls", "crypto_provider", "wire_view"]

Obj = dict[str, Any]
WG_KEY = "network.cilium.io/wg-pub-key"
TLS13_CIPHER = "TLS_AES_256_GCM_SHA384"  # rustls TLS13_AES_256_GCM_SHA384, as OpenSSL names it
TLS12_FIPS_CIPHER = "ECDHE-ECDSA-AES256-GCM-SHA384"


@dataclass(frozen=True, slots=True)
class WireView:
    protocol: str  # plaintext | hbone-mtls | wireguard | ipsec
    encrypted: bool
    transport: str  # tcp | udp | esp
    src_addr: str  # outer addresses and port as a capture shows them
    dst_addr: str
    port: int
    same_node: bool
    reason: str
    tls_version: str = ""
    cipher: str = ""
    tls_versions: tuple[str, ...] = ()  # what the HBONE server accepts
    fips: bool = False


def _env(store: Any, resource: str, name: str) -> tuple[dict[str, str], str]:
    obj = store.try_get(resource, "istio-system", name) or {}
    containers = (((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    env = {str(e.get("name")): str(e.get("value", "")) for c in containers for e in c.get("env") or []}
    image = str(containers[0].get("image", "")) if containers else ""
    return env, image


def crypto_provider(env: dict[str, str], image: str) -> str:
    """The rustls provider of the SIMULATED ztunnel build: a real build's provider is fixed at compile
    time (tls-boring for FIPS); the sim reads it from an image tag ending in `-fips` or, sim-only, from
    env CRYPTO_PROVIDER, so a test can switch a simulated ztunnel to the FIPS build."""
    if env.get("CRYPTO_PROVIDER"):
        return env["CRYPTO_PROVIDER"]
    return "tls-boring" if image.endswith("-fips") else "tls-aws-lc"


def ambient_tls(store: Any) -> tuple[str, str, tuple[str, ...], bool]:
    """(version, cipher, accepted versions, fips) of ztunnel's HBONE TLS, from istiod and ztunnel config."""
    istiod_env, _ = _env(store, "deployments.apps", "istiod")
    zt_env, zt_image = _env(store, "daemonsets.apps", "ztunnel")
    tls12 = zt_env.get("TLS12_ENABLED", "").lower() == "true"
    provider = crypto_provider(zt_env, zt_image) == "tls-boring"
    versions = ("TLSv1.3", "TLSv1.2") if tls12 else ("TLSv1.3",)
    if istiod_env.get("COMPLIANCE_POLICY") == "fips-140-2" and tls12 and provider:
        return "TLSv1.2", TLS12_FIPS_CIPHER, ("TLSv1.2",), True
    return "TLSv1.3", TLS13_CIPHER, versions, False


def _plain(src: Obj, dst: Obj, port: int, same: bool, reason: str) -> WireView:
    return WireView("plaintext", False, "tcp", pod_ip(src), pod_ip(dst), port, same, reason)


def wire_view(topo: Topology, mesh: str, plaintext_fault: bool, src: Obj, dst: Obj, port: int) -> WireView:
    nodes = [str((p.get("spec") or {}).get("nodeName") or "") for p in (src, dst)]
    same = nodes[0] == nodes[1] and bool(nodes[0])
    if plaintext_fault:
        return _plain(src, dst, port, same, "plaintext fault: encryption is off")
    if mesh == "istio-ambient":
        return _ambient(topo, src, dst, port, same)
    if mesh == "cilium":
        return _cilium(topo, src, dst, port, same, nodes)
    return _plain(src, dst, port, same, f"mesh {mesh!r} does not encrypt")


def _ambient(topo: Topology, src: Obj, dst: Obj, port: int, same: bool) -> WireView:
    if not (captured(src, topo) and captured(dst, topo)):
        return _plain(src, dst, port, same, "not both pods captured by ambient: plaintext on the app port")
    version, cipher, versions, fips = ambient_tls(topo.store)
    return WireView(
        "hbone-mtls",
        True,
        "tcp",
        pod_ip(src),
        pod_ip(dst),
        15008,
        same,
        "both pods captured: HBONE over mTLS",
        version,
        cipher,
        versions,
        fips,
    )


def _cilium(topo: Topology, src: Obj, dst: Obj, port: int, same: bool, nodes: list[str]) -> WireView:
    cfg = (topo.store.try_get("configmaps", "kube-system", "cilium-config") or {}).get("data")
    mode = "wireguard" if cfg is None or str(cfg.get("enable-wireguard")).lower() == "true" else ""
    if cfg is not None and str(cfg.get("enable-ipsec")).lower() == "true":
        mode = "ipsec"
    if not mode:
        return _plain(src, dst, port, same, "cilium encryption is disabled")
    if same:
        return _plain(src, dst, port, same, "same node: Cilium never encrypts node-local traffic")
    ips = [topo.node_ip(n) for n in nodes]
    if mode == "ipsec":
        keys = _ipsec_keys(topo)
        return WireView("ipsec", True, "esp", ips[0], ips[1], 0, same, "IPsec between nodes", fips="gcm(aes)" in keys)
    missing = [n for n in nodes if not _wg_key(topo, n)]
    if missing:
        return _plain(src, dst, port, same, f"node {missing[0]} has no WireGuard key ({WG_KEY}): no peer")
    return WireView("wireguard", True, "udp", ips[0], ips[1], 51871, same, "WireGuard between nodes")


def _wg_key(topo: Topology, node: str) -> str:
    cn = topo.store.try_get("ciliumnodes.cilium.io", None, node) or {}
    return str(((cn.get("metadata") or {}).get("annotations") or {}).get(WG_KEY) or "")


def _ipsec_keys(topo: Topology) -> str:
    secret = topo.store.try_get("secrets", "kube-system", "cilium-ipsec-keys") or {}
    text = " ".join(str(v) for v in (secret.get("stringData") or {}).values())
    for value in (secret.get("data") or {}).values():
        try:
            text += " " + base64.b64decode(str(value)).decode(errors="replace")
        except (binascii.Error, ValueError):
            continue
    return text
