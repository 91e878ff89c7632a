"""Deployments, placement, DaemonSets, Jobs and Services against the real Store (no HTTP)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from test_sim_controllers_world import FAST, cluster, condition, deployment, pods_of, ready

from pytest_meshscale.sim.controllers import Controllers
from pytest_meshscale.sim.runtime import JobOutcome, NullRuntime
from pytest_meshscale.sim.store import Store

CLIENT_PLACEMENT = {
    "nodeSelector": {"size": "large"},
    "tolerations": [{"key": "client", "operator": "Exists", "effect": "NoSchedule"}],
}


@pytest.fixture
def world() -> Iterator[tuple[Store, Controllers]]:
    store, controllers = cluster()
    store.create("namespaces", {"metadata": {"name": "ns-001"}})
    yield store, controllers
    controllers.stop()


def _settle(controllers: Controllers) -> None:
    assert controllers.settle(10), "controllers did not settle"


def _node_pool(store: Store, pod: dict[str, Any]) -> str:
    return store.get("nodes", None, pod["spec"]["nodeName"])["metadata"]["labels"]["meshscale.io/pool"]


def test_deployment_scales_up_and_down_with_status(world: tuple[Store, Controllers]) -> None:
    store, controllers = world
    store.create("deployments.apps", deployment("ns-001", "web", 6))
    _settle(controllers)
    pods = pods_of(store, "ns-001", "web")
    assert len(pods) == 6 and all(ready(p) for p in pods)
    assert all(re.fullmatch(r"web-[a-z0-9]{10}-[a-z0-9]{5}", p["metadata"]["name"]) for p in pods)
    uid = store.get("deployments.apps", "ns-001", "web")["metadata"]["uid"]
    assert all(p["metadata"]["ownerReferences"][0]["uid"] == uid for p in pods)
    assert len({p["status"]["podIP"] for p in pods}) == 6
    status = store.get("deployments.apps", "ns-001", "web")["status"]
    assert (status["replicas"], status["readyReplicas"], status["availableReplicas"]) == (6, 6, 6)
    assert status["observedGeneration"] == 1
    store.mutate("deployments.apps", "ns-001", "web", lambda d: d["spec"].update(replicas=2))
    _settle(controllers)
    d = store.get("deployments.apps", "ns-001", "web")
    assert len(pods_of(store, "ns-001", "web")) == 2
    assert (d["status"]["replicas"], d["status"]["readyReplicas"], d["status"]["observedGeneration"]) == (2, 2, 2)
    assert condition(d, "Available") == "True" and condition(d, "Progressing") == "True"


def test_scale_down_removes_the_newest_pods_first(world: tuple[Store, Controllers]) -> None:
    store, controllers = world
    store.create("deployments.apps", deployment("ns-001", "web", 2))
    _settle(controllers)
    first = {p["metadata"]["name"] for p in pods_of(store, "ns-001", "web")}
    time.sleep(1.05)  # creationTimestamp has one-second resolution
    store.mutate("deployments.apps", "ns-001", "web", lambda d: d["spec"].update(replicas=4))
    _settle(controllers)
    store.mutate("deployments.apps", "ns-001", "web", lambda d: d["spec"].update(replicas=2))
    _settle(controllers)
    assert {p["metadata"]["name"] for p in pods_of(store, "ns-001", "web")} == first


def test_clients_land_only_on_the_client_pool(world: tuple[Store, Controllers]) -> None:
    store, controllers = world
    store.create("deployments.apps", deployment("ns-001", "client", 3, **CLIENT_PLACEMENT))
    store.create("deployments.apps", deployment("ns-001", "server", 12))
    _settle(controllers)
    assert {_node_pool(store, p) for p in pods_of(store, "ns-001", "client")} == {"client"}
    servers = pods_of(store, "ns-001", "server")
    assert {_node_pool(store, p) for p in servers} == {"server"}
    per_node = [sum(p["spec"]["nodeName"] == n for p in servers) for n in {p["spec"]["nodeName"] for p in servers}]
    assert per_node == [4, 4, 4]  # spread over the least-loaded nodes


def test_pod_that_fits_nowhere_stays_pending(world: tuple[Store, Controllers]) -> None:
    store, controllers = world
    store.create("deployments.apps", deployment("ns-001", "lost", 1, nodeSelector={"size": "huge"}))
    _settle(controllers)
    pod = pods_of(store, "ns-001", "lost")[0]
    assert pod["status"]["phase"] == "Pending" and "nodeName" not in pod["spec"]
    scheduled = next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")
    assert scheduled["status"] == "False" and scheduled["reason"] == "Unschedulable"
    assert "0/4 nodes are available" in scheduled["message"]
    assert condition(store.get("deployments.apps", "ns-001", "lost"), "Available") == "False"


def test_daemonset_runs_on_every_tolerated_node(world: tuple[Store, Controllers]) -> None:
    store, controllers = world
    for name, tolerations in (("everywhere", [{"operator": "Exists"}]), ("servers-only", [])):
        ds = deployment("ns-001", name, 0, tolerations=tolerations)
        ds["spec"].pop("replicas")
        store.create("daemonsets.apps", ds)
    _settle(controllers)
    for name, expected in (("everywhere", 4), ("servers-only", 3)):
        pods = pods_of(store, "ns-001", name)
        assert len({p["spec"]["nodeName"] for p in pods}) == len(pods) == expected
        status = store.get("daemonsets.apps", "ns-001", name)["status"]
        assert (status["desiredNumberScheduled"], status["numberReady"]) == (expected, expected)


class ScriptedRuntime(NullRuntime):
    """Job pods exit with the code in their first container's args."""

    def run_job_pod(self, pod: dict[str, Any]) -> JobOutcome:
        code = int(pod["spec"]["containers"][0]["args"][0])
        return JobOutcome(code, f"exit {code}\n", duration_s=0.05)


