"""Mesh drivers: one per mesh, each detecting, rendering and describing its mesh through the Cluster API."""

from __future__ import annotations

from .base import Component, EncryptionFacts, MeshDriver, MeshInfo, MeshNotFound
from .baseline import BaselineDriver
from .cilium import CiliumDriver
from .istio_ambient import IstioAmbientDriver

__all__ = ["DRIVERS", "Component", "EncryptionFacts", "MeshDriver", "MeshInfo", "MeshNotFound", "driver_for"]

DRIVERS: dict[str, type] = {"istio-ambient": IstioAmbientDriver, "cilium": CiliumDriver, "baseline": BaselineDriver}


def driver_for(mesh: str) -> MeshDriver:
    return DRIVERS[mesh]()  # type: ignore[no-any-return]
