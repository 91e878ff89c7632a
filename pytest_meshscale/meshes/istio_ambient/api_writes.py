"""The bodies of what Istio ambient's emulated clients write (fixtures/meshes/istio-ambient/api-clients.yaml):
istio-cni's node agent marks a pod it enrolled (istio/istio cni/pkg/nodeagent: the annotation
ambient.istio.io/redirection=enabled, which util.PodFullyEnrolled reads back)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...cluster.async_api import resource_path
from ...model.api_clients import ClientWrite, WriteCall

__all__ = ["BODIES"]


def enrolled(write: ClientWrite, pod: Mapping[str, Any], ident: int, labels: Mapping[str, str]) -> WriteCall:
    meta = pod.get("metadata") or {}
    body = {"metadata": {"annotations": {"ambient.istio.io/redirection": "enabled"}}}
    return WriteCall("PATCH", resource_path("", "v1", "pods", meta.get("namespace", ""), meta.get("name", "")), body,
                     "application/merge-patch+json")


BODIES = {"pods": enrolled}
