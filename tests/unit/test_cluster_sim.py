"""Every Cluster verb through the official client against a simulated cluster (`--mesh baseline --scale
smoke`), including the sim's faults: API errors (retried) and dropped watches (resumed)."""

from __future__ import annotations

import importlib.util
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_meshscale.cluster.base import MANAGED_BY_LABEL, RUN_LABEL, ClusterError, ForeignObject
from pytest_meshscale.cluster.errors import Target
from pytest_meshscale.cluster.ratelimit import RateLimit

SimProcess = pytest.importorskip(
    "pytest_meshscale.sim.process", reason="sim/process.py not built yet"
).SimProcess
from pytest_meshscale.cluster.kube import KubeCluster  # noqa: E402  (after the skip: needs the sim)

HAS_CONTROLLERS = importlib.util.find_spec("pytest_meshscale.sim.world") is not None
RATE = RateLimit(qps=200, burst=50, wave_namespaces=2)


@pytest.fixture(scope="module")
def sim() -> Iterator[Any]:
    with SimProcess(mesh="baseline", scale="smoke") as started:
        yield started


@pytest.fixture(scope="module")
def faulty_sim() -> Iterator[Any]:
    with SimProcess(mesh="baseline", scale="smoke", faults=["api-errors=0.3", "watch-drop=1"]) as started:
        yield started


def _cluster(sim: Any, run_id: str, rate: RateLimit = RATE) -> KubeCluster:
    return KubeCluster(str(sim.kubeconfig), None, run_id, "sim", "sim-baseline", rate)


@pytest.fixture
def cluster(sim: Any, request: pytest.FixtureRequest) -> Iterator[KubeCluster]:
    c = _cluster(sim, f"run-{request.node.name[5:25].replace('_', '-').strip('-')}")
    yield c
    c.close()


def _deployment(name: str, ns: str, replicas: int) -> dict[str, Any]:
    labels = {"app": name}
    container = {"name": name, "image": "fortio/fortio:1.69.0", "ports": [{"containerPort": 8080}]}
    template = {"metadata": {"labels": labels}, "spec": {"containers": [container]}}
    spec = {"replicas": replicas, "selector": {"matchLabels": labels}, "template": template}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


def fleet(prefix: str, namespaces: int) -> list[dict[str, Any]]:
    """Smoke-sized: per namespace a Namespace, ServiceAccount, ConfigMap, Service, server and client."""
    out: list[dict[str, Any]] = []
    for i in range(1, namespaces + 1):
        ns = f"{prefix}-{i:03d}"
        out += [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}},
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "echo", "namespace": ns}},
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "cfg", "namespace": ns},
                "data": {"a": "1"},
            },
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "echo", "namespace": ns},
                "spec": {"selector": {"app": "echo"}, "ports": [{"port": 8080}]},
            },
            _deployment("echo", ns, 4),
            _deployment("client", ns, 1),
        ]
    return out


def server_requests(cluster: KubeCluster) -> int:
    """apiserver_request_total summed over every series, from the sim's /metrics."""
    text = cluster.api.call(Target("get", "metrics"), "GET", "/metrics").body.decode()
    lines = [ln for ln in text.splitlines() if ln.startswith("apiserver_request_total{")]
    return sum(int(float(ln.rsplit(" ", 1)[1])) for ln in lines)


def test_apply_in_waves_under_the_rate_limit(sim: Any) -> None:
    paced = _cluster(sim, "run-paced", RateLimit(qps=40, burst=5, wave_namespaces=2))
    before = server_requests(paced)
    began = time.monotonic()
    applied = paced.apply(fleet("paced", 3))
    elapsed = time.monotonic() - began
    served = server_requests(paced) - before - 1  # minus the /metrics GET that produced `before`
    sent = sum(paced.stats.requests.values()) - 2  # minus both /metrics GETs
    assert len(applied) == 18
    assert served == sent == 18 + 2  # one create per object + one discovery GET per group/version used
    assert elapsed >= (sent - 5) / 40 * 0.9  # the bucket made it wait
    assert served <= 5 + 40 * elapsed + 1  # and the server never saw more than burst + qps * t
    labels = paced.get("apps/v1", "Deployment", "echo", "paced-002")["metadata"]["labels"]  # type: ignore[index]
    assert labels[RUN_LABEL] == "run-paced"
    assert labels[MANAGED_BY_LABEL] == "pytest-meshscale"
    paced.close()


