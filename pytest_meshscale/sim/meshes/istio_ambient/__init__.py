"""Istio ambient 1.24 (ztunnel, waypoints, istio-cni), modelled from Istio's documentation."""

from .mesh import IstioAmbientSim

__all__ = ["IstioAmbientSim"]
