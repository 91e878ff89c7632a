"""The simulated cluster's world: nodes from the profile, kube-system basics, the mesh's components,
the KWOK-like controllers and the runtime that plays the pods' images. It only wires those together.

    world = build_world(store, "cilium", profile, faults, seed=0)
    world.start()   # nodes, components, then controllers (pods appear and turn Ready)
    ...             # world.runtime answers pod proxy / logs / metrics for the API server
    world.stop()
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..model import Profile
from .components import install_kube_system
from .controllers import Controllers, Timing, load_timing, node_objects
from .faults import Faults
from .meshes import MESHES, SimContext, sim_mesh
from .runtime import PodRuntime
from .store import Store

__all__ = ["MESHES", "World", "build_world"]


def _runtime(store: Store, mesh: str, profile: Profile, faults: Faults, seed: int) -> PodRuntime:
    """The simulated images (sim/images, imported late: it pulls in the data plane and perf model)."""
    from .images import SimRuntime

    return SimRuntime(store, mesh, profile, faults, seed)


@dataclass
class World:
    store: Store
    mesh: str
    profile: Profile
    faults: Faults
    seed: int
    runtime: PodRuntime
    controllers: Controllers
    _started: bool = field(default=False, init=False)

    def start(self, wait_s: float = 60.0) -> None:
        """Create nodes and components, start the controllers, and wait (at most wait_s) until the
        components' pods are Ready: "pre-installed" means running when the cluster is handed over."""
        if self._started:
            return
        for node in node_objects(self.profile, self.seed):
            if self.store.try_get("nodes", None, node["metadata"]["name"]) is None:
                self.store.create("nodes", node)
        self._install()
        self.controllers.start()
        self._started = True
        if wait_s > 0:
            self.controllers.settle(wait_s)

    def _install(self) -> None:
        """kube-system basics, then the mesh's objects and its in-cluster controllers."""
        model, ctx = sim_mesh(self.mesh), SimContext(self.profile, self.faults, self.seed)
        install_kube_system(self.store)
        self.store.admission.append(lambda resource, obj: model.admit(self.store, resource, obj, ctx))
        model.install(self.store, ctx)
        for c in model.controllers(self.store, ctx):
            self.controllers.extend(c.name, c.route, c.reconcile, c.resources)

    def settle(self, timeout: float = 30.0) -> bool:
        """Wait until the controllers have nothing left to do (tests, timing script)."""
        return self.controllers.settle(timeout)

    def stop(self) -> None:
        if self._started:
            self.controllers.stop()
            self._started = False


def build_world(store: Store, mesh: str, profile: Profile, faults: Faults, seed: int = 0,
                timing: Timing | None = None) -> World:
    """A World for `mesh` (a name of sim/meshes' registry); nothing happens until start()."""
    sim_mesh(mesh)  # an unknown name fails here, before anything starts
    timing = replace(timing or load_timing(), slow_ready_s=faults.slow_ready_s)
    runtime = _runtime(store, mesh, profile, faults, seed)
    return World(store, mesh, profile, faults, seed, runtime, Controllers(store, runtime, timing, seed))