@pytest.mark.parametrize(("code", "verdict", "counts"), [(0, "Complete", (1, 0)), (3, "Failed", (0, 2))])
def test_job_runs_its_pod_and_reports_the_outcome(code: int, verdict: str, counts: tuple[int, int]) -> None:
    store, controllers = cluster(ScriptedRuntime())
    try:
        store.create("namespaces", {"metadata": {"name": "probe"}})
        template = {"spec": {"containers": [{"name": "c", "image": "x", "args": [str(code)]}]}}
        store.create(
            "jobs.batch",
            {"metadata": {"name": "tcpdump", "namespace": "probe"}, "spec": {"backoffLimit": 1, "template": template}},
        )
        _settle(controllers)
        job = store.get("jobs.batch", "probe", "tcpdump")
        assert condition(job, verdict) == "True"
        assert (job["status"].get("succeeded", 0), job["status"].get("failed", 0)) == counts
        phases = {p["status"]["phase"] for p in store.list("pods", "probe")[0]}
        assert phases == {"Succeeded" if code == 0 else "Failed"}
    finally:
        controllers.stop()


def test_service_gets_cluster_ip_endpoints_and_slices(world: tuple[Store, Controllers]) -> None:
    store, controllers = world
    store.create("deployments.apps", deployment("ns-001", "web", 3))
    store.create("deployments.apps", deployment("ns-001", "other", 2))
    store.create(
        "services",
        {
            "metadata": {"name": "web", "namespace": "ns-001"},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
        },
    )
    _settle(controllers)
    assert store.get("services", "ns-001", "web")["spec"]["clusterIP"].startswith("10.0.")
    subset = store.get("endpoints", "ns-001", "web")["subsets"][0]
    ips = {p["status"]["podIP"] for p in pods_of(store, "ns-001", "web")}
    assert {a["ip"] for a in subset["addresses"]} == ips
    assert subset["ports"] == [{"port": 8080, "protocol": "TCP", "name": "http"}]
    slices = store.list("endpointslices.discovery.k8s.io", "ns-001", "kubernetes.io/service-name=web")[0]
    assert {e["addresses"][0] for s in slices for e in s["endpoints"]} == ips
    store.delete("services", "ns-001", "web")
    _settle(controllers)
    assert store.try_get("endpoints", "ns-001", "web") is None
    assert store.list("endpointslices.discovery.k8s.io", "ns-001")[0] == []


def test_slow_ready_fault_delays_readiness() -> None:
    store, controllers = cluster(timing=replace(FAST, slow_ready_s=0.6))
    try:
        store.create("namespaces", {"metadata": {"name": "ns-001"}})
        store.create("deployments.apps", deployment("ns-001", "web", 2))
        time.sleep(0.3)
        pods = pods_of(store, "ns-001", "web")
        assert len(pods) == 2 and not any(ready(p) for p in pods)
        _settle(controllers)
        assert all(ready(p) for p in pods_of(store, "ns-001", "web"))
    finally:
        controllers.stop()


def test_namespace_gets_default_service_account(world: tuple[Store, Controllers]) -> None:
    store, controllers = world
    _settle(controllers)
    assert store.try_get("serviceaccounts", "ns-001", "default") is not None
    assert store.get("namespaces", None, "ns-001")["status"]["phase"] == "Active"


def test_bare_pod_is_scheduled_and_becomes_ready(world: tuple[Store, Controllers]) -> None:
    store, controllers = world
    store.create(
        "pods",
        {
            "metadata": {"name": "solo", "namespace": "ns-001"},
            "spec": {"containers": [{"name": "c", "image": "x"}], **CLIENT_PLACEMENT},
        },
    )
    _settle(controllers)
    pod = store.get("pods", "ns-001", "solo")
    assert ready(pod) and pod["status"]["podIP"].startswith("10.")
    assert _node_pool(store, pod) == "client"


def test_timing_file_rejects_unknown_keys(tmp_path: Any) -> None:
    from pytest_meshscale.sim.controllers import load_timing

    path = tmp_path / "controllers.yaml"
    path.write_text("pod_ready_delay_s: 0.5\n")
    assert load_timing(path).pod_ready_delay_s == 0.5
    path.write_text("pod_ready_dalay_s: 0.5\n")
    with pytest.raises(ValueError, match="unknown key 'pod_ready_dalay_s'"):
        load_timing(path)
