"""Linkerd's policy resources as the embedded API server serves them (policy.linkerd.io; versions, storage version
first, and short names from the 2.20 CRDs in shared/upstream/crds/linkerd/)."""

from __future__ import annotations

from ...server.kinds import Kind

__all__ = ["LINKERD_KINDS"]

G = "policy.linkerd.io"
LINKERD_KINDS = (
    Kind(G, ("v1beta3", "v1beta2", "v1beta1", "v1alpha1"), "servers", "Server", short_names=("srv",), crd=True),
    Kind(G, ("v1alpha1",), "authorizationpolicies", "AuthorizationPolicy", short_names=("authzpolicy",), crd=True),
    Kind(G, ("v1alpha1",), "meshtlsauthentications", "MeshTLSAuthentication", short_names=("meshtlsauthn",),
         crd=True),
    Kind(G, ("v1alpha1",), "networkauthentications", "NetworkAuthentication", short_names=("netauthn", "networkauthn"),
         crd=True),
    Kind(G, ("v1beta3", "v1beta2", "v1beta1", "v1alpha1"), "httproutes", "HTTPRoute", status=True, crd=True),
)
