"""The bodies of what Cilium's emulated clients write (fixtures/meshes/cilium/api-clients.yaml; run by
scenario/api_clients.py): the shapes cilium-agent and cilium-operator write (cilium/cilium
pkg/k8s/apis/cilium.io/v2 CiliumEndpoint, CiliumIdentity; v2alpha1 CiliumEndpointSlice), trimmed to the
fields that carry the churn (identity, addresses, members)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...cluster.async_api import resource_path
from ...model.api_clients import ClientWrite, WriteCall

__all__ = ["BODIES"]

MERGE = "application/merge-patch+json"
JSON = "application/json"


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def identity(write: ClientWrite, pod: Mapping[str, Any], ident: int, labels: Mapping[str, str]) -> WriteCall:
    body = {"apiVersion": "cilium.io/v2", "kind": "CiliumIdentity",
            "metadata": {"name": str(ident), "labels": dict(labels)},
            "security-labels": {"k8s:io.kubernetes.pod.namespace": _meta(pod).get("namespace", "")}}
    return WriteCall("POST", resource_path(write.group, write.version, write.resource), body, JSON)


def endpoint(write: ClientWrite, pod: Mapping[str, Any], ident: int, labels: Mapping[str, str]) -> WriteCall:
    ns, name = _meta(pod).get("namespace", ""), _meta(pod).get("name", "")
    path = resource_path(write.group, write.version, write.resource, ns)
    if write.verb == "delete":
        return WriteCall("DELETE", f"{path}/{name}", None, JSON)
    status = (pod.get("status") or {})
    cep_status = {"identity": {"id": ident}, "state": "ready",
                  "networking": {"addressing": [{"ipv4": status.get("podIP", "")}], "node": status.get("hostIP", "")}}
    if write.verb == "patch":  # the endpoint's identity changed: its status is written again
        return WriteCall("PATCH", f"{path}/{name}", {"status": cep_status}, MERGE)
    owner = {"apiVersion": "v1", "kind": "Pod", "name": name, "uid": _meta(pod).get("uid", "")}
    body = {"apiVersion": "cilium.io/v2", "kind": "CiliumEndpoint",
            "metadata": {"name": name, "labels": dict(labels), "ownerReferences": [owner]}, "status": cep_status}
    return WriteCall("POST", path, body, JSON)


def endpoint_slice(write: ClientWrite, batch: Mapping[str, Any], ident: int, labels: Mapping[str, str]) -> WriteCall:
    """`batch`: name, namespace, members (the CiliumEndpoints' cores), version ("" before it exists)."""
    path = resource_path(write.group, write.version, write.resource)
    meta = {"name": batch["name"], "labels": dict(labels),
            **({"resourceVersion": batch["version"]} if batch["version"] else {})}
    body = {"apiVersion": f"{write.group}/{write.version}", "kind": "CiliumEndpointSlice", "metadata": meta,
            "namespace": batch["namespace"], "endpoints": list(batch["members"])}
    return WriteCall("PUT", f"{path}/{batch['name']}", body, JSON) if batch["version"] else WriteCall(
        "POST", path, body, JSON)


BODIES = {"ciliumidentities": identity, "ciliumendpoints": endpoint, "ciliumendpointslices": endpoint_slice}
