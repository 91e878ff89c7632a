"""Mesh drivers: one folder per mesh (driver, renderers, install steps, permissions, colour), and the one
registry of meshes that options, install plans, permissions, teardown and reports read."""

from __future__ import annotations

from .base import Component, EncryptionFacts, InstallContext, MeshDriver, MeshInfo, MeshNotFound
from .baseline.driver import BaselineDriver
from .cilium.driver import CiliumDriver
from .cilium_ipsec.driver import CiliumIpsecDriver
from .istio_ambient.driver import IstioAmbientDriver
from .istio_sidecar.driver import IstioSidecarDriver
from .linkerd.driver import LinkerdDriver

__all__ = [
    "DRIVERS", "MESHES", "Component", "EncryptionFacts", "InstallContext", "MeshDriver", "MeshInfo",
    "MeshNotFound", "driver_for", "mesh_colour", "policy_kinds",
]

# The registry: adding a mesh is its folder plus one line here. Order is the report's order.
DRIVERS: dict[str, type[IstioAmbientDriver | IstioSidecarDriver | CiliumDriver | LinkerdDriver | BaselineDriver]] = {
    "istio-ambient": IstioAmbientDriver,
    "istio-sidecar": IstioSidecarDriver,
    "cilium": CiliumDriver,
    "cilium-ipsec": CiliumIpsecDriver,
    "linkerd": LinkerdDriver,
    "baseline": BaselineDriver,
}
MESHES = tuple(DRIVERS)


def driver_for(mesh: str) -> MeshDriver:
    driver: MeshDriver = DRIVERS[mesh]()
    return driver


def mesh_colour(mesh: str) -> str | None:
    driver = DRIVERS.get(mesh)
    return driver.colour if driver else None


def policy_kinds() -> tuple[tuple[str, str], ...]:
    """Every kind any mesh's renderers create: teardown and cleanup look at all of them."""
    return tuple(dict.fromkeys(kind for driver in DRIVERS.values() for kind in driver.policy_kinds))
