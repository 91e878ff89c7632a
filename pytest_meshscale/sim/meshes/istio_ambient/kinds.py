"""Istio's security custom resources as the embedded API server serves them (security.istio.io, v1 stored,
v1beta1 still served). The Gateway API kinds its waypoints use are mesh-neutral (sim/server/kinds.py)."""

from __future__ import annotations

from ...server.kinds import Kind

__all__ = ["ISTIO_KINDS"]

ISTIO_KINDS = (
    Kind("security.istio.io", ("v1", "v1beta1"), "authorizationpolicies", "AuthorizationPolicy", status=True,
         short_names=("ap",), crd=True),
    Kind("security.istio.io", ("v1", "v1beta1"), "peerauthentications", "PeerAuthentication", status=True,
         short_names=("pa",), crd=True),
)
