"""Behaviours of kube-apiserver the sim does not have (yet): each passes on a real API server and is a strict
xfail on the sim with the reason, as listed in docs/sim-limits.md. The plugin does not rely on them; they are
here so that the list stays true (an XPASS fails the run once the sim learns one)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from conformance_kit import Backend, call, sim_diverges

from pytest_meshscale.cluster.base import ClusterError, KindNotServed
from pytest_meshscale.cluster.kube import KubeCluster

Obj = dict[str, Any]


def test_the_mesh_crds_enforce_their_upstream_schemas(
    backend: Backend, admin: KubeCluster, namespace: str, request: pytest.FixtureRequest
) -> None:
    sim_diverges(request, backend, "the mesh kinds are built in with open schemas "
                 "(x-kubernetes-preserve-unknown-fields), not the upstream CRDs' schemas and CEL rules")
    cnp = {"apiVersion": "cilium.io/v2", "kind": "CiliumNetworkPolicy",
           "metadata": {"name": "no-rules", "namespace": namespace},
           "spec": {"endpointSelector": {"matchLabels": {"app": "x"}}}}  # neither ingress nor egress: anyOf fails
    with pytest.raises(ClusterError) as err:
        admin.apply([cnp])
    assert "HTTP 422" in str(err.value)


def _until_served(admin: KubeCluster, api_version: str, kind: str, namespace: str, timeout_s: float = 30) -> None:
    """Established is not yet discoverable: kube-apiserver's discovery of a new CRD's group follows on its own
    (seen under load: /apis/<group>/v1 answered 404 just after Established). Discovery has no watch."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            admin.list(api_version, kind, namespace)
            return
        except KindNotServed:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_a_crd_with_cel_rules_is_served_and_its_rules_enforced(
    backend: Backend, admin: KubeCluster, namespace: str, request: pytest.FixtureRequest
) -> None:
    sim_diverges(request, backend, "CEL rules (x-kubernetes-validations) and allOf/anyOf/oneOf/not are not "
                 "evaluated: a CRD using them is refused (422) rather than served half-checked")
    group = f"c{uuid.uuid4().hex[:6]}.conformance.meshscale.io"
    spec_schema = {"type": "object", "properties": {"min": {"type": "integer"}, "max": {"type": "integer"}},
                   "x-kubernetes-validations": [{"rule": "self.min <= self.max", "message": "min must be <= max"}]}
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": f"ranges.{group}"},
           "spec": {"group": group, "scope": "Namespaced", "names": {"plural": "ranges", "kind": "Range"},
                    "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                        "type": "object", "properties": {"spec": spec_schema}}}}]}}
    admin.apply([crd])
    try:
        admin.wait_for("apiextensions.k8s.io/v1", "CustomResourceDefinition",
                       lambda o: any(c["type"] == "Established" and c["status"] == "True"
                                     for c in (o.get("status") or {}).get("conditions") or []),
                       name=crd["metadata"]["name"], timeout_s=60, what="the CRD Established")
        _until_served(admin, f"{group}/v1", "Range", namespace)
        with pytest.raises(ClusterError) as err:
            admin.apply([{"apiVersion": f"{group}/v1", "kind": "Range",
                          "metadata": {"name": "r", "namespace": namespace}, "spec": {"min": 5, "max": 1}}])
        assert "min must be <= max" in str(err.value)
    finally:
        admin.delete("apiextensions.k8s.io/v1", "CustomResourceDefinition", crd["metadata"]["name"])


def test_pages_of_one_list_are_one_snapshot(
    backend: Backend, admin: KubeCluster, namespace: str, request: pytest.FixtureRequest
) -> None:
    sim_diverges(request, backend, "a continue token resumes on the current state, not the first page's "
                 "snapshot (and never expires)")
    admin.apply([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": n, "namespace": namespace}}
                 for n in ("a1", "a2", "a4")])
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    selector = f"meshscale.io/run-id={admin.run_id}"
    _, first = call(admin, "GET", path, query={"labelSelector": selector, "limit": 2})
    admin.apply([{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a3", "namespace": namespace}}])
    _, rest = call(admin, "GET", path, query={"labelSelector": selector, "limit": 2,
                                              "continue": first["metadata"]["continue"]})
    assert [i["metadata"]["name"] for i in first["items"] + rest["items"]] == ["a1", "a2", "a4"]


def test_the_api_server_fills_in_defaults(
    backend: Backend, admin: KubeCluster, namespace: str, request: pytest.FixtureRequest
) -> None:
    sim_diverges(request, backend, "built-in kinds get no defaulting (Service port protocol and targetPort, "
                 "Deployment strategy, container imagePullPolicy, ...)")
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "defaults", "namespace": namespace},
           "spec": {"selector": {"app": "x"}, "ports": [{"port": 8080}]}}
    made = admin.apply([svc])[0]
    assert made["spec"]["ports"][0] == {"port": 8080, "protocol": "TCP", "targetPort": 8080}
    assert made["spec"]["type"] == "ClusterIP" and made["spec"]["sessionAffinity"] == "None"

