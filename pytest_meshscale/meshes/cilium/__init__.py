"""Cilium with WireGuard and its L7 proxy: driver, CiliumNetworkPolicy renderer, install steps."""
