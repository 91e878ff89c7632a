"""The data-plane agent of a real control plane (sim/agent), run by the embedded sim against its own API server
(by default; `meshscale sim up --no-agent` or MESHSCALE_SIM_AGENT=0 for the in-process data plane), so that
the two local backends differ only in the API server: the agent lists and watches through HTTP with the
ordinary client of the kwok backend (control_plane/kubeapi.Api), plays the mesh's controllers it has writers
for, ends Job pods through the API, and its runtime (the images over its Mirror) answers the API server's pod
proxy, logs and metrics.k8s.io in-process, where kube-apiserver reaches it through the egress CONNECT.

Two inputs stay in-process, both as the Store has them (the Mirror could only lag behind):
- the API write totals of the perf model: the sim's /metrics does not count its controllers' writes, which go to
  the Store directly (kube-controller-manager's go through kube-apiserver's counter);
- the mesh's admission (a sidecar injector) runs in the Store's create as before: the sim calls no webhooks.

    agent = start_agent(server, store, "cilium", profile, faults, seed, log)   # after world.start()
    ...
    agent.stop()
"""

from __future__ import annotations

from collections.abc import Callable

from ..model import Profile
from .agent import Agent
from .agent_switch import AGENT_ENV, agent_default
from .control_plane.kubeapi import Api as Client
from .faults import Faults
from .server.http import ApiServer
from .store import Store

__all__ = ["AGENT_ENV", "agent_default", "start_agent"]

def start_agent(server: ApiServer, store: Store, mesh: str, profile: Profile, faults: Faults, seed: int,
                log: Callable[[str], None], timeout: float = 60.0) -> Agent:
    """Start the agent on `server` (listening, its world started) and make the server's pods answered by it."""
    client = Client.with_token(server.port, server.tls.ca_pem.decode(), server.api.auth.agent_token)
    agent = Agent(client, mesh, profile, faults, log, seed)
    agent.mirror.writes = lambda: dict(store.write_counts)
    agent.start(timeout)
    server.api.serve_pods(agent.runtime)
    return agent
