"""Cilium 1.16 with WireGuard, as the seed installed it, modelled from Cilium's documentation."""

from .mesh import CiliumSim

__all__ = ["CiliumSim"]
