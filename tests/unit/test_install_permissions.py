"""The minimal ClusterRole grants every check the preflight asks, and no more than needed: fixtures/rbac holds
what every run needs and the aggregating role; each mesh's folder adds its own rules (fixtures/meshes/<mesh>/
clusterrole.yaml), so a new mesh touches no shared file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_meshscale.meshes import DRIVERS
from pytest_meshscale.provision.installer import (
    MESHES,
    OPTIONAL,
    Permission,
    access_checks,
    aggregate,
    grants,
    missing_grants,
    ssar_body,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
ROLE_FILE = FIXTURES / "rbac" / "meshscale-clusterrole.yaml"
LABEL = "meshscale.io/aggregate-to-runner"


def _roles(*meshes: str) -> list[dict[str, Any]]:
    """The common file's ClusterRoles and those of the given meshes' folders (none for the baseline)."""
    files = [ROLE_FILE, *(FIXTURES / "meshes" / m / "clusterrole.yaml" for m in meshes if DRIVERS[m].permissions)]
    return [doc for f in files for doc in yaml.safe_load_all(f.read_text())]


@pytest.fixture(scope="module")
def role() -> dict[str, Any]:
    """meshscale-runner as the controller manager aggregates it with every mesh's role applied."""
    return aggregate(_roles(*MESHES), "meshscale-runner")


def test_each_mesh_folder_holds_exactly_its_own_rules() -> None:
    for mesh in MESHES:
        path = FIXTURES / "meshes" / mesh / "clusterrole.yaml"
        assert path.exists() == bool(DRIVERS[mesh].permissions), f"{path}: only a mesh with rules of its own has one"
        runner = aggregate(_roles(mesh), "meshscale-runner")
        assert [str(p) for p in missing_grants(runner, access_checks(mesh))] == [], mesh
        others = set(access_checks()) - set(access_checks(mesh))
        assert [str(p) for p in others if grants(runner, p)] == [], f"{mesh}'s role grants another mesh's rules"


def test_the_aggregate_selects_every_role_by_its_label() -> None:
    docs = _roles(*MESHES)
    runner = next(d for d in docs if d["metadata"]["name"] == "meshscale-runner")
    assert runner["aggregationRule"]["clusterRoleSelectors"] == [{"matchLabels": {LABEL: "true"}}]
    assert runner["rules"] == []  # the controller manager owns them
    others = [d for d in docs if d is not runner]
    assert all(d["metadata"]["labels"][LABEL] == "true" and d["rules"] for d in others)
    assert len({d["metadata"]["name"] for d in docs}) == len(docs)


def test_the_clusterrole_grants_every_permission_the_preflight_checks(role: dict[str, Any]) -> None:
    assert (role["apiVersion"], role["kind"]) == ("rbac.authorization.k8s.io/v1", "ClusterRole")
    assert [str(p) for p in missing_grants(role, access_checks())] == []


def test_the_clusterrole_grants_nothing_beyond_the_checks(role: dict[str, Any]) -> None:
    checked = {(p.group, p.path or p.resource + (f"/{p.subresource}" if p.subresource else ""), p.verb)
               for p in access_checks()}
    granted = {(g, r, v) for rule in role["rules"] for g in rule.get("apiGroups", [""])
               for r in rule.get("resources", []) + rule.get("nonResourceURLs", []) for v in rule["verbs"]}
    assert granted - checked == set()
    assert not any("*" in x for rule in role["rules"] for x in rule.get("apiGroups", []) + rule.get("resources", [])
                   + rule.get("nonResourceURLs", []) + rule["verbs"])


