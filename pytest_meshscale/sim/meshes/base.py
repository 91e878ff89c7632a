"""SimMesh: everything the sim knows about one mesh, as the upstream project documents it. Each mesh's folder
subclasses it; the defaults are the baseline's behaviour (a plain CNI enforcing Kubernetes NetworkPolicy,
plaintext on the wire, nothing installed beyond kube-system), so a mesh overrides only what it changes.

The sim never asks "which mesh is this?": it asks the cluster's SimMesh (sim/meshes/__init__.py: SIM_MESHES).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ...data import data_path
from ...model import Profile
from ..dataplane.netpol import enforce_netpols
from ..dataplane.outcome import Outcome, Request
from ..dataplane.peer import Peer
from ..dataplane.topology import Topology
from ..dataplane.wire import WireView, plain
from ..faults import Faults
from ..perf.params import DIRECT_PATH
from ..server.kinds import Kind

if TYPE_CHECKING:  # only for signatures: these packages import the data plane, which is below the meshes
    from ..controllers.manager import Key
    from ..images.base import ImageHandler
    from ..perf.loadbook import LoadBook
    from ..store import Store

__all__ = ["ComponentLoad", "Log", "MeshController", "Obj", "SimContext", "SimMesh", "TlsListener", "Writer"]

Obj = dict[str, Any]
Log = Callable[[str], None]
PERF_FILE = "sim-perf.yaml"


@dataclass(frozen=True, slots=True)
class SimContext:
    """What a mesh's install, controllers and kwok statuses may depend on besides the objects themselves."""

    profile: Profile
    faults: Faults
    seed: int = 0


class MeshController(Protocol):
    """An in-cluster controller of the mesh (istiod's waypoint controller, Cilium's CiliumNode per node), run by
    the sim's controller manager: events of `resources` are routed to keys whose first item is `name`."""

    @property
    def name(self) -> str: ...

    @property
    def resources(self) -> tuple[str, ...]: ...

    def route(self, event: str, resource: str, obj: Obj) -> Iterable[Key]: ...

    def reconcile(self, key: Key) -> None: ...


class Writer(Protocol):
    """What the agent plays of a mesh's control plane on a real API server (KWOK runs no mesh controllers)."""

    def stop(self) -> None: ...


@dataclass(frozen=True, slots=True)
class TlsListener:
    """A TLS server the mesh runs on a pod's port, as `openssl s_client` meets it."""

    version: str  # negotiated when the client forces none
    cipher: str
    accepted: tuple[str, ...]  # the versions it accepts
    ciphers: Mapping[str, str]  # the cipher per version, when the client forces one
    alpn_required: tuple[str, ...] = ()  # the client must offer one of these, or it is closed (); () = none needed
    alpn_protocols: tuple[str, ...] = ()  # what the server selects from, in its order of preference

    def negotiate(self, want: str) -> tuple[str, str] | None:
        """(version, cipher) for a client forcing `want` ('' = none), None when the server refuses it."""
        if want and want not in self.accepted:
            return None
        if want and want != self.version:
            return want, self.ciphers[want]
        return self.version, self.cipher

    def takes(self, offered: tuple[str, ...]) -> bool:
        """Whether a client offering these ALPN protocols reaches this TLS server at all."""
        return not self.alpn_required or bool(set(offered) & set(self.alpn_required))

    def alpn(self, offered: tuple[str, ...]) -> str:
        """The protocol the server selects ('' = none negotiated): its first that the client offers."""
        return next((p for p in self.alpn_protocols if p in offered), "")


@dataclass(frozen=True, slots=True)
class ComponentLoad:
    """The load crossing one container of a mesh component: thousands of requests/s, and the Services it holds
    config for (None: every Service of the cluster)."""

    kqps: float = 0.0
    services: int | None = None


