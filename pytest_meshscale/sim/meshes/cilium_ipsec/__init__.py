"""Cilium 1.16.4 with IPsec transparent encryption, modelled from Cilium's IPsec guide and datapath source."""

from .mesh import CiliumIpsecSim

__all__ = ["CiliumIpsecSim"]
