"""Cilium's custom resources as the embedded API server serves them (cilium.io/v2; status and short names
from the upstream CRDs)."""

from __future__ import annotations

from ...server.kinds import Kind

__all__ = ["CILIUM_KINDS"]

CILIUM_KINDS = (
    Kind("cilium.io", ("v2",), "ciliumnetworkpolicies", "CiliumNetworkPolicy", status=True,
         short_names=("cnp", "ciliumnp"), crd=True),
    Kind("cilium.io", ("v2",), "ciliumclusterwidenetworkpolicies", "CiliumClusterwideNetworkPolicy", False,
         status=True, short_names=("ccnp",), crd=True),
    Kind("cilium.io", ("v2",), "ciliumnodes", "CiliumNode", False, short_names=("cn", "ciliumn"), crd=True),
)
