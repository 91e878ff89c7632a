"""The data plane model: requests resolved and decided by the cluster's mesh (its policy semantics and
encryption state live in sim/meshes/<mesh>/), from the objects stored.

Public: DataPlane(store, mesh, faults, listens).decide(src_pod, host, port, method, path) -> Outcome;
.admits_apiserver_proxy(pod, port) -> bool; .wire(src_pod, dst_pod, port) -> WireView.
Egress policy is not modelled (the suites write ingress policy only).
"""

from .engine import DataPlane
from .outcome import Outcome, Request, Verdict
from .peer import APISERVER_IP
from .topology import Topology
from .wire import WireView

__all__ = [
    "APISERVER_IP",
    "DataPlane",
    "Outcome",
    "Request",
    "Topology",
    "Verdict",
    "WireView",
]
