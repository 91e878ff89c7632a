"""The simulated cluster's world: nodes from the profile, kube-system basics, the mesh's components,
the KWOK-like controllers and the runtime that plays the pods' images. It only wires those together.

    world = build_world(store, "cilium", profile, faults, seed=0)
    world.start()   # nodes, components, then controllers (pods appear and turn Ready)
    ...             # world.runtime answers pod proxy / logs / metrics for the API server
    world.stop()

With `agent=True` (meshscale sim up --agent) the world keeps only what a real control plane's own parts do
(the KWOK-like controllers, the mesh's install, and the in-cluster controllers of a mesh the agent cannot play):
the data-plane agent, started over HTTP once the API server listens (sim/embedded_agent.py), runs the images,
ends Job pods, plays the mesh controllers it has writers for and, from then on, answers the mesh's admission
(`admission_by`), as on kwok.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ..model import Profile
from .components import install_kube_system
from .controllers import Controllers, Timing, load_timing, node_objects
from .faults import Faults
from .meshes import MESHES, SimContext, SimMesh, sim_mesh
from .runtime import NullRuntime, PodRuntime
from .store import Obj, Store

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
    agent: bool = False  # the data plane and the mesh's writers are the agent's (embedded_agent.py)
    _started: bool = field(default=False, init=False)
    _admission: Callable[[str, Obj], None] | None = field(default=None, init=False)  # its hook in the Store

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
        self._admission = lambda resource, obj: model.admit(self.store, resource, obj, ctx)
        self.store.admission.append(self._admission)
        model.install(self.store, ctx)
        if self.agent and agent_writes(model):
            return  # the agent plays them through the API
        for c in model.controllers(self.store, ctx):
            self.controllers.extend(c.name, c.route, c.reconcile, c.resources)

    def admission_by(self, webhook: Callable[[str, Obj], None]) -> None:
        """From now on the mesh's admission is `webhook` (the agent's), no longer the model over the Store. After
        start(): it takes the place of the hook the install put there (before it, start() would add the model's too)."""
        assert self._admission is not None, "admission_by() before start()"
        hooks = self.store.admission
        hooks[hooks.index(self._admission)] = webhook
        self._admission = webhook

    def settle(self, timeout: float = 30.0) -> bool:
        """Wait until the controllers have nothing left to do (tests, timing script)."""
        return self.controllers.settle(timeout)

    def stop(self) -> None:
        if self._started:
            self.controllers.stop()
            self._started = False


def agent_writes(model: SimMesh) -> bool:
    """Whether the agent plays this mesh's in-cluster controllers (its `writers`). A mesh without writers keeps its
    controllers on the Store also under the agent: on kwok those write once at install (`status_updates`)."""
    return type(model).writers is not SimMesh.writers


def build_world(store: Store, mesh: str, profile: Profile, faults: Faults, seed: int = 0,
                timing: Timing | None = None, agent: bool = False) -> World:
    """A World for `mesh` (a name of sim/meshes' registry); nothing happens until start(). With `agent`, its
    runtime is a NullRuntime: pods are served by the agent's (no second copy of the data plane is built)."""
    sim_mesh(mesh)  # an unknown name fails here, before anything starts
    timing = replace(timing or load_timing(), slow_ready_s=faults.slow_ready_s)
    runtime = NullRuntime() if agent else _runtime(store, mesh, profile, faults, seed)
    controllers = Controllers(store, runtime, timing, seed, jobs_by_agent=agent)
    return World(store, mesh, profile, faults, seed, runtime, controllers, agent)
