"""The data-plane agent of a real control plane (sim/agent), run by the embedded sim against its own API server
(by default; `meshscale sim up --no-agent` or MESHSCALE_SIM_AGENT=0 for the in-process data plane), so that
the two local backends differ only in the API server: the agent lists and watches through HTTP with the
ordinary client of the kwok backend (control_plane/kubeapi.Api), plays the mesh's controllers it has writers
for, ends Job pods through the API, and its runtime (the images over its Mirror) answers the API server's pod
proxy, logs and metrics.k8s.io in-process, where kube-apiserver reaches it through the egress CONNECT.

The mesh's admission (a sidecar injector: the model's `admitted` resources) is the agent's once it runs: the sim
sends each such create to the agent as an AdmissionReview and applies the JSONPatch it answers, what
kube-apiserver does with the webhook the agent serves on kwok (in-process where kube-apiserver goes through the
egress CONNECT). The mesh's own install, before the agent starts, is admitted by the model over the Store.

The perf model's API write totals come from the sim's /metrics as on kwok from kube-apiserver's (agent/writes.py):
there, `meshscale_sim_store_writes_total` counts every write to the Store, its controllers' included, which go to
the Store directly (kube-controller-manager's are requests in kube-apiserver's counter).

    agent = start_agent(server, world, log)   # after world.start()
    ...
    agent.stop()
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable

from .agent import Agent
from .agent.admission import review_response
from .agent_switch import AGENT_ENV, agent_default
from .control_plane.kubeapi import Api as Client
from .server.http import ApiServer
from .server.patch import json_patch
from .store import Obj
from .world import World

__all__ = ["AGENT_ENV", "agent_default", "start_agent"]

def start_agent(server: ApiServer, world: World, log: Callable[[str], None], timeout: float = 60.0) -> Agent:
    """Start the agent on `server` (listening, `world` started); the server's pods are then answered by it, and
    the mesh's admission too."""
    client = Client.with_token(server.port, server.tls.ca_pem.decode(), server.api.auth.agent_token)
    agent = Agent(client, world.mesh, world.profile, world.faults, log, world.seed)
    agent.start(timeout)
    server.api.serve_pods(agent.runtime)
    admitted = agent.runtime.dataplane.model.admitted
    if admitted:
        world.admission_by(lambda resource, obj: _webhook(agent, admitted, resource, obj))
    return agent


def _webhook(agent: Agent, admitted: tuple[str, ...], resource: str, obj: Obj) -> None:
    """A create of `resource` through the agent's mutating webhook, as kube-apiserver calls it on kwok (the rules
    of control_plane/admission.py: CREATE of the `admitted` resources): the review's patch applied to `obj`."""
    if resource not in admitted:
        return
    name, _, group = resource.partition(".")
    meta = obj.get("metadata") or {}
    request = {"uid": str(uuid.uuid4()), "operation": "CREATE", "namespace": meta.get("namespace", ""),
               "resource": {"group": group, "version": str(obj.get("apiVersion", "v1")).rpartition("/")[2],
                            "resource": name}, "object": obj}
    response = review_response({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request},
                               agent.admit)["response"]
    if response.get("patch"):
        patched = json_patch(obj, json.loads(base64.b64decode(response["patch"])))
        for key in ("metadata", "spec"):  # replaced, never changed in place: they may be the caller's (Store)
            obj[key] = patched[key]