def test_the_brief_s_permissions_are_all_checked() -> None:
    checks = set(access_checks())
    for verb in ("create", "delete", "get", "list", "watch", "patch"):
        assert Permission(verb, "", "namespaces") in checks
    assert {Permission("get", "apps", "deployments", "scale"), Permission("patch", "apps", "deployments", "scale"),
            Permission("get", "", "pods", "log"), Permission("create", "", "pods", "proxy"),
            Permission("get", "", "pods", "proxy"), Permission("list", "cilium.io", "ciliumnodes"),
            Permission("create", "authorization.k8s.io", "selfsubjectaccessreviews"),
            Permission("list", "metrics.k8s.io", "pods"), Permission("create", "gateway.networking.k8s.io", "gateways"),
            Permission("create", "security.istio.io", "peerauthentications")} <= checks
    assert not any(p.resource == "secrets" or p.subresource in ("exec", "portforward") for p in checks)


def test_per_mesh_checks_leave_out_the_other_meshs_resources() -> None:
    cilium = {p.group for p in access_checks("cilium")}
    istio = {p.group for p in access_checks("istio-ambient")}
    assert "cilium.io" in cilium and "security.istio.io" not in cilium
    assert {"security.istio.io", "gateway.networking.k8s.io"} <= istio and "cilium.io" not in istio
    assert set().union(*(access_checks(m) for m in MESHES)) == set(access_checks())  # every registered mesh


def test_the_evaluator_follows_rbac_matching_rules() -> None:
    role = {"rules": [{"apiGroups": [""], "resources": ["*"], "verbs": ["get"]},
                      {"apiGroups": ["apps"], "resources": ["deployments/scale"], "verbs": ["*"]}]}
    assert grants(role, Permission("get", "", "pods"))
    assert not grants(role, Permission("get", "", "pods", "log"))  # "*" does not reach subresources
    assert not grants(role, Permission("list", "", "pods"))
    assert grants(role, Permission("update", "apps", "deployments", "scale"))
    assert not grants(role, Permission("update", "apps", "deployments"))
    without_proxy = {"rules": [r for r in aggregate(_roles(*MESHES), "meshscale-runner")["rules"]
                               if r.get("resources") != ["pods/proxy"]]}
    assert [str(p) for p in missing_grants(without_proxy, access_checks())] == ["get pods/proxy", "create pods/proxy"]


def test_metrics_is_a_non_resource_url_the_role_grants_and_the_run_may_do_without() -> None:
    metrics = Permission("get", "", "", path="/metrics")
    assert metrics in access_checks("cilium") and metrics in access_checks("baseline") and metrics in OPTIONAL

    assert str(metrics) == "get /metrics"
    assert ssar_body(metrics)["spec"] == {"nonResourceAttributes": {"path": "/metrics", "verb": "get"}}
    assert grants({"rules": [{"nonResourceURLs": ["/metrics"], "verbs": ["get"]}]}, metrics)
    assert grants({"rules": [{"nonResourceURLs": ["/met*"], "verbs": ["*"]}]}, metrics)
    assert not grants({"rules": [{"nonResourceURLs": ["/metrics/slis"], "verbs": ["get"]}]}, metrics)
    assert not grants({"rules": [{"nonResourceURLs": ["/metrics"], "verbs": ["list"]}]}, metrics)
    # a resource rule never grants a path, whatever its wildcards
    assert not grants({"rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]}, metrics)


def test_ssar_body_names_the_subresource_only_when_there_is_one() -> None:
    body = ssar_body(Permission("create", "", "pods", "proxy"))
    assert body["kind"] == "SelfSubjectAccessReview" and body["apiVersion"] == "authorization.k8s.io/v1"
    assert body["spec"]["resourceAttributes"] == {"verb": "create", "group": "", "resource": "pods",
                                                  "subresource": "proxy"}
    assert "subresource" not in ssar_body(Permission("list", "", "nodes"))["spec"]["resourceAttributes"]


def test_node_metrics_are_checked_but_optional_with_what_is_lost() -> None:
    nodes = Permission("list", "metrics.k8s.io", "nodes")
    assert nodes in access_checks("baseline") and "kernel-inclusive mesh cost will not be measured" in OPTIONAL[nodes]
    assert Permission("list", "metrics.k8s.io", "pods") not in OPTIONAL  # the mesh's own CPU is the scorecard
