"""RBAC: the preflight's SelfSubjectAccessReviews against real Roles and RoleBindings, for an identity that
has some permissions through a ClusterRoleBinding and others only through a RoleBinding in one namespace
(standing for the mesh's namespace). The rule (provision/preflight.py): a namespaced grant counts only for
the reads the run makes in the mesh's namespace; what it needs in the namespaces it creates must be
cluster-wide, as no RoleBinding can exist there before the run."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
import yaml
from conformance_kit import Backend, call, sim_diverges

from pytest_meshscale.cluster.base import MetricsForbidden
from pytest_meshscale.cluster.kube import KubeCluster
from pytest_meshscale.meshes import DRIVERS, MESHES
from pytest_meshscale.provision.installer import Permission, access_checks, aggregate, missing_grants
from pytest_meshscale.provision.preflight import (
    access_allowed,
    access_denied,
    denied_line,
    namespaced_resources,
    review,
)

RBAC = "rbac.authorization.k8s.io/v1"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CHECKS = (Permission("list", "", "nodes"), Permission("get", "apps", "daemonsets"),
          Permission("list", "apps", "daemonsets"), Permission("get", "", "configmaps"),
          Permission("get", "", "pods"), Permission("create", "apps", "deployments"))


def _rule(group: str, resources: list[str], verbs: list[str]) -> dict[str, list[str]]:
    return {"apiGroups": [group], "resources": resources, "verbs": verbs}


def _grants(tag: str, home: str) -> list[dict]:  # type: ignore[type-arg]
    subject = [{"kind": "ServiceAccount", "name": "runner", "namespace": home}]
    cluster_rules = [_rule("", ["nodes"], ["list"]),
                     _rule("authorization.k8s.io", ["selfsubjectaccessreviews"], ["create"])]
    home_rules = [_rule("apps", ["daemonsets"], ["get", "list"]), _rule("", ["configmaps", "pods"], ["get"])]
    name = f"c-rbac-{tag}"
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "runner", "namespace": home}},
        {"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": name}, "rules": cluster_rules},
        {"apiVersion": RBAC, "kind": "ClusterRoleBinding", "metadata": {"name": name}, "subjects": subject,
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name}},
        {"apiVersion": RBAC, "kind": "Role", "metadata": {"name": "mesh-reads", "namespace": home},
         "rules": home_rules},
        {"apiVersion": RBAC, "kind": "RoleBinding", "metadata": {"name": "mesh-reads", "namespace": home},
         "subjects": subject,
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "mesh-reads"}},
    ]


def _home(admin: KubeCluster, prefix: str) -> tuple[str, str]:
    """(a random tag, the namespace PREFIX-TAG, created): where the test's ServiceAccount lives."""
    tag = uuid.uuid4().hex[:6]
    admin.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"{prefix}-{tag}"}}])
    return tag, f"{prefix}-{tag}"


def _runner(backend: Backend, admin: KubeCluster, home: str, path: Path) -> KubeCluster:
    """A KubeCluster with the ServiceAccount's token (TokenRequest), on the admin kubeconfig's server."""
    body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 3600}}
    _, made = call(admin, "POST", f"/api/v1/namespaces/{home}/serviceaccounts/runner/token", body=body)
    doc = yaml.safe_load(backend.kubeconfig.read_text())
    doc["users"][0]["user"] = {"token": made["status"]["token"]}
    path.write_text(yaml.safe_dump(doc))
    return backend.cluster(path)


