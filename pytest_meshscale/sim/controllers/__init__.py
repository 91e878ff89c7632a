"""KWOK-like controllers of the simulated cluster: nodes from the profile, Deployments, DaemonSets and
Jobs -> pods, a scheduler and a fake kubelet (Ready after a modelled delay), Services -> Endpoints and
EndpointSlices, namespace defaults. Mesh components add their own controllers through `extend`."""

from .manager import Controllers, Route
from .nodes import SIMULATED, node_objects
from .objects import owner_ref
from .timing import TIMING_FILE, Timing, load_timing

__all__ = ["SIMULATED", "TIMING_FILE", "Controllers", "Route", "Timing", "load_timing", "node_objects", "owner_ref"]
