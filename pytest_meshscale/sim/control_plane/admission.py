"""A mesh's mutating admission (SimMesh.admit, e.g. Istio's sidecar injector) on the real control plane: the agent
serves it as a webhook (sim/agent/admission.py), and `up` registers it as the mesh's chart registers its own:

- a Service `kube-system/meshscale-admission` without a selector and its one EndpointSlice at ADMISSION_ENDPOINT,
  an address nothing has: with `--enable-aggregator-routing` kube-apiserver resolves webhook Services to their
  endpoints too (cmd/kube-apiserver buildServiceResolver serves the aggregator and the admission webhooks) and
  dials them through the egress selector's `cluster` connection, where the agent answers;
- a MutatingWebhookConfiguration for CREATE of the mesh's `admitted` resources, caBundle the run's CA (which signed
  the agent's certificate for meshscale-admission.kube-system.svc), failurePolicy Fail as istiod's injector has,
  sideEffects None.

Then it waits until the webhook is called: a server-side dry run of a pod in kube-system goes through it (a dry
run calls webhooks whose sideEffects are None), so the fleet's first pods cannot race the API server's webhook
informer. Every object carries LABELS; they go with the control plane.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Sequence
from typing import Any

from .aggregated import LABELS as AGENT_LABELS
from .aggregated import agent_service
from .kubeapi import Api, ApiError
from .pki import ADMISSION_SERVICE

__all__ = ["ADMISSION_ENDPOINT", "WEBHOOK", "manifests", "register"]

Obj = dict[str, Any]
ADMISSION_ENDPOINT = ("10.127.0.11", 4443)  # beside the metrics endpoint, outside every pod, node and Service range
WEBHOOK = "meshscale-mutating-admission"
LABELS = {**AGENT_LABELS, "app.kubernetes.io/name": ADMISSION_SERVICE[1], "app.kubernetes.io/component": "admission"}
_PROBE = {"apiVersion": "v1", "kind": "Pod",
          "metadata": {"name": "meshscale-admission-probe", "namespace": "kube-system", "labels": dict(LABELS)},
          "spec": {"containers": [{"name": "probe", "image": "registry.k8s.io/pause:3.10"}]}}


def manifests(ca_pem: bytes, resources: Sequence[str]) -> list[Obj]:
    """Service, EndpointSlice and the MutatingWebhookConfiguration for `resources` (Store keys, e.g. "pods")."""
    rules = [{"operations": ["CREATE"], "apiGroups": [r.partition(".")[2]], "apiVersions": ["*"],
              "resources": [r.partition(".")[0]], "scope": "*"} for r in resources]
    ns, name = ADMISSION_SERVICE
    webhook = {"name": "admission.meshscale.io", "admissionReviewVersions": ["v1"], "sideEffects": "None",
               "failurePolicy": "Fail", "reinvocationPolicy": "Never", "timeoutSeconds": 10, "rules": rules,
               "clientConfig": {"service": {"namespace": ns, "name": name, "path": "/admit", "port": 443},
                                "caBundle": base64.b64encode(ca_pem).decode()}}
    config = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration",
              "metadata": {"name": WEBHOOK, "labels": dict(LABELS)}, "webhooks": [webhook]}
    return [*agent_service(ADMISSION_SERVICE, ADMISSION_ENDPOINT, LABELS), config]


def register(api: Api, ca_pem: bytes, resources: Sequence[str], served: Callable[[], int],
             progress: Callable[[str], None], timeout: float) -> float:
    """Create the objects, then dry-run a pod until the agent has answered a review; the seconds it took."""
    start = time.monotonic()
    for obj in manifests(ca_pem, resources):
        api.create(obj)
    path = "/api/v1/namespaces/kube-system/pods?dryRun=All"

    def called() -> bool:
        if not served():
            try:
                api.request("POST", path, _PROBE)
            except ApiError:
                pass  # the webhook known but not answering yet (500): the next round
        return served() > 0

    api.wait(f"the agent's mutating admission webhook ({', '.join(resources)})", called, timeout, progress, 0.5)
    took = time.monotonic() - start
    progress(f"admission: MutatingWebhookConfiguration {WEBHOOK} answered by the data-plane agent after "
             f"{took:.2f} s (the mesh's injector, SIMULATED)")
    return took
