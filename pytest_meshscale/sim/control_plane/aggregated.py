"""metrics.k8s.io on the real control plane: the agent serves it as an aggregated API (sim/agent/metrics.py), and
`up` registers it as a metrics-server install would, once the agent listens:

- a Service `kube-system/meshscale-metrics` (port 443 `https`) without a selector, and its one EndpointSlice
  pointing at METRICS_ENDPOINT, an address no pod or node has: with `--enable-aggregator-routing` the API server
  resolves the APIService to that endpoint (its EndpointSlices, not the ClusterIP) and dials it through the
  egress selector, where the agent answers;
- the APIService `v1beta1.metrics.k8s.io` for that Service, its caBundle the run's CA (which signed the agent's
  serving certificate for meshscale-metrics.kube-system.svc).

Then it waits, watching the APIService, until kube-apiserver's availability check (a GET of
/apis/metrics.k8s.io/v1beta1 through the proxy) sets Available=True. Every object carries LABELS; they live and
go with the control plane (its etcd is the run's temporary folder).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from typing import Any

from .kubeapi import Api
from .pki import METRICS_SERVICE

__all__ = ["APISERVICE", "LABELS", "METRICS_ENDPOINT", "agent_service", "manifests", "register"]

Obj = dict[str, Any]
APISERVICE = "v1beta1.metrics.k8s.io"
# Outside the pod CIDRs (10.128.0.0/10), the node addresses (10.224.0.0/16) and the Service range (10.96.0.0/16).
METRICS_ENDPOINT = ("10.127.0.10", 4443)
LABELS = {"app.kubernetes.io/name": METRICS_SERVICE[1], "app.kubernetes.io/component": "metrics-api",
          "app.kubernetes.io/part-of": "meshscale-data-plane-agent",
          "app.kubernetes.io/managed-by": "meshscale-control-plane", "meshscale.io/simulated": "true"}
_APISERVICES = "/apis/apiregistration.k8s.io/v1/apiservices"


def agent_service(service: tuple[str, str], endpoint: tuple[str, int], labels: Obj) -> list[Obj]:
    """A Service without a selector and its one EndpointSlice at `endpoint`, where the agent answers (the API server
    dials an endpoint of it through the egress selector: aggregator routing serves APIServices and webhooks)."""
    ns, name = service
    ip, port = endpoint
    meta = {"namespace": ns, "labels": dict(labels)}
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, **meta},
           "spec": {"ports": [{"name": "https", "port": 443, "targetPort": port, "protocol": "TCP"}]}}
    slice_labels = {**labels, "kubernetes.io/service-name": name,
                    "endpointslice.kubernetes.io/managed-by": "meshscale-control-plane"}
    endpoints = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                 "metadata": {"name": f"{name}-agent", "namespace": ns, "labels": slice_labels},
                 "addressType": "IPv4", "endpoints": [{"addresses": [ip], "conditions": {"ready": True}}],
                 "ports": [{"name": "https", "port": port, "protocol": "TCP"}]}
    return [svc, endpoints]


def manifests(ca_pem: bytes) -> list[Obj]:
    """Service, EndpointSlice and APIService, in creation order."""
    ns, name = METRICS_SERVICE
    apiservice = {"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
                  "metadata": {"name": APISERVICE, "labels": dict(LABELS)},
                  "spec": {"group": "metrics.k8s.io", "version": "v1beta1", "groupPriorityMinimum": 100,
                           "versionPriority": 100, "caBundle": base64.b64encode(ca_pem).decode(),
                           "service": {"namespace": ns, "name": name, "port": 443}}}
    return [*agent_service(METRICS_SERVICE, METRICS_ENDPOINT, LABELS), apiservice]


def _available(obj: Obj) -> tuple[bool, str]:
    """(Available=True?, the condition's reason and message)."""
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Available":
            return cond.get("status") == "True", f"{cond.get('reason')}: {cond.get('message', '')}".rstrip(": ")
    return False, "no Available condition yet"


def register(api: Api, ca_pem: bytes, progress: Callable[[str], None], timeout: float) -> float:
    """Create the objects and wait (a watch) until the APIService is Available; returns the seconds it took."""
    start = time.monotonic()
    for obj in manifests(ca_pem):
        api.create(obj)
    progress(f"metrics.k8s.io: APIService {APISERVICE} created; waiting until the API server finds it Available")
    current = api.get(f"{_APISERVICES}/{APISERVICE}") or {}
    ok, why = _available(current)
    if not ok:
        seen = [why]

        def done(_type: str, obj: Obj) -> bool:
            if obj.get("metadata", {}).get("name") != APISERVICE:
                return False
            found, seen[0] = _available(obj)
            return found

        try:
            api.watch_until(_APISERVICES, current["metadata"]["resourceVersion"], done, timeout)
        except TimeoutError:
            raise TimeoutError(f"APIService {APISERVICE} not Available after {timeout:g} s: {seen[0]}") from None
    took = time.monotonic() - start
    progress(f"metrics.k8s.io: APIService {APISERVICE} Available after {took:.2f} s (served by the data-plane "
             "agent, SIMULATED usage)")
    return took
