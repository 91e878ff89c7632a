"""The meshes the sim models: one folder per mesh (its upstream behaviour, written from the mesh's own docs,
never from the plugin's drivers) and the one registry the rest of the sim reads. Adding a mesh to the sim is
its folder, its data under fixtures/meshes/<mesh>/ and one line here.

Imported late by the sim's low layers (API kinds, data plane, images, perf model, agent): the meshes' modules
build on those layers, so the registry is looked up when a cluster is built, not when a module loads."""

from __future__ import annotations

from .base import ComponentLoad, MeshController, SimContext, SimMesh, TlsListener, Writer
from .baseline import BaselineSim
from .cilium import CiliumSim
from .cilium_ipsec import CiliumIpsecSim
from .istio_ambient import IstioAmbientSim
from .istio_sidecar import IstioSidecarSim
from .linkerd import LinkerdSim

__all__ = ["MESHES", "SIM_MESHES", "ComponentLoad", "MeshController", "SimContext", "SimMesh", "TlsListener",
           "Writer", "sim_mesh"]

# The registry, in the drivers' order (meshes/__init__.py: DRIVERS).
SIM_MESHES: dict[str, SimMesh] = {mesh.name: mesh for mesh in (
    IstioAmbientSim(),
    IstioSidecarSim(),
    CiliumSim(),
    CiliumIpsecSim(),
    LinkerdSim(),
    BaselineSim(),
)}
MESHES = tuple(SIM_MESHES)


def sim_mesh(name: str) -> SimMesh:
    """The registered SimMesh called `name`; ValueError naming the accepted ones otherwise."""
    if name not in SIM_MESHES:
        raise ValueError(f"unknown mesh {name!r}; accepted: {', '.join(MESHES)}")
    return SIM_MESHES[name]
