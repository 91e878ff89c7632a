"""The data plane model: each mesh's policy semantics and encryption state, from the objects stored.

Public: DataPlane(store, mesh, faults, listens).decide(src_pod, host, port, method, path) -> Outcome;
.admits_apiserver_proxy(pod, port) -> bool; .wire(src_pod, dst_pod, port) -> WireView.
Egress policy is not modelled (the suites write ingress policy only).
"""

from .engine import MESHES, DataPlane
from .outcome import ACCESS_DENIED_CILIUM, ACCESS_DENIED_ISTIO, UPSTREAM_RESET_BODY, Outcome, Request, Verdict
from .peer import APISERVER_IP
from .topology import Topology
from .wire import WireView

__all__ = [
    "ACCESS_DENIED_CILIUM",
    "ACCESS_DENIED_ISTIO",
    "APISERVER_IP",
    "MESHES",
    "UPSTREAM_RESET_BODY",
    "DataPlane",
    "Outcome",
    "Request",
    "Topology",
    "Verdict",
    "WireView",
]
