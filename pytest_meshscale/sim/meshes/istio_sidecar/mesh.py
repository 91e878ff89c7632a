"""Istio in sidecar mode as the sim models it: istiod and the injector's config (components.py), the sidecar
injector as the mutating admission of pods (injector.py), policy at the destination's sidecar (policy.py, with the
ambient model's AuthorizationPolicy matching and PeerAuthentication layering) with the CNI's NetworkPolicy after
it, mTLS between sidecars on the app port itself (tls.py), and one perf path, `sidecar`: a client sidecar and a
server sidecar, both Envoy at L7 (fixtures/meshes/istio-sidecar/sim-perf.yaml), whose `sidecar` component is the
istio-proxy container of every meshed pod."""

from __future__ import annotations

from typing import Any

from ...dataplane.netpol import enforce_netpols
from ...dataplane.outcome import Outcome, Request
from ...dataplane.peer import Peer
from ...dataplane.topology import Topology, pod_ip, pod_key
from ...dataplane.wire import WireView, plain, same_node
from ...faults import Faults
from ...perf.loadbook import LoadBook
from ...store import Store
from ..base import ComponentLoad, Obj, SimContext, SimMesh, TlsListener
from ..istio_ambient.kinds import ISTIO_KINDS
from ..istio_ambient.policy import mtls_mode
from .components import install_istio_sidecar
from .injector import inject, injected
from .policy import SERVER_SIDECAR, evaluate_sidecar
from .tls import sidecar_listener, sidecar_tls

__all__ = ["IstioSidecarSim"]

PATH = "sidecar"
OWN_PORTS = frozenset((15000, 15001, 15004, 15006, 15020, 15021, 15053, 15090))  # the sidecar's own (not redirected)


class IstioSidecarSim(SimMesh):
    name = "istio-sidecar"
    crd_folders = ("istio",)
    kinds = ISTIO_KINDS
    watched = (
        ("deployments.apps", "istio-system"),  # istiod's COMPLIANCE_POLICY
        ("authorizationpolicies.security.istio.io", ""), ("peerauthentications.security.istio.io", ""),
    )
    policy_resources = ("authorizationpolicies.security.istio.io", "networkpolicies.networking.k8s.io")
    perf_paths = (PATH,)
    admitted = ("pods",)  # the sidecar injector

    def install(self, store: Store, ctx: SimContext) -> None:
        install_istio_sidecar(store, ctx.profile)

    def admit(self, store: Store, resource: str, obj: Obj, ctx: SimContext | None = None) -> None:
        inject(resource, obj, store, ctx.faults if ctx else Faults())

    def policy(self, topo: Topology, faults: Faults, src: Peer, src_pod: Obj | None, req: Request) -> Outcome:
        outcome = evaluate_sidecar(topo, src, src_pod, req, faults.l7_bypass)
        return outcome if not outcome.allowed else enforce_netpols(topo.store, src, req, outcome)

    def refused_how(self, src_pod: Obj | None, topo: Topology) -> str:
        # the client's own sidecar accepted the connection (iptables to 15001) before the far end failed
        return "reset" if injected(src_pod) else "refused"

    def wire(self, topo: Topology, src: Obj, dst: Obj, port: int, nodes: tuple[str, str]) -> WireView:
        if not (injected(src) and injected(dst)):
            return plain(src, dst, port, nodes, "not both pods run a sidecar: plaintext on the app port")
        version, cipher, versions, fips = sidecar_tls(topo.store, dst)
        return WireView("sidecar-mtls", True, "tcp", pod_ip(src), pod_ip(dst), port, same_node(nodes),
                        "both pods run sidecars: mTLS on the app port", version, cipher, versions, fips)

    def tls_listener(self, topo: Topology, faults: Faults, pod: Obj, port: int) -> TlsListener | None:
        if faults.plaintext or not injected(pod) or port in OWN_PORTS:
            return None
        return sidecar_listener(topo.store, pod, strict=mtls_mode(topo.store, pod, port) == "STRICT")

    def perf_path(self, outcome: Outcome) -> str:
        return PATH if outcome.by == SERVER_SIDECAR else super().perf_path(outcome)

    def component_load(self, component: str, pod: Obj, book: LoadBook, store: Any) -> ComponentLoad:
        if component == PATH:  # this pod's own sidecar: what it sends and what it serves
            return ComponentLoad(book.pod_kqps(pod_key(pod)))
        return super().component_load(component, pod, book, store)
