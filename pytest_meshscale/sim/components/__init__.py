"""What each simulated cluster has "pre-installed", as a platform team's helm installs leave it: kube-system
basics always (kube_system.py), built with the helpers in build.py; each mesh's own components and in-cluster
controllers live in its folder (sim/meshes/<mesh>/) and are installed by the world through its SimMesh."""

from __future__ import annotations

from .kube_system import install_kube_system

__all__ = ["install_kube_system"]
