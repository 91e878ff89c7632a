"""Istio 1.30 in sidecar mode (istiod, its sidecar injector, an Envoy sidecar per meshed pod), from Istio's docs."""

from .mesh import IstioSidecarSim

__all__ = ["IstioSidecarSim"]
