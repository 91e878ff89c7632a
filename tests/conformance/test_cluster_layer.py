"""The plugin's own cluster layer end to end on every backend: the existing-cluster preflight, a fleet created,
waited for and torn down, and churn (rescale and relabel), as a run does them, minus the data plane.

On kwok this is kube-apiserver's own answer to what the plugin writes: the fleet's Deployments must pass real
validation, become Available through the real ReplicaSet controller and scheduler, and the teardown must leave
nothing of the run while leaving a neighbour's namespace alone.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from conformance_kit import Backend

from pytest_meshscale.cluster.base import RUN_LABEL
from pytest_meshscale.cluster.kube import KubeCluster
from pytest_meshscale.data.profiles import load_profile
from pytest_meshscale.model import Churn
from pytest_meshscale.provision.mesh_setup import check_cluster
from pytest_meshscale.provision.settings import Settings
from pytest_meshscale.provision.target import ClusterTarget
from pytest_meshscale.scenario.churn import ChurnRunner
from pytest_meshscale.scenario.fleet import create_fleet
from pytest_meshscale.scenario.workloads import SERVER

# Fast churn so a few seconds show both loops; the seed's 1 s / 60 s schedule is the profile's business.
CHURN = Churn(rescale_interval_s=0.5, replicas_min=1, replicas_max=3, relabel_interval_s=1.0)


def test_the_existing_cluster_preflight_passes_and_detects_the_mesh(backend: Backend) -> None:
    said: list[str] = []
    settings = Settings(meshes=("cilium",), scale="smoke", profile=load_profile("smoke"), cluster="existing",
                        context="", kubeconfig=str(backend.kubeconfig), keep=False, results_dir=Path("unused"),
                        faults=(), sources={})
    target = ClusterTarget("existing", backend.name, str(backend.kubeconfig), None, teardown=True)
    assert check_cluster(settings, target, "cilium", said.append) is None  # found: nothing to install
    assert any("permissions allowed (SelfSubjectAccessReview)" in line for line in said), said
    assert any("nodes fit the pools of profile smoke" in line for line in said), said
    assert any(line.startswith("meshscale preflight: cilium ") and " found " in line for line in said), said


def test_a_fleet_is_created_churned_and_torn_down_leaving_only_what_others_own(backend: Backend) -> None:
    run_id = f"{backend.run_id}-fleet"
    neighbour = f"c-neighbour-{run_id[-11:]}"
    admin = backend.cluster()
    admin.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": neighbour}}])
    cluster = backend.cluster(run_id=run_id)
    try:
        profile = load_profile("smoke")
        fleet = create_fleet(cluster, profile, {"meshscale.io/test": "cluster-layer"}, run_id, run_id[-6:])
        assert fleet.ready_s > 0 and fleet.namespaces
        for ns in fleet.namespaces:
            deployments = cluster.list("apps/v1", "Deployment", namespace=ns)
            assert deployments and all(
                (d.get("status") or {}).get("availableReplicas") == d["spec"]["replicas"] for d in deployments
            ), ns

        with ChurnRunner(cluster, fleet.namespaces, CHURN, seed=7) as churn:
            time.sleep(3.2)
        log = churn.log
        assert log.count("rescale", ok=False) == 0 and log.count("relabel", ok=False) == 0, log.as_text()
        assert log.count("rescale") >= 4 and log.count("relabel") >= 2, log.as_text()
        last = {e.namespace: e for e in log.events if e.action == "rescale"}
        for ns, event in last.items():
            got = cluster.get("apps/v1", "Deployment", SERVER, ns)
            assert got is not None and got["spec"]["replicas"] == int(event.value), ns
        cluster.wait_deployments_available(list(last), 120)
        relabelled = {e.namespace: e.value for e in log.events if e.action == "relabel"}
        for ns, group in relabelled.items():
            got = cluster.get("v1", "Namespace", ns) or {}
            assert got["metadata"]["labels"]["policy-group"] == group, ns

        deleted = cluster.delete_run_objects(timeout_s=120)
        assert deleted >= len(fleet.namespaces)
        left = cluster.list("v1", "Namespace", labels=f"{RUN_LABEL}={run_id}")
        assert left == [], [n["metadata"]["name"] for n in left]
        assert admin.get("v1", "Namespace", neighbour) is not None  # not this run's: untouched
    finally:
        cluster.delete_run_objects(timeout_s=120)
        admin.delete("v1", "Namespace", neighbour)


def test_a_taken_namespace_name_stops_the_fleet_before_it_writes(backend: Backend) -> None:
    from pytest_meshscale.cluster.base import ForeignObject

    run_id = f"{backend.run_id}-taken"
    profile = load_profile("smoke")
    taken = f"ns-{run_id[-6:]}-001"
    admin: KubeCluster = backend.cluster()
    admin.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": taken}}])
    cluster = backend.cluster(run_id=run_id)
    try:
        with pytest.raises(ForeignObject, match=taken):
            create_fleet(cluster, replace(profile), {}, run_id, run_id[-6:])
        assert cluster.list("v1", "Namespace", labels=f"{RUN_LABEL}={run_id}") == []
    finally:
        admin.delete("v1", "Namespace", taken)