def test_get_list_delete(cluster: KubeCluster) -> None:
    cluster.apply(fleet("crud", 2))
    assert {
        d["metadata"]["namespace"]
        for d in cluster.list("apps/v1", "Deployment", labels=f"{RUN_LABEL}={cluster.run_id}")
    } == {"crud-001", "crud-002"}
    mine = cluster.list("v1", "ConfigMap", "crud-001", labels=f"{RUN_LABEL}={cluster.run_id}")
    assert [(c["kind"], c["metadata"]["name"]) for c in mine] == [("ConfigMap", "cfg")]
    cluster.delete("v1", "ConfigMap", "cfg", "crud-001")
    cluster.delete("v1", "ConfigMap", "cfg", "crud-001")  # already gone is fine
    assert cluster.get("v1", "ConfigMap", "cfg", "crud-001") is None
    assert cluster.get("v1", "ConfigMap", "cfg", "crud-002") is not None


def test_reapply_patches_and_label_none_removes(cluster: KubeCluster) -> None:
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "re", "namespace": "default"},
        "data": {"a": "1"},
    }
    cluster.apply([cm])
    cluster.apply([cm | {"data": {"a": "2"}}])
    cluster.label("v1", "ConfigMap", "re", {"x": "1", "y": "2"}, namespace="default")
    cluster.label("v1", "ConfigMap", "re", {"x": None}, namespace="default")
    got = cluster.get("v1", "ConfigMap", "re", "default")
    assert got is not None
    assert got["data"] == {"a": "2"}
    assert got["metadata"]["labels"]["y"] == "2"
    assert "x" not in got["metadata"]["labels"]
    assert got["metadata"]["labels"][RUN_LABEL] == cluster.run_id  # kept through the re-apply
    assert (cluster.applier.created, cluster.applier.updated) == (1, 1)


def test_scale(cluster: KubeCluster) -> None:
    cluster.apply(fleet("scale", 1))
    cluster.scale("Deployment", "echo", "scale-001", 7)
    dep = cluster.get("apps/v1", "Deployment", "echo", "scale-001")
    assert dep is not None
    assert dep["spec"]["replicas"] == 7
    with pytest.raises(ClusterError, match="only Deployment, StatefulSet, ReplicaSet can be scaled"):
        cluster.scale("Service", "echo", "scale-001", 2)


def test_wait_for_watches_until_the_predicate_holds(cluster: KubeCluster) -> None:
    cluster.apply(fleet("wait", 1))
    timer = threading.Timer(0.4, cluster.label, ("v1", "Namespace", "wait-001", {"phase": "go"}))
    timer.start()
    ns = cluster.wait_for(
        "v1",
        "Namespace",
        lambda o: o["metadata"].get("labels", {}).get("phase") == "go",
        name="wait-001",
        timeout_s=10,
        what="namespace wait-001 labelled",
    )
    timer.join()
    assert ns["metadata"]["labels"]["phase"] == "go"
    assert cluster.stats.requests["list"] == 1
    assert cluster.stats.requests["watch"] == 1
    began = time.monotonic()
    cluster.label("v1", "Namespace", "wait-001", {"phase": "done"})  # the watch's socket is not reused
    assert time.monotonic() - began < 1
    assert not cluster.stats.retries
    with pytest.raises(ClusterError, match=r"^timed out after 0.5s waiting for a label that never comes$"):
        cluster.wait_for(
            "v1",
            "Namespace",
            lambda o: False,
            name="wait-001",
            timeout_s=0.5,
            what="a label that never comes",
        )


def test_logs_and_proxy_return_the_pods_own_reply(cluster: KubeCluster) -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {
            "containers": [
                {"name": "c", "image": "example.com/no-such-image:1", "ports": [{"containerPort": 8080}]}
            ]
        },
    }
    cluster.apply([pod])
    assert isinstance(cluster.logs("p", "default", container="c"), str)
    got = cluster.proxy_get("p", "default", 8080, "/anything?x=1")
    posted = cluster.proxy_post("p", "default", 8080, "/fortio/rest/run", b'{"url": "http://echo:8080"}')
    # No simulated image serves this pod, so the *pod* answers 503: handed back, not raised.
    assert (got.status, got.body) == (503, b"no simulated image serves this pod\n")
    assert posted.status == 503
    with pytest.raises(ClusterError, match=r"^logs Pod default/p: HTTP 400 Bad Request: container nope"):
        cluster.logs("p", "default", container="nope")
    with pytest.raises(ClusterError, match=r"^proxy GET Pod default/missing:80: HTTP 404 Not Found"):
        cluster.proxy_get("missing", "default", 80, "/")


def test_server_version_and_one_line_errors(cluster: KubeCluster) -> None:
    assert cluster.server_version().startswith("v1.")
    with pytest.raises(ClusterError) as err:
        cluster.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "Bad_Name"}}])
    assert str(err.value).startswith(
        'create Namespace Bad_Name: HTTP 422 Unprocessable Entity: Namespace "Bad_Name"'
    )
    assert "\n" not in str(err.value)
    assert sum(cluster.stats.retries.values()) == 0
    with pytest.raises(ClusterError, match="kind Widget in apiVersion example.com/v1 is not served"):
        cluster.get("example.com/v1", "Widget", "w")


