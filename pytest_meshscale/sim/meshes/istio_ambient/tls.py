"""ztunnel's HBONE TLS as istiod and ztunnel config set it: TLS 1.3 (TLS_AES_256_GCM_SHA384) unless the FIPS
trio holds: istiod env COMPLIANCE_POLICY=fips-140-2, ztunnel env TLS12_ENABLED=true and a FIPS crypto provider
(ztunnel env CRYPTO_PROVIDER=tls-boring, or a ztunnel image tag ending in `-fips`): then TLS 1.2
ECDHE-ECDSA-AES256-GCM-SHA384."""

from __future__ import annotations

from typing import Any

from ..base import TlsListener

__all__ = ["HBONE_PORT", "TLS12_FIPS_CIPHER", "TLS13_CIPHER", "ambient_tls", "crypto_provider", "hbone_listener"]

HBONE_PORT = 15008
TLS13_CIPHER = "TLS_AES_256_GCM_SHA384"  # rustls TLS13_AES_256_GCM_SHA384, as OpenSSL names it
TLS12_FIPS_CIPHER = "ECDHE-ECDSA-AES256-GCM-SHA384"


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



def hbone_listener(store: Any) -> TlsListener:
    """ztunnel's HBONE server as `openssl s_client` meets it (a forced version gets that version's cipher)."""
    version, cipher, accepted, _ = ambient_tls(store)
    return TlsListener(version, cipher, accepted, {"TLSv1.3": TLS13_CIPHER, "TLSv1.2": TLS12_FIPS_CIPHER})
