"""Regression cases for the seed's policy defects: the suite must catch each one, not pass it.

The seed's tcp-policy put `from` and `to` in two rules, which Istio ORs: any source may reach 8080.
Its istioL7 policy named GET but no path. Here both are applied for real and probed; the test passes
only when the probes show the defect (and lint names it)."""

import pytest

from pytest_meshscale.cluster.base import RUN_LABEL
from pytest_meshscale.meshes.istio_ambient.seed_manifests import seed_istio_tcp_policy, without_paths
from pytest_meshscale.meshes.lint import lint
from pytest_meshscale.model import Verdict

CATCH_DEADLINE_S = 3.0  # the defect is permanent; no need to wait for propagation past a few probes


@pytest.mark.mesh_requires("l4-policy")
def test_seed_split_rule_tcp_policy_is_caught(run_case, mesh, fleet, run_id):
    if ("security.istio.io/v1", "AuthorizationPolicy") not in mesh.driver.policy_kinds:
        pytest.skip("the seed's tcp-policy is an Istio AuthorizationPolicy")
    manifests = [seed_istio_tcp_policy(ns, {RUN_LABEL: run_id}) for ns in fleet.namespaces]
    assert "istio-split-from-to" in {f.code for f in lint(manifests)}
    result = run_case("l4-namespace", manifests=manifests, deadline_s=CATCH_DEADLINE_S)
    # a deny at L4, or at L7 where the mesh's proxy answers every refusal (a sidecar or waypoint: 403)
    caught = [d for d in result.diffs if d.expected != Verdict.ALLOW and d.actual == Verdict.ALLOW]
    assert caught, "the split-rule policy did not let a foreign namespace in: the suite cannot see the defect"


@pytest.mark.mesh_requires("l7-policy")
def test_l7_policy_without_paths_is_caught(run_case, policy, mesh):
    case = policy.load("seed-l7")
    manifests = mesh.driver.render(without_paths(case.intents), policy.fleet.namespaces, policy.applied.labels)
    result = run_case("seed-l7", manifests=manifests, deadline_s=CATCH_DEADLINE_S)
    caught = [d for d in result.diffs if d.expected == Verdict.DENY_L7 and d.actual == Verdict.ALLOW]
    assert caught, "a path-less L7 policy passed the path cells: the suite cannot see the seed's defect"
