"""Namespaces (the automatic name label, deletion through Terminating) and the object validation the
plugin's manifests must pass (a Deployment's selector, a Service's ports)."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest
from conformance_kit import Backend, call

from pytest_meshscale.cluster.base import ClusterError
from pytest_meshscale.cluster.kube import KubeCluster
from pytest_meshscale.cluster.watching import watch_until

NAME_LABEL = "kubernetes.io/metadata.name"
Obj = dict[str, Any]


def test_every_namespace_has_the_metadata_name_label(admin: KubeCluster, namespace: str) -> None:
    for ns in admin.list("v1", "Namespace"):
        assert ns["metadata"]["labels"][NAME_LABEL] == ns["metadata"]["name"], ns["metadata"]
    admin.label("v1", "Namespace", namespace, {NAME_LABEL: "something-else"})
    admin.label("v1", "Namespace", namespace, {NAME_LABEL: None})
    assert admin.get("v1", "Namespace", namespace)["metadata"]["labels"][NAME_LABEL] == namespace  # type: ignore[index]
    named = f"c-label-{uuid.uuid4().hex[:6]}"
    _, made = call(admin, "POST", "/api/v1/namespaces", body={"metadata": {"name": named, "labels": {NAME_LABEL: "x"}}})
    assert made["metadata"]["labels"][NAME_LABEL] == named
    admin.delete("v1", "Namespace", named)


class _Seen:
    def __init__(self, name: str) -> None:
        self.name, self.events = name, []  # type: ignore[var-annotated]

    def reset(self) -> None:
        pass

    def event(self, kind: str, obj: Obj) -> None:
        if obj["metadata"]["name"] == self.name:
            self.events.append((kind, obj["metadata"].get("deletionTimestamp"), obj.get("status", {}).get("phase")))

    def done(self) -> bool:
        return any(kind == "DELETED" for kind, _, _ in self.events)


def test_namespace_deletion_goes_through_terminating(admin: KubeCluster) -> None:
    name = f"c-term-{uuid.uuid4().hex[:6]}"
    admin.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
                 {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "inside", "namespace": name}}])
    seen = _Seen(name)
    res = admin.discovery.resource("v1", "Namespace")
    watcher = threading.Thread(target=watch_until, args=(admin.api, res, seen),
                               kwargs={"deadline": time.monotonic() + 120, "fields": f"metadata.name={name}"})
    watcher.start()
    while not seen.events:
        time.sleep(0.02)
    _, deleted = call(admin, "DELETE", f"/api/v1/namespaces/{name}")
    assert deleted["kind"] == "Namespace" and deleted["status"]["phase"] == "Terminating", deleted
    assert deleted["metadata"].get("deletionTimestamp"), deleted
    status, err = call(admin, "POST", f"/api/v1/namespaces/{name}/configmaps", body={"metadata": {"name": "late"}},
                       accept=(403, 404))
    if status == 403:  # still Terminating: no new content
        assert "because it is being terminated" in err["message"], err
    watcher.join(125)
    assert seen.done(), seen.events
    terminating = [e for e in seen.events if e[0] == "MODIFIED" and e[1] and e[2] == "Terminating"]
    assert terminating and seen.events.index(terminating[0]) < len(seen.events) - 1, seen.events
    assert admin.get("v1", "Namespace", name) is None


def test_kubectl_delete_namespace_waits_until_it_is_gone(backend: Backend) -> None:
    name = f"c-kdel-{uuid.uuid4().hex[:6]}"
    backend.kubectl("create", "namespace", name)
    backend.kubectl("create", "configmap", "c", "-n", name, "--from-literal=a=b")
    backend.kubectl("delete", "namespace", name, "--timeout=120s")
    assert "NotFound" in backend.kubectl("get", "namespace", name, check=False).stderr


def _deployment(name: str, ns: str, selector: dict[str, str], labels: dict[str, str]) -> Obj:
    template = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "fortio/fortio"}]}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": 1, "selector": {"matchLabels": selector}, "template": template}}


def test_a_deployment_whose_selector_does_not_match_its_template_is_rejected(
    admin: KubeCluster, namespace: str
) -> None:
    with pytest.raises(ClusterError) as err:
        admin.apply([_deployment("mismatch", namespace, {"app": "a"}, {"app": "b"})])
    assert "HTTP 422" in str(err.value) and "`selector` does not match template `labels`" in str(err.value)
    with pytest.raises(ClusterError) as err:
        admin.apply([_deployment("noselector", namespace, {}, {"app": "b"})])
    assert "HTTP 422" in str(err.value) and "spec.selector" in str(err.value)
    admin.apply([_deployment("fine", namespace, {"app": "a"}, {"app": "a", "extra": "x"})])
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments/fine"
    patch = {"spec": {"selector": {"matchLabels": {"app": "a", "extra": "x"}}}}
    status, err2 = call(admin, "PATCH", path, body=patch, content_type="application/merge-patch+json", accept=(422,))
    assert status == 422 and "field is immutable" in err2["message"], err2  # apps/v1 selectors never change


@pytest.mark.parametrize("ports", [[{"port": 70000}], [{"port": 80, "targetPort": 70000}], [{"port": 0}]])
def test_a_service_port_out_of_range_is_rejected(admin: KubeCluster, namespace: str, ports: list[Obj]) -> None:
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ports", "namespace": namespace},
           "spec": {"selector": {"app": "x"}, "ports": ports}}
    with pytest.raises(ClusterError) as err:
        admin.apply([svc])
    field = "targetPort" if "targetPort" in ports[0] else "port"
    assert "HTTP 422" in str(err.value) and f"spec.ports[0].{field}" in str(err.value), str(err.value)
    assert "must be between 1 and 65535, inclusive" in str(err.value)


def test_a_pod_template_is_validated(admin: KubeCluster, namespace: str) -> None:
    labels = {"app": "bad"}
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bad-pod", "namespace": namespace},
           "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": {
               "containers": [{"name": "Not_A_Name", "image": "x", "ports": [{"containerPort": 70000}]}]}}}}
    with pytest.raises(ClusterError) as err:
        admin.apply([dep])
    assert "HTTP 422" in str(err.value) and "spec.template.spec.containers[0].name" in str(err.value)
    assert "spec.template.spec.containers[0].ports[0].containerPort" in str(err.value)


def test_the_log_of_a_pod_with_more_than_one_container_needs_its_name(admin: KubeCluster, namespace: str) -> None:
    """A sidecar-injected pod (a mesh's proxy beside the app): the API server will not guess which log is meant."""
    containers = [{"name": n, "image": "registry.k8s.io/pause:3.10"} for n in ("app", "proxy")]
    admin.apply([{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "two", "namespace": namespace},
                  "spec": {"containers": containers}}])
    status, body = call(admin, "GET", f"/api/v1/namespaces/{namespace}/pods/two/log", accept=(400,))
    assert status == 400 and "a container name must be specified for pod two, choose one of: [app proxy]" in str(body)