def test_delete_run_objects_deletes_exactly_what_the_run_created(sim: Any) -> None:
    run, other = _cluster(sim, "run-teardown"), _cluster(sim, "run-other")
    foreign_ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "foreign"}}
    foreign_cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "foreign", "namespace": "default"},
    }
    run.api.call(Target("create", "Namespace"), "POST", "/api/v1/namespaces", body=foreign_ns)  # unlabelled
    run.api.call(
        Target("create", "ConfigMap"), "POST", "/api/v1/namespaces/default/configmaps", body=foreign_cm
    )
    other.apply(fleet("other", 1))
    stray = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "stray", "namespace": "default"}}
    run.apply([*fleet("td", 2), stray])
    with pytest.raises(ForeignObject, match="Namespace foreign already exists and was not created by meshscale"):
        run.apply([foreign_ns | {"metadata": {"name": "foreign", "labels": {"seen": "1"}}}])
    labels = run.get("v1", "Namespace", "foreign")["metadata"].get("labels") or {}  # type: ignore[index]
    assert RUN_LABEL not in labels and "seen" not in labels  # neither adopted nor changed
    assert run.delete_run_objects(timeout_s=30) == 3  # the stray ConfigMap and two namespaces
    assert run.get("v1", "Namespace", "td-001") is None
    assert run.get("v1", "Namespace", "td-002") is None
    assert run.get("v1", "ConfigMap", "stray", "default") is None
    assert run.get("v1", "Namespace", "foreign") is not None  # found, not created: survives
    assert run.get("v1", "ConfigMap", "foreign", "default") is not None
    assert run.get("apps/v1", "Deployment", "echo", "other-001") is not None  # another run's objects survive
    run.close()
    other.close()


def test_everything_succeeds_under_api_errors_and_watch_drops(faulty_sim: Any) -> None:
    c = _cluster(faulty_sim, "run-faulty")
    assert len(c.apply(fleet("faulty", 3))) == 18
    if HAS_CONTROLLERS:
        c.wait_deployments_available([f"faulty-{i:03d}" for i in range(1, 4)], 30)
    for i in range(1, 4):
        c.label("v1", "Namespace", f"faulty-{i:03d}", {"round": "1"})
    timer = threading.Timer(2.5, c.label, ("v1", "Namespace", "faulty-001", {"round": "2"}))
    timer.start()  # after the sim has dropped the watch at least twice (watch-drop=1)
    c.wait_for(
        "v1",
        "Namespace",
        lambda o: o["metadata"]["labels"].get("round") == "2",
        name="faulty-001",
        timeout_s=20,
        what="round 2",
    )
    timer.join()
    assert sum(c.stats.retries.values()) > 0, c.stats.summary()
    # The sim answers 429 (Retry-After: 1) or 500; a socket it closed under us may add a "connection" retry.
    assert {"429", "500"} <= set(c.stats.retries) <= {"429", "500", "connection"}
    assert c.stats.watch_resumes >= 2
    assert c.stats.relists == 0
    c.close()


@pytest.mark.skipif(not HAS_CONTROLLERS, reason="the sim's controllers (sim/world.py) are not built yet")
def test_wait_deployments_available_with_progress(cluster: KubeCluster) -> None:
    cluster.apply(fleet("ready", 3))
    seen: list[tuple[int, int]] = []
    cluster.wait_deployments_available(
        ["ready-001", "ready-002", "ready-003"], 30, progress=lambda a, t: seen.append((a, t))
    )
    assert seen[-1] == (6, 6)
    assert cluster.stats.requests["watch"] >= 1
    assert cluster.stats.requests["list"] == 1


@pytest.mark.skipif(not HAS_CONTROLLERS, reason="the sim's controllers (sim/world.py) are not built yet")
def test_wait_deployments_times_out_naming_what_is_not_ready(cluster: KubeCluster) -> None:
    stuck = _deployment("stuck", "stuck-001", 2)
    stuck["spec"]["template"]["spec"]["nodeSelector"] = {"meshscale.io/no-such-pool": "x"}  # never scheduled
    cluster.apply([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "stuck-001"}}, stuck])
    with pytest.raises(ClusterError) as err:
        cluster.wait_deployments_available(["stuck-001"], 1)
    assert str(err.value) == (
        "timed out after 1s waiting for deployments to be available: 0/1 available; "
        "waiting for stuck-001/stuck (0/2 ready)"
    )