def test_the_preflight_counts_a_namespaced_grant_only_where_the_run_can_use_it(
    backend: Backend, admin: KubeCluster, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    sim_diverges(request, backend, "no RBAC API: Roles, RoleBindings and ServiceAccount tokens are not served "
                 "(restricted identities come from --token-file; tests/unit/test_cluster_preflight.py)")
    tag, home = _home(admin, "c-rbac")
    try:
        admin.apply(_grants(tag, home))
        runner = _runner(backend, admin, home, tmp_path / "runner.kubeconfig")
        in_home = [review(p, home) for p in CHECKS[1:]]
        deadline = time.monotonic() + 30  # the RBAC authorizer learns new bindings through its informers
        while not all(access_allowed(runner.api, in_home)[:4]) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert access_allowed(runner.api, [review(p) for p in CHECKS]) == [True, False, False, False, False, False]
        assert access_allowed(runner.api, in_home) == [True, True, True, True, False]
        denied = access_denied(runner.api, CHECKS, [home], namespaced_resources(runner.api, ["apps"]))
        assert {str(d.permission): d.only_in for d in denied} == {"get pods": (home,), "create deployments.apps": ()}
        line = denied_line(denied)
        assert line.startswith("meshscale: missing permissions: create deployments.apps; granted only by a "
                               f"namespaced RoleBinding, but needed in the namespaces the run creates: get pods "
                               f"(only in {home})"), line
        assert "ClusterRoleBinding" in line and "a RoleBinding cannot exist before its namespace does" in line
    finally:
        name = f"c-rbac-{tag}"
        for kind in ("ClusterRoleBinding", "ClusterRole"):
            admin.delete(RBAC, kind, name)
        admin.delete("v1", "Namespace", home)


def test_the_shipped_roles_aggregate_to_every_permission_a_run_checks(
    backend: Backend, admin: KubeCluster, request: pytest.FixtureRequest
) -> None:
    """fixtures/rbac's aggregating ClusterRole and every mesh folder's role, applied as a user would (names and
    the aggregation label carry a tag, so the cluster's own roles are untouched): the controller manager fills
    meshscale-runner with the union, which grants every check of access_checks(), as aggregate() predicts."""
    sim_diverges(request, backend, "no RBAC API: ClusterRoles are not served, so nothing aggregates them")
    tag = uuid.uuid4().hex[:6]
    label = f"meshscale.io/aggregate-to-runner-{tag}"
    files = [FIXTURES / "rbac" / "meshscale-clusterrole.yaml",
             *(FIXTURES / "meshes" / m / "clusterrole.yaml" for m in MESHES if DRIVERS[m].permissions)]
    docs = [doc for f in files for doc in yaml.safe_load_all(f.read_text())]
    for doc in docs:
        doc["metadata"]["name"] += f"-{tag}"
        labels = doc["metadata"]["labels"]
        if labels.pop("meshscale.io/aggregate-to-runner", None):
            labels[label] = "true"
        for selector in (doc.get("aggregationRule") or {}).get("clusterRoleSelectors") or []:
            selector["matchLabels"] = {label: "true"}
    runner = f"meshscale-runner-{tag}"
    try:
        admin.apply(docs)
        expected = aggregate(docs, runner)["rules"]
        served = admin.wait_for(RBAC, "ClusterRole", lambda r: len(r.get("rules") or []) >= len(expected),
                                name=runner, timeout_s=60, what="the controller manager aggregating the roles")
        assert [str(p) for p in missing_grants(served, access_checks())] == []
        key = lambda r: yaml.safe_dump(r, sort_keys=True)  # noqa: E731
        assert sorted(map(key, served["rules"])) == sorted(map(key, expected))
    finally:
        for doc in docs:
            admin.delete(RBAC, "ClusterRole", doc["metadata"]["name"])


SSAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
METRICS = Permission("get", "", "", path="/metrics")


def test_metrics_is_read_through_the_cluster_layer_and_reviewed_as_a_non_resource_url(admin: KubeCluster) -> None:
    """What the API-pressure figures read: /metrics in Prometheus text, and the preflight's review of it
    (spec.nonResourceAttributes {path, verb}); a review with both kinds of attributes, or neither, is refused."""
    assert "\napiserver_request_total{" in admin.metrics_text()
    assert access_allowed(admin.api, [review(METRICS)]) == [True]
    both = {"nonResourceAttributes": {"path": "/metrics", "verb": "get"},
            "resourceAttributes": {"verb": "get", "resource": "pods"}}
    for spec in ({}, both):
        body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": spec}
        status, doc = call(admin, "POST", SSAR, body=body, accept=(422,))
        assert status == 422 and doc["reason"] == "Invalid", doc
        assert "spec: Invalid value: " in doc["message"]
        assert doc["message"].endswith("exactly one of nonResourceAttributes or resourceAttributes must be specified")


def test_a_denied_metrics_read_is_one_line_and_a_non_resource_rule_grants_it(
    backend: Backend, admin: KubeCluster, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    sim_diverges(request, backend, "no RBAC API: ClusterRoles and ServiceAccount tokens are not served (restricted "
                 "identities with nonResourceURLs come from --token-file; tests/unit/test_sim_api_client.py)")
    _, home = _home(admin, "c-metrics")
    name = home
    subject = [{"kind": "ServiceAccount", "name": "runner", "namespace": home}]
    try:
        admin.apply([
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "runner", "namespace": home}},
            {"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": name},
             "rules": [_rule("authorization.k8s.io", ["selfsubjectaccessreviews"], ["create"])]},
            {"apiVersion": RBAC, "kind": "ClusterRoleBinding", "metadata": {"name": name}, "subjects": subject,
             "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name}}])
        runner = _runner(backend, admin, home, tmp_path / "runner.kubeconfig")
        with pytest.raises(MetricsForbidden) as denied:
            runner.metrics_text()
        assert str(denied.value) == (f'get /metrics: HTTP 403 Forbidden: forbidden: User "system:serviceaccount:{home}'
                                     ':runner" cannot get path "/metrics" (grant nonResourceURLs [/metrics] verbs '
                                     '[get], as fixtures/rbac/meshscale-clusterrole.yaml does)')
        assert access_allowed(runner.api, [review(METRICS)]) == [False]
        grant = {"nonResourceURLs": ["/metrics"], "verbs": ["get"]}
        admin.apply([{"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": name},
                      "rules": [_rule("authorization.k8s.io", ["selfsubjectaccessreviews"], ["create"]), grant]}])
        deadline = time.monotonic() + 30  # the RBAC authorizer learns the new rule through its informers
        while not access_allowed(runner.api, [review(METRICS)])[0] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "\napiserver_request_total{" in runner.metrics_text()
    finally:
        for kind in ("ClusterRoleBinding", "ClusterRole"):
            admin.delete(RBAC, kind, name)
        admin.delete("v1", "Namespace", home)
