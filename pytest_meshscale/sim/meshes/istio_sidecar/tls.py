"""The sidecars' mTLS as the openssl probe and the wire see it (Istio 1.30, Envoy with BoringSSL).

- Versions: inbound mTLS accepts TLS 1.2 and 1.3 (meshConfig.meshMTLS.minProtocolVersion defaults to TLSv1_2;
  Envoy's server maximum is 1.3), so two sidecars speak TLS 1.3.
- TLS 1.3 suite: not configurable in BoringSSL; a BoringSSL server with AES hardware scores AES-128-GCM and
  AES-256-GCM alike and takes the client's order (boringssl ssl/tls13_server.cc, ssl_choose_tls13_cipher). A
  sidecar client (BoringSSL) lists AES-128 first: TLS_AES_128_GCM_SHA256 between sidecars; `openssl s_client`
  (OpenSSL 3 lists AES-256 first) gets TLS_AES_256_GCM_SHA384.
- TLS 1.2 (a client forcing it): server preference over Istio's server suites (pilot/pkg/security/authn
  SupportedCiphers, AES-256 first) with the default RSA workload certificate: ECDHE-RSA-AES256-GCM-SHA384.
- COMPLIANCE_POLICY=fips-140-2 on istiod and in the proxy's env (istio/istio#49081): TLS 1.2 only, the four
  ECDHE AES-GCM suites with AES-128 first: ECDHE-RSA-AES128-GCM-SHA256. FIPS-validated only with a FIPS build of
  the proxy; the sim reads that from the proxy image's name (a tag naming `fips`), as the driver must.
- ALPN: a PERMISSIVE port's mTLS filter chain matches only Istio's ALPNs (pilot/pkg/networking/core/
  filterchain_options.go, listener.go allIstioMtlsALPNs); a STRICT port's takes any TLS. The server answers
  istio-peer-exchange first (pilot/pkg/networking/util ALPNDownstreamWithMxc).
"""

from __future__ import annotations

from typing import Any

from ..base import TlsListener
from ..istio_ambient.components import ISTIO_NS
from .injector import SIDECAR

__all__ = ["ISTIO_ALPN", "proxy_env", "sidecar_listener", "sidecar_tls"]

ISTIO_ALPN = ("istio", "istio-peer-exchange", "istio-http/1.0", "istio-http/1.1", "istio-h2")
SERVER_ALPN = ("istio-peer-exchange", "h2", "http/1.1")
TLS13_SIDECARS, TLS13_OPENSSL = "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384"
TLS12_DEFAULT, TLS12_FIPS = "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-AES128-GCM-SHA256"
FIPS_POLICY = "fips-140-2"


def proxy_env(pod: Any) -> tuple[dict[str, str], str]:
    """(env, image) of the pod's istio-proxy container."""
    for c in (pod.get("spec") or {}).get("containers") or []:
        if c.get("name") == SIDECAR:
            return {str(e.get("name")): str(e.get("value", "")) for e in c.get("env") or []}, str(c.get("image", ""))
    return {}, ""


def _istiod_policy(store: Any) -> str:
    obj = store.try_get("deployments.apps", ISTIO_NS, "istiod") or {}
    containers = (((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers") or []
    env = {str(e.get("name")): str(e.get("value", "")) for c in containers for e in c.get("env") or []}
    return env.get("COMPLIANCE_POLICY", "")


def sidecar_tls(store: Any, pod: Any, client: str = "sidecar") -> tuple[str, str, tuple[str, ...], bool]:
    """(version, cipher, accepted versions, fips) of `pod`'s sidecar as a TLS server, for a `client` that is a
    sidecar or `openssl`."""
    env, image = proxy_env(pod)
    if _istiod_policy(store) == FIPS_POLICY and env.get("COMPLIANCE_POLICY") == FIPS_POLICY:
        return "TLSv1.2", TLS12_FIPS, ("TLSv1.2",), "fips" in image.lower()
    return "TLSv1.3", TLS13_SIDECARS if client == "sidecar" else TLS13_OPENSSL, ("TLSv1.3", "TLSv1.2"), False


def sidecar_listener(store: Any, pod: Any, strict: bool) -> TlsListener:
    version, cipher, accepted, _ = sidecar_tls(store, pod, client="openssl")
    tls12 = TLS12_FIPS if accepted == ("TLSv1.2",) else TLS12_DEFAULT
    return TlsListener(version, cipher, accepted, {"TLSv1.3": TLS13_OPENSSL, "TLSv1.2": tls12},
                       alpn_required=() if strict else ISTIO_ALPN, alpn_protocols=SERVER_ALPN)
