"""Linkerd 2.20 as the sim models it: the control plane its charts install (components.py), the proxy injector as
a mutating admission (inject.py), the identity controller's certificates and events (identity.py), inbound policy
at the destination's proxy (policy.py) with the CNI's NetworkPolicy after it, mTLS between meshed pods on the
inbound proxy port 4143, and its perf paths: linkerd-http (two proxies that parse HTTP) and linkerd-tcp (two
proxies forwarding an opaque stream), parameters in fixtures/meshes/linkerd/sim-perf.yaml.

On the wire (../domain/linkerd.md §2): since 2.18 `proxy.outboundTransportMode: transport-header` is the default,
so a meshed client's proxy connects to the destination pod's IP on 4143, not the app port, in TLS 1.3 only
(linkerd2-proxy linkerd/rustls/src/crypto.rs: TLS_VERSIONS = [TLS13]). The suite the proxy picks with OpenSSL's
default client order is TLS_AES_256_GCM_SHA384 (rustls follows the client's preference unless told otherwise:
an inference). A pair with an unmeshed end is plaintext on the app port. Open-source builds are not FIPS."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...dataplane.netpol import enforce_netpols
from ...dataplane.outcome import Outcome, Request
from ...dataplane.peer import Peer
from ...dataplane.topology import Topology, pod_ip, pod_key
from ...dataplane.wire import WireView, plain, same_node
from ...faults import Faults
from ...perf.loadbook import LoadBook
from ...store import Store
from ..base import ComponentLoad, Log, MeshController, Obj, SimContext, SimMesh, TlsListener, Writer
from .components import INBOUND, NAMESPACE, PROXY, install_linkerd
from .identity import IdentityController, identity_missing
from .inject import inject_pod, meshed
from .kinds import LINKERD_KINDS, G
from .policy import HTTP_BY, OPAQUE_BY, evaluate_linkerd

__all__ = ["LinkerdSim"]

HTTP, TCP = "linkerd-http", "linkerd-tcp"
TLS13, CIPHER = "TLSv1.3", "TLS_AES_256_GCM_SHA384"


class LinkerdSim(SimMesh):
    name = "linkerd"
    crd_folders = ("linkerd",)
    kinds = LINKERD_KINDS
    watched = (
        ("deployments.apps", NAMESPACE),  # the policy controller's --default-policy
        *((f"{k.plural}.{G}", "") for k in LINKERD_KINDS),
    )
    policy_resources = (f"servers.{G}", f"authorizationpolicies.{G}", f"httproutes.{G}",
                        "networkpolicies.networking.k8s.io")
    tls_ports = (INBOUND,)
    perf_paths = (HTTP, TCP)
    admitted = ("pods",)  # the proxy injector (on kwok: the agent's webhook)

    def install(self, store: Store, ctx: SimContext) -> None:
        install_linkerd(store)

    def admit(self, store: Store, resource: str, obj: Obj, ctx: SimContext | None = None) -> None:
        if resource == "pods":
            inject_pod(store, obj)

    def controllers(self, store: Store, ctx: SimContext) -> tuple[MeshController, ...]:
        return (IdentityController(store, ctx.faults),)

    def writers(self, client: Any, mirror: Any, versions: Mapping[str, str], ctx: SimContext, log: Log) -> list[Writer]:
        from .identity_writer import IdentityWriter  # late: the agent's modules import the images, hence us

        return [IdentityWriter(client, mirror, ctx.faults, log).start()]

    def policy(self, topo: Topology, faults: Faults, src: Peer, src_pod: Obj | None, req: Request) -> Outcome:
        outcome = evaluate_linkerd(topo, faults, src, src_pod, req)
        return outcome if not outcome.allowed else enforce_netpols(topo.store, src, req, outcome)

    def refused_how(self, src_pod: Obj | None, topo: Topology) -> str:
        # a meshed client's own proxy accepted the connection (iptables redirect): the failure is a reset
        return "reset" if meshed(src_pod) else "refused"

    def wire(self, topo: Topology, src: Obj, dst: Obj, port: int, nodes: tuple[str, str]) -> WireView:
        if not (meshed(src) and meshed(dst)):
            return plain(src, dst, port, nodes, "not both pods meshed: plaintext on the app port")
        return WireView("linkerd-mtls", True, "tcp", pod_ip(src), pod_ip(dst), INBOUND, same_node(nodes),
                        "both pods meshed: mTLS to the inbound proxy port (transport header)", TLS13, CIPHER,
                        (TLS13,), False)

    def tls_listener(self, topo: Topology, faults: Faults, pod: Obj, port: int) -> TlsListener | None:
        if port != INBOUND or faults.plaintext or not meshed(pod) or identity_missing(topo.store, faults, pod):
            return None  # no proxy, or a proxy without a certificate: nothing completes a handshake there
        return TlsListener(TLS13, CIPHER, (TLS13,), {TLS13: CIPHER})

    def perf_path(self, outcome: Outcome) -> str:
        if outcome.by == HTTP_BY:
            return HTTP
        if outcome.by == OPAQUE_BY:
            return TCP
        return super().perf_path(outcome)

    def component_load(self, component: str, pod: Obj, book: LoadBook, store: Any) -> ComponentLoad:
        if component == PROXY:  # a sidecar carries its own pod's requests, in and out
            return ComponentLoad(book.pod_kqps(pod_key(pod)))
        return super().component_load(component, pod, book, store)