class SimMesh:
    # ---- identity and API ----------------------------------------------------------------------------------
    name: ClassVar[str]  # the registry key, the driver's name, `--mesh`
    crd_folders: ClassVar[tuple[str, ...]] = ()  # upstream CRD folders (kwok) under --mesh-crds
    kinds: ClassVar[tuple[Kind, ...]] = ()  # its custom resources, served built in by every embedded API server
    # (store key, namespace or "") the agent watches on kwok to feed this mesh's model
    watched: ClassVar[tuple[tuple[str, str], ...]] = ()
    policy_resources: ClassVar[tuple[str, ...]] = ("networkpolicies.networking.k8s.io",)  # counted as policies
    images: ClassVar[Mapping[str, type[ImageHandler]]] = {}  # repository -> handler of the mesh's own images
    tls_ports: ClassVar[tuple[int, ...]] = ()  # pod ports where the mesh, not the app, may answer TLS
    perf_paths: ClassVar[tuple[str, ...]] = ()  # its modelled latency paths, parameters in perf_file()
    admitted: ClassVar[tuple[str, ...]] = ()  # store keys whose creates its admit() may change (kwok: a webhook)

    # ---- what is installed -----------------------------------------------------------------------------------
    def install(self, store: Store, ctx: SimContext) -> None:
        """Create the mesh's objects as its helm install leaves them (kube-system basics are the world's)."""

    def admit(self, store: Store, resource: str, obj: Obj, ctx: SimContext | None = None) -> None:
        """Mutating admission when an object is created (a sidecar injector's webhook): may replace parts of `obj`
        (never change them in place: they may be the caller's). Runs under the store's lock: read, never write.
        `ctx` (the faults, the profile) is given by the sim and the kwok agent; a mesh may not need it.
        On kwok, the creates of the `admitted` resources reach it as a webhook the agent serves
        (control_plane/admission.py), `store` then its Mirror; a mesh without `admitted` is not admitted there."""

    def controllers(self, store: Store, ctx: SimContext) -> tuple[MeshController, ...]:
        """The mesh's in-cluster controllers on the sim."""
        return ()

    def status_updates(self, created: list[Obj], nodes: list[Obj], ctx: SimContext) -> tuple[list[Obj], list[Obj]]:
        """On kwok: (objects to create once the nodes exist, statuses to PUT) that the mesh's controllers would
        write at once. `created`: the install's objects as the API server returned them; `nodes` likewise."""
        return [], []

    def writers(self, client: Any, mirror: Any, versions: Mapping[str, str], ctx: SimContext, log: Log) -> list[Writer]:
        """Started writers the agent runs on kwok (`versions`: API group -> preferred version served; `ctx`: the
        faults a controller of the mesh acts on, as its `controllers` get them on the sim)."""
        return []

    # ---- the data plane --------------------------------------------------------------------------------------
    def policy(self, topo: Topology, faults: Faults, src: Peer, src_pod: Obj | None, req: Request) -> Outcome:
        """The fate of one request under this mesh's policy semantics (NetworkPolicy by the CNI here)."""
        return enforce_netpols(topo.store, src, req, None)

    def refused_how(self, src_pod: Obj | None, topo: Topology) -> str:
        """How a connection the policies allow fails when nothing listens: refused, or a reset when a proxy on
        the client's side had already accepted it."""
        return "refused"

    def wire(self, topo: Topology, src: Obj, dst: Obj, port: int, nodes: tuple[str, str]) -> WireView:
        """What a capture between the two pods' nodes sees (the plaintext fault is applied before)."""
        return plain(src, dst, port, nodes, f"mesh {self.name!r} does not encrypt")

    def tls_listener(self, topo: Topology, faults: Faults, pod: Obj, port: int) -> TlsListener | None:
        """The mesh's TLS server on pod:port (a port of tls_ports, or an app port a sidecar captures), None when it
        does not listen there."""
        return None

    # ---- the performance model -------------------------------------------------------------------------------
    def perf_file(self) -> Path:
        """fixtures/meshes/<name>/sim-perf.yaml: its paths, their capacity per core, its components."""
        return data_path("meshes", self.name, PERF_FILE)

    def perf_path(self, outcome: Outcome) -> str:
        """Which modelled path an allowed request takes, from the component that let it through."""
        return DIRECT_PATH

    def l7_proxy(self, outcome: Outcome) -> tuple[str, str] | None:
        """(namespace, Deployment) of the per-namespace L7 proxy the request crosses, if any (its load)."""
        return None

    def component_load(self, component: str, pod: Obj, book: LoadBook, store: Any) -> ComponentLoad:
        """The load on `pod`, a container of the perf component `component` of this mesh."""
        return ComponentLoad()
