"""The baseline as the sim models it: no mesh, the CNI enforces NetworkPolicy and nothing is encrypted (all
SimMesh defaults); only its install differs: the Azure NPM DaemonSet and the ConfigMap saying so."""

from __future__ import annotations

from ...store import Store
from ..base import SimContext, SimMesh
from .components import install_baseline

__all__ = ["BaselineSim"]


class BaselineSim(SimMesh):
    name = "baseline"

    def install(self, store: Store, ctx: SimContext) -> None:
        install_baseline(store)
